using ImageStash.Codecs;
using ImageStash.Tests.Cli;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 4: a PNG decode's memory follows the output, not the header. PNG decodes at 1/2, 1/4 and 1/8 as box
/// averages — a large image row by row — so the loader's plan and import's check of a huge PNG need a few MB.
/// </summary>
public sealed class PngScaledDecodeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly IImageCodec Png = ImageCodecs.Get(ImageEncoding.Png);

    /// <summary>A deterministic pattern with detail at every scale (so a wrong box shows).</summary>
    private static byte[] Pattern(int width, int height, int channels)
    {
        var pixels = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < channels; c++)
                    pixels[(y * width + x) * channels + c] = (byte)((x * 7 + y * 13 + c * 50 + (x ^ y) * 3) & 0xFF);
        return pixels;
    }

    /// <summary>The box average of a full decode, as the reference: partial boxes at the right and bottom edges.</summary>
    private static byte[] Boxes(byte[] full, int width, int height, int channels, int scale)
    {
        int w = (width + scale - 1) / scale, h = (height + scale - 1) / scale;
        var output = new byte[w * h * channels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                {
                    int sum = 0, n = 0;
                    for (int sy = y * scale; sy < Math.Min(height, (y + 1) * scale); sy++)
                        for (int sx = x * scale; sx < Math.Min(width, (x + 1) * scale); sx++, n++)
                            sum += full[(sy * width + sx) * channels + c];
                    output[(y * w + x) * channels + c] = (byte)((sum + n / 2) / n);
                }
        return output;
    }

    [Theory]
    [InlineData(2501, 2403, 3, 3)] // 18 MB of RGB: over the streaming threshold, SimplePng's kind of file
    [InlineData(2403, 2401, 1, 3)] // a grey PNG asked for as RGB: row by row at every scale, 17 MB of output at full size
    [InlineData(301, 203, 3, 4)]  // small: decoded whole, then averaged
    public void Scaled_decodes_are_the_box_averages_of_the_full_decode(int width, int height, int stored, int channels)
    {
        Assert.Equal([1, 2, 4, 8], Png.Scales);
        var png = ImageEncoder.Png(Pattern(width, height, stored), new ImageShape(height, width, stored));
        var full = new byte[width * height * channels];
        Png.Decode(png, 1, channels, full);
        if (stored == 1) // the full-size row decode of a grey file: each grey value three times
        {
            var grey = Pattern(width, height, 1);
            for (int i = 0; i < grey.Length; i++)
                if (full[3 * i] != grey[i] || full[3 * i + 1] != grey[i] || full[3 * i + 2] != grey[i]) Assert.Fail($"pixel {i}: {full[3 * i]} for {grey[i]}");
        }
        foreach (int scale in new[] { 2, 4, 8 })
        {
            var (w, h) = Png.ReadInfo(png).ScaledSize(scale);
            var scaled = new byte[w * h * channels];
            long before = GC.GetAllocatedBytesForCurrentThread();
            Png.Decode(png, scale, channels, scaled);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(Boxes(full, width, height, channels, scale), scaled);
            if ((long)width * height * channels > SkiaCodec.StreamAbove)
                Assert.True(allocated < png.Length + (2 << 20), $"1/{scale} of {width}×{height} ({png.Length:N0} bytes of PNG) allocated {allocated:N0} bytes");
        }
        Assert.Throws<ArgumentException>(() => Png.Decode(png, 3, channels, full));
    }

    [Fact]
    public void A_truncated_png_fails_its_scaled_decode()
    {
        var png = ImageEncoder.Png(Pattern(2501, 2403, 3), new ImageShape(2403, 2501, 3));
        var cut = png[..(png.Length / 2)];
        var (w, h) = Png.ReadInfo(png).ScaledSize(4);
        Assert.Throws<InvalidDataException>(() => Png.Decode(cut, 4, 3, new byte[w * h * 3]));
    }

    [Fact]
    [Trait("Tier", "Full")]
    public void The_loader_decodes_two_16384_square_pngs_on_two_workers_in_bounded_memory()
    {
        // The loader repro, with the pixel limit raised to let them through: 3.7 GB before.
        string folder = _dir.File("in/a");
        Directory.CreateDirectory(folder);
        byte[] bomb = DecompressionBombTests.PngBomb();
        File.WriteAllBytes(Path.Combine(folder, "bomb1.png"), bomb);
        File.WriteAllBytes(Path.Combine(folder, "bomb2.png"), bomb);
        string store = _dir.File("s.lmdb");
        Assert.Equal(0, CliRunner.Run("import", _dir.File("in"), store, "--max-pixels", "268435456", "--check", "none").Exit);
        var (exit, peakMb, err) = ChildProcess.CliPeakMemory("loader-bench", store,
            "--size", "224", "--epochs", "1", "--batch", "2", "--workers", "2", "--no-limit", "--max-pixels", "268435456");
        Assert.True(exit == 0, err);
        Assert.True(peakMb < 300, $"loader-bench peaked at {peakMb} MB");
    }
}
