namespace ImageStash.Loading;

/// <summary>
/// One batch: images back to back (N×H×W×C bytes), their labels and ids. The buffers are pooled: a batch is valid
/// until the next one is requested from the loader.
/// </summary>
public sealed class LoaderBatch
{
    internal LoaderBatch(ImageShape shape, int capacity)
    {
        Shape = shape;
        PixelBuffer = new byte[capacity * shape.ByteCount];
        LabelBuffer = new int[capacity];
        IdBuffer = new long[capacity];
    }

    internal byte[] PixelBuffer { get; }
    internal int[] LabelBuffer { get; }
    internal long[] IdBuffer { get; }

    /// <summary>Images in the batch.</summary>
    public int Count { get; internal set; }

    /// <summary>The shape of every image.</summary>
    public ImageShape Shape { get; }

    /// <summary>The epoch this batch belongs to.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The batch's index within its epoch.</summary>
    public long Index { get; internal set; }

    /// <summary>Pixels, N×H×W×C.</summary>
    public ReadOnlySpan<byte> Pixels => PixelBuffer.AsSpan(0, Count * Shape.ByteCount);

    /// <summary>Labels, N.</summary>
    public ReadOnlySpan<int> Labels => LabelBuffer.AsSpan(0, Count);

    /// <summary>Ids, N.</summary>
    public ReadOnlySpan<long> Ids => IdBuffer.AsSpan(0, Count);

    /// <summary>
    /// Writes the batch as float32 N×C×H×W (the layout TorchSharp and ML.NET expect), each channel scaled to [0, 1]
    /// then normalised: (x / 255 − mean[c]) / std[c].
    /// </summary>
    /// <exception cref="ArgumentException">The destination is too small, or mean/std do not have one value per channel.</exception>
    public void ToNormalizedChw(Span<float> destination, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int c = Shape.Channels, plane = Shape.Height * Shape.Width;
        if (mean.Length != c || std.Length != c)
            throw new ArgumentException($"Give one mean and one std per channel ({c}); got {mean.Length} and {std.Length}.");
        if (destination.Length < Count * c * plane)
            throw new ArgumentException($"{Count} images of {Shape} need {Count * c * plane} floats; the buffer holds {destination.Length}.", nameof(destination));
        Span<float> scale = stackalloc float[c], shift = stackalloc float[c];
        for (int k = 0; k < c; k++)
        {
            scale[k] = 1f / (255f * std[k]);
            shift[k] = -mean[k] / std[k];
        }
        var pixels = Pixels;
        for (int n = 0; n < Count; n++)
        {
            var image = pixels.Slice(n * Shape.ByteCount, Shape.ByteCount);
            var output = destination.Slice(n * c * plane, c * plane);
            for (int k = 0; k < c; k++)
            {
                var channel = output.Slice(k * plane, plane);
                float s = scale[k], b = shift[k];
                for (int p = 0, src = k; p < plane; p++, src += c) channel[p] = image[src] * s + b;
            }
        }
    }
}
