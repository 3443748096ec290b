using BenchmarkDotNet.Attributes;
using ImageStash;
using ImageStash.Codecs;
using ImageStash.Sources;
using SkiaSharp;

namespace ImageStash.Benchmarks;

/// <summary>Encoding and decoding one 32×32 RGB photo: the PNG store's own codec against SkiaSharp (the baseline).</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class PngCodecBenchmarks
{
    private static readonly ImageShape Shape = new(32, 32, 3);
    private readonly byte[] _pixels = new byte[Shape.ByteCount];
    private readonly byte[] _rgbx = new byte[32 * 32 * 4];
    private readonly byte[] _output = new byte[Shape.ByteCount];
    private byte[] _png = [];

    [GlobalSetup]
    public void Setup()
    {
        // A photo-like synthetic image (smooth shapes, gradient, mild noise): PNG compresses it as it does real photos.
        using var source = new SyntheticSource(1, Shape);
        foreach (var batch in source.ReadBatches(1)) batch.GetPixels(0).CopyTo(_pixels);
        for (int i = 0; i < 1024; i++)
        {
            _rgbx[i * 4] = _pixels[i * 3];
            _rgbx[i * 4 + 1] = _pixels[i * 3 + 1];
            _rgbx[i * 4 + 2] = _pixels[i * 3 + 2];
            _rgbx[i * 4 + 3] = 255;
        }
        _png = SimplePng.Encode(_pixels, Shape);
    }

    [Benchmark(Baseline = true)]
    public unsafe long EncodeSkia()
    {
        fixed (byte* p = _rgbx)
        {
            using var pixmap = new SKPixmap(new SKImageInfo(32, 32, SKColorType.Rgb888x, SKAlphaType.Opaque), (IntPtr)p, 128);
            using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))!;
            return data.Size;
        }
    }

    [Benchmark]
    public int EncodeOwn() => SimplePng.Encode(_pixels, Shape).Length;

    [Benchmark]
    public unsafe int DecodeSkia()
    {
        using var bitmap = SKBitmap.Decode(_png, new SKImageInfo(32, 32, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        return bitmap.ByteCount;
    }

    [Benchmark]
    public byte DecodeOwn()
    {
        SimplePng.Decode(_png, _output, Shape, "bench");
        return _output[100];
    }
}
