using ImageStash.Internal;

namespace ImageStash;

/// <summary>
/// The checks and errors every store makes the same way, so their messages agree: public, for anyone writing a
/// store (the built-in stores use nothing else). Each names the store and the record and says what to do.
/// </summary>
public static class StoreChecks
{
    /// <summary>Checks that a store at <paramref name="path"/> may be opened in <paramref name="mode"/>, given whether one exists.</summary>
    /// <exception cref="ImageStashException">A store exists for <see cref="StoreOpenMode.CreateNew"/>, or none does for
    /// <see cref="StoreOpenMode.Open"/> or <see cref="StoreOpenMode.ReadOnly"/>.</exception>
    public static void CheckOpenMode(string path, bool exists, StoreOpenMode mode)
    {
        switch (mode)
        {
            case StoreOpenMode.CreateNew when exists: throw ImageStashException.StoreExists(path);
            case StoreOpenMode.Open or StoreOpenMode.ReadOnly when !exists: throw ImageStashException.StoreNotFound(path);
        }
    }

    /// <summary>
    /// The user-facing error for a failure while opening or creating a store's files — a location that cannot be
    /// written (permissions, a read-only file system) — or null when <paramref name="e"/> is something else (let it
    /// through). Use it as <c>catch (Exception e) when (StoreChecks.OpenFailure(path, e) is { } failure)</c>.
    /// </summary>
    public static ImageStashException? OpenFailure(string path, Exception e) => e switch
    {
        ImageStashException or FileNotFoundException => null,
        UnauthorizedAccessException or IOException => ImageStashException.NotWritable(path, e),
        _ => null,
    };

    /// <summary>Checks a batch's ids are unique and, unless overwriting, new to the store.</summary>
    /// <param name="batch">The batch being put.</param>
    /// <param name="overwrite">Whether ids the store holds may be replaced.</param>
    /// <param name="path">The store, for messages.</param>
    /// <param name="exists">Whether the store holds an id.</param>
    /// <returns>The ids that exist already (to be replaced).</returns>
    /// <exception cref="ArgumentException">An id appears twice in the batch.</exception>
    /// <exception cref="ImageStashException">An id exists and <paramref name="overwrite"/> is false.</exception>
    public static IReadOnlySet<long> CheckNewIds(ImageBatch batch, bool overwrite, string path, Func<long, bool> exists)
    {
        // Ascending ids (every import) are unique without a set; any other order is checked with one.
        bool ascending = true;
        for (int i = 1; i < batch.Count && ascending; i++) ascending = batch[i].Id > batch[i - 1].Id;
        var seen = ascending ? null : new HashSet<long>(batch.Count);
        var replaced = new HashSet<long>();
        for (int i = 0; i < batch.Count; i++)
        {
            long id = batch[i].Id;
            if (seen is not null && !seen.Add(id))
                throw new ArgumentException($"Id {id} appears twice in one batch; ids in a batch must be unique.", nameof(batch));
            if (exists(id))
            {
                if (!overwrite) throw ImageStashException.DuplicateId(path, id);
                replaced.Add(id);
            }
        }
        return replaced;
    }

    /// <summary>Checks a buffer given to <see cref="IImageStore.Read"/> holds the record's payload.</summary>
    /// <exception cref="ArgumentException">It does not.</exception>
    public static void CheckPayloadBuffer(ImageHeader header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < header.PayloadLength)
            throw new ArgumentException($"Image {header.Id} is {Describe(header)} ({header.PayloadLength} bytes); the buffer holds {payload.Length}.", nameof(payload));
    }

    /// <summary>Checks the buffers given to <see cref="IImageStore.ReadMany"/> hold <paramref name="count"/> images of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">A buffer is too small.</exception>
    public static void CheckReadManyBuffers(int count, ImageShape shape, ReadOnlySpan<byte> pixels, ReadOnlySpan<int> labels)
    {
        long needed = count * shape.ByteCount;
        if (pixels.Length < needed)
            throw new ArgumentException($"Reading {count} images of {shape} needs {needed} bytes; the buffer holds {pixels.Length}.", nameof(pixels));
        if (labels.Length < count)
            throw new ArgumentException($"Reading {count} images needs {count} labels; the span holds {labels.Length}.", nameof(labels));
    }

    /// <summary>Checks a record can go into a read-many: raw pixels of the request's shape.</summary>
    /// <exception cref="ImageStashException">The record is encoded, or of another shape.</exception>
    public static void CheckReadManyRecord(string path, ImageShape shape, ImageHeader header)
    {
        if (!header.IsRaw) throw ImageStashException.EncodedInReadMany(path, header.Id, header.Encoding);
        if (header.Shape != shape) throw ImageStashException.MixedShapes(path, shape, header.Shape, header.Id);
    }

    /// <summary>Checks every record of a batch is raw with a store's one shape (a store that holds only that).</summary>
    /// <exception cref="ImageStashException">A record is encoded or of another shape; the message suggests a fix.</exception>
    public static void CheckFixedShape(ImageBatch batch, ImageShape shape, string path)
    {
        for (int i = 0; i < batch.Count; i++)
            if (!batch[i].IsRaw || batch[i].Shape != shape) throw ImageStashException.ShapeMismatch(path, shape, Describe(batch[i]), batch[i].Id);
    }

    /// <summary>The error for a stored record that fails its checks (CRC, header, decode).</summary>
    public static InvalidDataException Damaged(string path, long id, string what) =>
        new($"store '{path}': image {id} is damaged ({what}); run 'imagestash verify {path}'.");

    /// <summary>The user-facing error for an I/O failure during a write, classified by its cause; the store keeps its committed data.</summary>
    public static ImageStashException WriteFailed(string path, IOException e)
    {
        string why = Errno.IsDiskFull(e) ? "the disk is full"
            : Errno.IsIoError(e) ? "the disk is full or failing (I/O error)"
            : e.Message.TrimEnd('.');
        return new ImageStashException($"writing to store '{path}' failed: {why}; images committed before this batch are kept — free space and run the import again.", ImageStashError.WriteFailed, e);
    }

    /// <summary>"32×32×3" for raw pixels, "a 480×640×3 JPEG" for an encoded image.</summary>
    internal static string Describe(ImageHeader header) =>
        header.IsRaw ? header.Shape.ToString() : $"a {header.Shape} {ImageEncodingNames.Name(header.Encoding).ToUpperInvariant()}";
}
