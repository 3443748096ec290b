using ImageStash.Pixels;

namespace ImageStash.Tests.Pixels;

/// <summary>The SIMD resampler against a plain double-precision triangle filter, and the properties training relies on.</summary>
public sealed class ResamplerTests
{
    /// <summary>The same filter written plainly: per output pixel, triangle weights over the source pixels in its support.</summary>
    private static byte[] Reference(byte[] src, int w, int h, int c, double x0, double y0, double cw, double ch, int ow, int oh, bool flip)
    {
        static (int First, double[] Weights)[] Axis(double start, double length, int size, int outSize)
        {
            double scale = length / outSize, support = Math.Max(scale, 1.0);
            var axis = new (int, double[])[outSize];
            for (int o = 0; o < outSize; o++)
            {
                double center = start + (o + 0.5) * scale;
                int lo = Math.Max(0, (int)Math.Floor(center - support + 0.5)), hi = Math.Min(size, (int)Math.Floor(center + support + 0.5));
                if (hi <= lo) { lo = Math.Clamp((int)center, 0, size - 1); hi = lo + 1; }
                var weights = Enumerable.Range(lo, hi - lo).Select(i => Math.Max(0, 1 - Math.Abs((i + 0.5 - center) / support))).ToArray();
                double total = weights.Sum();
                axis[o] = (lo, total > 0 ? [.. weights.Select(v => v / total)] : [1.0, .. new double[weights.Length - 1]]);
            }
            return axis;
        }
        var xs = Axis(x0, cw, w, ow);
        var ys = Axis(y0, ch, h, oh);
        var mid = new double[oh, w * c];
        for (int y = 0; y < oh; y++)
            for (int i = 0; i < w * c; i++)
                for (int k = 0; k < ys[y].Weights.Length; k++) mid[y, i] += src[(ys[y].First + k) * w * c + i] * ys[y].Weights[k];
        var output = new byte[ow * oh * c];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                var (first, weights) = xs[flip ? ow - 1 - x : x];
                for (int k = 0; k < c; k++)
                {
                    double sum = 0;
                    for (int t = 0; t < weights.Length; t++) sum += mid[y, (first + t) * c + k] * weights[t];
                    output[(y * ow + x) * c + k] = (byte)Math.Clamp(Math.Round(sum), 0, 255);
                }
            }
        return output;
    }

    [Theory]
    [InlineData(3, 300, 240, 0.0, 0.0, 300.0, 240.0, 224, 224, false)] // shrinking, both SIMD passes
    [InlineData(3, 300, 240, 17.5, 9.25, 120.0, 160.0, 224, 224, true)] // enlarging a crop, flipped
    [InlineData(3, 1000, 700, 100, 50, 700, 600, 224, 224, false)]      // shrinking by more than 2: the general row pass
    [InlineData(1, 90, 60, 3, 4, 70, 50, 33, 21, false)]                // grey: the scalar passes
    [InlineData(4, 90, 60, 0, 0, 90, 60, 47, 31, true)]                 // RGBA
    [InlineData(3, 37, 29, 0, 0, 37, 29, 37, 29, false)]                // same size: the identity
    public void Matches_a_plain_triangle_filter_within_one_level(int c, int w, int h, double x0, double y0, double cw, double ch, int ow, int oh, bool flip)
    {
        var src = new byte[w * h * c];
        new Random(w * h + c).NextBytes(src);
        var ours = new byte[ow * oh * c];
        new Resampler().Resize(src, w, h, c, x0, y0, cw, ch, ours, ow, oh, flip);
        var reference = Reference(src, w, h, c, x0, y0, cw, ch, ow, oh, flip);
        int worst = 0;
        for (int i = 0; i < ours.Length; i++) worst = Math.Max(worst, Math.Abs(ours[i] - reference[i]));
        Assert.True(worst <= 1, $"largest difference {worst} levels");
        if (ow == w && oh == h && !flip) Assert.Equal(src, ours);
    }

    [Fact]
    public void A_flat_image_stays_flat_and_nothing_is_written_past_the_output()
    {
        var src = Enumerable.Repeat((byte)200, 500 * 400 * 3).ToArray();
        var output = new byte[224 * 224 * 3 + 16];
        output.AsSpan(224 * 224 * 3).Fill(7);
        var resampler = new Resampler();
        foreach (var (cw, ch) in new[] { (500.0, 400.0), (100.0, 90.0), (223.0, 225.0) })
        {
            resampler.Resize(src, 500, 400, 3, 0, 0, cw, ch, output.AsSpan(0, 224 * 224 * 3), 224, 224);
            Assert.All(output.Take(224 * 224 * 3), b => Assert.Equal(200, b));
            Assert.All(output.Skip(224 * 224 * 3), b => Assert.Equal(7, b));
        }
    }
}
