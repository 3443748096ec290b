using ImageStash.Sources;

namespace ImageStash.Bench;

/// <summary>
/// The bench's images in memory: the source's images cycled up to the largest count (as the article doubled
/// CIFAR's 50,000 to 100,000), the buffers reads go into, and batches to write. Built before any clock starts.
/// </summary>
internal sealed class BenchData
{
    private BenchData(ImageShape shape, byte[] expected, int[] labels, int count)
    {
        Shape = shape;
        Expected = expected;
        Labels = labels;
        ReadBuffer = new byte[expected.Length];
        LabelBuffer = new int[count];
        // Touch the read buffer now so its page faults are not charged to the first store measured.
        Array.Fill(ReadBuffer, (byte)1);
    }

    public ImageShape Shape { get; }

    /// <summary>Image i's pixels at i × size: what every read must return.</summary>
    public byte[] Expected { get; }

    public int[] Labels { get; }

    public byte[] ReadBuffer { get; }

    public int[] LabelBuffer { get; }

    public ReadOnlySpan<byte> Image(int index) => Expected.AsSpan(index * Shape.ByteCount, Shape.ByteCount);

    /// <exception cref="ImageStashException">The source is empty or its images differ in shape.</exception>
    public static BenchData Load(IImageSource source, int count)
    {
        ImageShape? shape = null;
        var pixels = new List<byte[]>();
        var labels = new List<int>();
        foreach (var batch in source.ReadBatches(1024))
        {
            for (int i = 0; i < batch.Count && pixels.Count < count; i++)
            {
                shape ??= batch[i].Shape;
                if (batch[i].Shape != shape)
                    throw new ImageStashException($"bench: {source.Description} has images of {shape} and {batch[i].Shape}; the bench needs one shape — pass --resize WxH.");
                pixels.Add(batch.GetPixels(i).ToArray());
                labels.Add(batch[i].Label);
            }
            if (pixels.Count >= count) break;
        }
        if (shape is null) throw new ImageStashException($"bench: {source.Description} has no images.");
        int size = shape.Value.ByteCount;
        if ((long)count * size > Array.MaxLength)
            throw new ImageStashException($"bench: {count:N0} images of {shape} need {(long)count * size / 1e9:F1} GB, more than one buffer can hold; use smaller --counts.");
        var expected = new byte[count * size];
        var cycled = new int[count];
        for (int i = 0; i < count; i++)
        {
            pixels[i % pixels.Count].CopyTo(expected, i * size);
            cycled[i] = labels[i % labels.Count];
        }
        return new BenchData(shape.Value, expected, cycled, count);
    }

    /// <summary>Images 0 … count−1 as batches of <paramref name="batchSize"/>, ids equal to their index.</summary>
    public List<ImageBatch> Batches(int count, int batchSize)
    {
        var list = new List<ImageBatch>();
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            var batch = new ImageBatch(n * Shape.ByteCount);
            for (int i = start; i < start + n; i++) batch.Add(new ImageHeader(i, Shape, Labels[i]), Image(i));
            list.Add(batch);
        }
        return list;
    }

    public long[] Ids(int count) => [.. Enumerable.Range(0, count).Select(i => (long)i)];
}
