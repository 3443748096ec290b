namespace ImageStash;

/// <summary>
/// Big reads on every core, for stores' <see cref="IImageStore.ReadMany"/>: a request split into blocks taken in turn
/// by one thread per core (<see cref="ParallelWork"/>), each copying its block's pixels and checking their CRCs — one
/// core copies while another checks, instead of one core doing both in turn. The failure of the earliest block is the
/// one reported.
/// </summary>
public static class ParallelReads
{
    /// <summary>Requests smaller than this many bytes are read on the calling thread.</summary>
    public const long MinBytes = 16 << 20;

    /// <summary>Bytes per block: large enough that a block is mostly copying, small enough to share out evenly.</summary>
    public const int BlockBytes = 4 << 20;

    /// <summary>Reads the images <paramref name="ids"/> (with their labels) into the matching slices of the buffers.</summary>
    /// <param name="ids">The block's ids.</param>
    /// <param name="pixels">Where their pixels go, back to back.</param>
    /// <param name="labels">Where their labels go.</param>
    public delegate void BlockReader(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels);

    /// <summary>
    /// Reads a read-many request with <paramref name="read"/>: all on this thread when it is under
    /// <see cref="MinBytes"/> or the machine has one core, otherwise in blocks of about <see cref="BlockBytes"/> on
    /// every core. If blocks fail, the failure of the earliest one is rethrown — the one a sequential read would have
    /// met first — and later blocks are skipped.
    /// </summary>
    /// <param name="ids">The request's ids.</param>
    /// <param name="pixels">The request's buffer (checked by the caller to be large enough).</param>
    /// <param name="labels">The request's labels.</param>
    /// <param name="imageBytes">Bytes of one image.</param>
    /// <param name="read">Reads one block: the store's own sequential read.</param>
    public static unsafe void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels, int imageBytes, BlockReader read)
    {
        if ((long)ids.Length * imageBytes < MinBytes || Environment.ProcessorCount < 2)
        {
            read(ids, pixels, labels);
            return;
        }
        int count = ids.Length, perBlock = Math.Max(1, BlockBytes / imageBytes), blocks = (count + perBlock - 1) / perBlock;
        fixed (long* i = ids) fixed (byte* p = pixels) fixed (int* l = labels)
        {
            nint idsAt = (nint)i, pixelsAt = (nint)p, labelsAt = (nint)l; // spans cannot be captured; their pinned memory can
            ParallelWork.For(blocks, b =>
            {
                int first = b * perBlock, n = Math.Min(perBlock, count - first);
                read(new ReadOnlySpan<long>((long*)idsAt + first, n), new Span<byte>((byte*)pixelsAt + (long)first * imageBytes, n * imageBytes),
                    new Span<int>((int*)labelsAt + first, n));
            });
        }
    }
}
