using ImageStash.Internal;

namespace ImageStash.Sources;

/// <summary>
/// Deterministic images that look like photos to a compressor: a smooth two-colour gradient, a few soft-edged
/// ellipses, and mild noise. Uniform noise would make PNG and disk-use figures meaningless, since no real image
/// resembles it. The same seed, index and size always give the same pixels and label.
/// </summary>
public sealed class SyntheticSource : IImageSource
{
    private readonly long _count;
    private readonly ImageShape _shape;
    private readonly int _seed;
    private readonly SourceOptions _options;

    /// <summary>Creates a source of <paramref name="count"/> images of <paramref name="shape"/>.</summary>
    public SyntheticSource(long count, ImageShape shape, SourceOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var o = options ?? new SourceOptions();
        _count = o.Limit is { } limit ? Math.Min(limit, count) : count;
        _shape = shape;
        _seed = o.Seed;
        _options = o;
    }

    /// <inheritdoc />
    public string Description => $"synthetic {_count} × {_shape} (seed {_seed})";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; } = [.. Enumerable.Range(0, 10).Select(i => $"synthetic-{i}")];

    /// <inheritdoc />
    public long? Count => _count;

    /// <inheritdoc />
    public IReadOnlyList<string> Skipped => [];

    /// <inheritdoc />
    public IEnumerable<ImageBatch> ReadBatches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return RecordMaker.Apply(Draw(batchSize), _options);
    }

    private IEnumerable<ImageBatch> Draw(int batchSize)
    {
        using var batch = new ImageBatch((int)Math.Min(Math.Min(batchSize, _count) * _shape.ByteCount, 1 << 30));
        for (long start = 0; start < _count; start += batchSize)
        {
            batch.Clear();
            int n = (int)Math.Min(batchSize, _count - start);
            for (int i = 0; i < n; i++)
                batch.AddUninitialized(new ImageHeader(start + i, _shape, LabelOf(start + i), null));
            ParallelWork.For(n, i => Draw(batch.GetWritablePayload(i), start + i));
            yield return batch;
        }
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }

    private int LabelOf(long index) => (int)(Mix(_seed, index, 0x9E37) % 10);

    /// <summary>Draws image <paramref name="index"/> into <paramref name="pixels"/>.</summary>
    internal void Draw(Span<byte> pixels, long index)
    {
        var rng = new Random((int)(Mix(_seed, index, 0x51ED) & 0x7FFFFFFF));
        int h = _shape.Height, w = _shape.Width, c = _shape.Channels;
        Span<float> from = stackalloc float[4], to = stackalloc float[4];
        for (int k = 0; k < 4; k++) { from[k] = rng.Next(256); to[k] = rng.Next(256); }
        double angle = rng.NextDouble() * Math.PI * 2;
        float dx = (float)Math.Cos(angle), dy = (float)Math.Sin(angle);
        int shapes = 2 + rng.Next(4);
        Span<float> sh = stackalloc float[shapes * 8];
        for (int s = 0; s < shapes; s++)
        {
            sh[s * 8] = (float)rng.NextDouble() * w;                      // centre x
            sh[s * 8 + 1] = (float)rng.NextDouble() * h;                  // centre y
            sh[s * 8 + 2] = (0.1f + (float)rng.NextDouble() * 0.4f) * w;  // radius x
            sh[s * 8 + 3] = (0.1f + (float)rng.NextDouble() * 0.4f) * h;  // radius y
            for (int k = 0; k < 4; k++) sh[s * 8 + 4 + k] = rng.Next(256);
        }
        uint noise = (uint)rng.Next() | 1;
        float span = Math.Abs(dx) * w + Math.Abs(dy) * h;
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            float t = ((x - (dx < 0 ? w : 0)) * dx + (y - (dy < 0 ? h : 0)) * dy) / span;
            int o = (y * w + x) * c;
            for (int k = 0; k < c; k++)
            {
                float v = from[k] + (to[k] - from[k]) * t;
                for (int s = 0; s < shapes; s++)
                {
                    float ex = (x - sh[s * 8]) / sh[s * 8 + 2], ey = (y - sh[s * 8 + 1]) / sh[s * 8 + 3];
                    float d = ex * ex + ey * ey;
                    // Soft edge: full colour inside, fading over the rim, none outside.
                    float a = d < 0.8f ? 1f : d > 1.2f ? 0f : (1.2f - d) / 0.4f;
                    v += (sh[s * 8 + 4 + k] - v) * a;
                }
                noise ^= noise << 13; noise ^= noise >> 17; noise ^= noise << 5;
                v += (int)(noise % 9) - 4;
                pixels[o + k] = (byte)Math.Clamp((int)v, 0, 255);
            }
        }
    }

    private static ulong Mix(int seed, long index, ulong salt)
    {
        // SplitMix64: a well-spread hash so neighbouring indices get unrelated images.
        ulong z = (ulong)index * 0x9E3779B97F4A7C15UL + (ulong)(uint)seed * 0xBF58476D1CE4E5B9UL + salt;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
