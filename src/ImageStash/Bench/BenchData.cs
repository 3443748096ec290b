using ImageStash.Sources;

namespace ImageStash.Bench;

/// <summary>
/// The bench's images in memory: the source's records cycled up to the largest count (as the article doubled
/// CIFAR's 50,000 to 100,000), the buffer reads go into, and batches to write. Built before any clock starts.
/// Raw images of one shape (CIFAR) are read back with one read-many; any other records (photos: encoded, or raw of
/// many sizes) one by one into a ragged buffer.
/// </summary>
internal sealed class BenchData
{
    private readonly List<ImageHeader> _headers;
    private readonly long[] _offsets; // record i's payload starts at _offsets[i] in Expected; _offsets[count] is the end

    private BenchData(List<ImageHeader> headers, byte[] expected, long[] offsets, int[] labels, ImageShape? fixedShape)
    {
        _headers = headers;
        _offsets = offsets;
        Expected = expected;
        Labels = labels;
        FixedShape = fixedShape;
        ReadBuffer = new byte[expected.Length];
        LabelBuffer = new int[labels.Length];
        // Touch the read buffer now so its page faults are not charged to the first store measured.
        Array.Fill(ReadBuffer, (byte)1);
    }

    /// <summary>The shape of every image when all are raw and of one shape; null for photos.</summary>
    public ImageShape? FixedShape { get; }

    /// <summary>"32×32×3 raw", "390×392 on average, JPEG 96 %, PNG 4 %".</summary>
    public string Summary { get; private init; } = "";

    /// <summary>Record i's payload at its offset: what every read must return.</summary>
    public byte[] Expected { get; }

    public int[] Labels { get; }

    public byte[] ReadBuffer { get; }

    public int[] LabelBuffer { get; }

    public ImageHeader Header(int index) => _headers[index];

    public ReadOnlySpan<byte> Payload(int index) => Expected.AsSpan((int)_offsets[index], (int)(_offsets[index + 1] - _offsets[index]));

    /// <summary>The payload bytes of the first <paramref name="count"/> records.</summary>
    public long Bytes(int count) => _offsets[count];

    /// <exception cref="ImageStashException">The source is empty, or the records would not fit in memory.</exception>
    public static BenchData Load(IImageSource source, int count)
    {
        var records = new List<(ImageHeader Header, byte[] Payload)>();
        foreach (var batch in source.ReadBatches(1024))
        {
            for (int i = 0; i < batch.Count && records.Count < count; i++) records.Add((batch[i], batch.GetPayload(i).ToArray()));
            if (records.Count >= count) break;
        }
        if (records.Count == 0) throw new ImageStashException($"bench: {source.Description} has no images.");
        var headers = new List<ImageHeader>(count);
        var offsets = new long[count + 1];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            var (header, payload) = records[i % records.Count];
            headers.Add(header with { Id = i });
            offsets[i + 1] = offsets[i] + payload.Length;
            labels[i] = header.Label;
        }
        if (offsets[count] > Array.MaxLength)
            throw new ImageStashException($"bench: {count:N0} images of {source.Description} are {offsets[count] / 1e9:F1} GB, more than one buffer can hold; use smaller --counts.");
        var expected = new byte[offsets[count]];
        for (int i = 0; i < count; i++) records[i % records.Count].Payload.CopyTo(expected.AsSpan((int)offsets[i]));
        var first = records[0].Header;
        bool fixedRaw = records.All(r => r.Header.IsRaw && r.Header.Shape == first.Shape);
        return new BenchData(headers, expected, offsets, labels, fixedRaw ? first.Shape : null) { Summary = Describe(records.Select(r => r.Header).ToList(), fixedRaw) };
    }

    private static string Describe(List<ImageHeader> headers, bool fixedRaw)
    {
        if (fixedRaw) return $"{headers[0].Shape} raw";
        var kinds = headers.GroupBy(h => h.Encoding).OrderByDescending(g => g.Count())
            .Select(g => $"{(g.Key == ImageEncoding.Raw ? "raw" : g.Key.ToString().ToUpperInvariant())} {100.0 * g.Count() / headers.Count:F0} %");
        return $"{headers.Average(h => h.Shape.Height):F0}×{headers.Average(h => h.Shape.Width):F0} on average ({headers.Min(h => Math.Min(h.Shape.Height, h.Shape.Width))}–{headers.Max(h => Math.Max(h.Shape.Height, h.Shape.Width))} px), " +
               $"{headers.Average(h => (double)h.PayloadLength) / 1024:F0} KiB each, {string.Join(", ", kinds)}";
    }

    /// <summary>Records 0 … count−1 as batches of <paramref name="batchSize"/>, ids equal to their index.</summary>
    public List<ImageBatch> Batches(int count, int batchSize)
    {
        var list = new List<ImageBatch>();
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            var batch = new ImageBatch((int)Math.Min(int.MaxValue, _offsets[start + n] - _offsets[start]));
            for (int i = start; i < start + n; i++) batch.Add(_headers[i], Payload(i));
            list.Add(batch);
        }
        return list;
    }

    /// <summary>Reads records 0 … count−1 from <paramref name="store"/> into <see cref="ReadBuffer"/>: one read-many for raw images of one shape, else one read each.</summary>
    public void ReadAll(IImageStore store, long[] ids, int count)
    {
        if (FixedShape is not null)
        {
            store.ReadMany(ids.AsSpan(0, count), ReadBuffer.AsSpan(0, (int)_offsets[count]), LabelBuffer);
            return;
        }
        for (int i = 0; i < count; i++)
            LabelBuffer[i] = store.Read(i, ReadBuffer.AsSpan((int)_offsets[i], (int)(_offsets[i + 1] - _offsets[i]))).Label;
    }

    /// <summary>The index of the first record the last <see cref="ReadAll"/> got wrong, or −1.</summary>
    public int FirstWrong(int count)
    {
        var got = ReadBuffer.AsSpan(0, (int)_offsets[count]);
        var want = Expected.AsSpan(0, (int)_offsets[count]);
        if (got.SequenceEqual(want) && LabelBuffer.AsSpan(0, count).SequenceEqual(Labels.AsSpan(0, count))) return -1;
        for (int i = 0; i < count; i++)
            if (!got.Slice((int)_offsets[i], (int)(_offsets[i + 1] - _offsets[i])).SequenceEqual(Payload(i)) || LabelBuffer[i] != Labels[i])
                return i;
        return -1;
    }

    public long[] Ids(int count) => [.. Enumerable.Range(0, count).Select(i => (long)i)];
}
