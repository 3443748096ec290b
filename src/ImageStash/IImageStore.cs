namespace ImageStash;

/// <summary>
/// A store of labelled images. Every store kind (PNG folder, LMDB, HDF5, …) implements this one contract, so
/// import, export, convert, verify, the loader and the bench work for all of them.
/// </summary>
/// <remarks>
/// Reads (<see cref="TryGetHeader"/>, <see cref="Read"/>, <see cref="ReadMany"/>, <see cref="EnumerateIds"/>)
/// may be called from several threads at once. <see cref="Put"/> is for one thread at a time.
/// </remarks>
public interface IImageStore : IDisposable
{
    /// <summary>The path the store was opened at.</summary>
    string Path { get; }

    /// <summary>The store kind, as <c>--format</c> names it ("png", "lmdb", "hdf5").</summary>
    string Format { get; }

    /// <summary>The number of images.</summary>
    long Count { get; }

    /// <summary>The shape every image must have, or null when the store takes images of any shape.</summary>
    ImageShape? FixedShape { get; }

    /// <summary>Class names indexed by label; empty when unknown.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Replaces the class names (committed with the next <see cref="Put"/>, or at once when nothing is pending).</summary>
    /// <exception cref="ImageStashException">The store is read-only.</exception>
    void SetClassNames(IReadOnlyList<string> names);

    /// <summary>All ids, ascending.</summary>
    IEnumerable<long> EnumerateIds();

    /// <summary>The header of image <paramref name="id"/>, if the store holds it.</summary>
    bool TryGetHeader(long id, out ImageHeader header);

    /// <summary>
    /// Reads image <paramref name="id"/>'s payload into <paramref name="payload"/>: its raw HWC pixels, or the encoded
    /// file's bytes exactly as they were stored (decode them with <see cref="Codecs.ImageCodecs"/>).
    /// </summary>
    /// <returns>The image's header; its <see cref="ImageHeader.PayloadLength"/> says how many bytes were written.</returns>
    /// <exception cref="ImageStashException">The store has no such id.</exception>
    /// <exception cref="ArgumentException"><paramref name="payload"/> is smaller than the record.</exception>
    /// <exception cref="InvalidDataException">The stored record is damaged.</exception>
    ImageHeader Read(long id, Span<byte> payload);

    /// <summary>
    /// Reads image <paramref name="id"/>'s payload into <paramref name="payload"/> when it fits, without its name and fields —
    /// the loader's path, which a store can serve without allocating. Returns false, having read nothing, when the
    /// buffer is too small: <paramref name="header"/>'s <see cref="ImageHeader.PayloadLength"/> then says how large a
    /// buffer to pass. The default implementation calls <see cref="TryGetHeader"/> and <see cref="Read"/>.
    /// </summary>
    /// <exception cref="ImageStashException">The store has no such id.</exception>
    /// <exception cref="InvalidDataException">The stored record is damaged.</exception>
    bool TryReadPayload(long id, Span<byte> payload, out ImageHeader header)
    {
        if (!TryGetHeader(id, out header)) throw ImageStashException.MissingId(Path, id);
        if (payload.Length < header.PayloadLength) return false;
        header = Read(id, payload) with { Name = null, Fields = null };
        return true;
    }

    /// <summary>
    /// Reads images <paramref name="ids"/> back to back into <paramref name="pixels"/> (N×H×W×C) and their labels
    /// into <paramref name="labels"/>. All the images must be raw and of one shape (the article's case; photos go
    /// through <c>ImageStash.Loading.ImageLoader</c>, which decodes them). The default reads them one at a time with
    /// <see cref="Read"/>; a store that can do better (one transaction, a mapped file, every core) overrides it.
    /// </summary>
    /// <exception cref="ImageStashException">An id is missing, an image is encoded, or the images differ in shape.</exception>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    /// <exception cref="InvalidDataException">A stored record is damaged.</exception>
    void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        if (ids.IsEmpty) return;
        if (!TryGetHeader(ids[0], out var first)) throw ImageStashException.MissingId(Path, ids[0]);
        StoreChecks.CheckReadManyBuffers(ids.Length, first.Shape, pixels, labels);
        int size = first.Shape.Length;
        for (int i = 0; i < ids.Length; i++)
        {
            if (!TryGetHeader(ids[i], out var header)) throw ImageStashException.MissingId(Path, ids[i]);
            StoreChecks.CheckReadManyRecord(Path, first.Shape, header);
            labels[i] = Read(ids[i], pixels.Slice(i * size, size)).Label;
        }
    }

    /// <summary>
    /// Writes every image in <paramref name="batch"/> in one commit: after a crash either the whole batch is
    /// there or none of it.
    /// </summary>
    /// <param name="batch">The images; their ids must be unique within the batch.</param>
    /// <param name="overwrite">Replace images whose id exists; when false such an id is an error and nothing is written.</param>
    /// <exception cref="ImageStashException">An id exists (and <paramref name="overwrite"/> is false), an image does
    /// not fit <see cref="FixedShape"/>, the store is read-only, or the disk is full (committed data is kept).</exception>
    void Put(ImageBatch batch, bool overwrite = false);
}
