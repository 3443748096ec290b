// Also compiled into examples/TorchSharpTrain and benchmarks/torchsharp (linked), so all three train on the same images.
namespace ImageStash.TorchSharp.Samples;

/// <summary>
/// CIFAR-shaped (32×32 RGB, ten classes) images that a small network can learn: each class has its own colour tint and
/// stripe direction, drawn at a random phase and contrast over per-pixel noise, so neither cue alone is exact at a
/// glance but both are there. The same seed and id always give the same image and label.
/// </summary>
public static class CifarShaped
{
    /// <summary>The image shape: 32×32×3.</summary>
    public static ImageShape Shape { get; } = new(32, 32, 3);

    /// <summary>Writes <paramref name="count"/> images with ids from <paramref name="firstId"/> into <paramref name="store"/>.</summary>
    public static void Fill(IImageStore store, int count, int seed, long firstId = 0)
    {
        using var batch = new ImageBatch(1024 * (int)Shape.ByteCount);
        for (int start = 0; start < count; start += 1024)
        {
            batch.Clear();
            for (int i = start; i < Math.Min(count, start + 1024); i++)
            {
                long id = firstId + i;
                var rng = new Random(HashCode.Combine(seed, id));
                int label = rng.Next(10);
                Draw(batch.AddUninitialized(new ImageHeader(id, Shape, label)), label, rng);
            }
            store.Put(batch);
        }
    }

    private static void Draw(Span<byte> pixels, int label, Random rng)
    {
        double angle = label * Math.PI / 10 + (rng.NextDouble() - 0.5) * 0.2;
        double fx = Math.Cos(angle) * 0.7, fy = Math.Sin(angle) * 0.7, phase = rng.NextDouble() * Math.PI * 2;
        double contrast = 30 + rng.Next(50);
        Span<double> tint = [60 + 18 * label, 200 - 15 * label, 40 + 70 * (label % 3)];
        double light = rng.Next(-40, 40);
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
            {
                double stripe = contrast * Math.Sin(fx * x + fy * y + phase);
                for (int c = 0; c < 3; c++)
                    pixels[(y * 32 + x) * 3 + c] = (byte)Math.Clamp(tint[c] + light + stripe + rng.Next(-50, 51), 0, 255);
            }
    }
}
