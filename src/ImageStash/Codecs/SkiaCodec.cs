using System.Buffers;
using ImageStash.Codecs;
using SkiaSharp;

namespace ImageStash.Codecs;

/// <summary>
/// PNG and WebP (and JPEG where libturbojpeg is missing, or for CMYK files) through SkiaSharp's bundled decoders.
/// PNGs of the kind ImageStash writes itself (8-bit grey, RGB or RGBA, not interlaced) take <see cref="SimplePng"/>,
/// which is faster and allocation-free.
/// </summary>
internal sealed unsafe class SkiaCodec(ImageEncoding encoding, string extension, Func<ReadOnlySpan<byte>, bool>? magic = null) : IImageCodec
{
    private static readonly int[] FullSize = [1];

    public static SkiaCodec Png { get; } = new(ImageEncoding.Png, ".png", d => d.StartsWith((ReadOnlySpan<byte>)[137, 80, 78, 71, 13, 10, 26, 10]));

    public static SkiaCodec WebP { get; } = new(ImageEncoding.WebP, ".webp", d => d.Length >= 12 && d.StartsWith("RIFF"u8) && d[8..].StartsWith("WEBP"u8));

    public ImageEncoding Encoding => encoding;

    public string Extension => extension;

    public IReadOnlyList<int> Scales => FullSize;

    public bool Recognizes(ReadOnlySpan<byte> data) => magic?.Invoke(data) ?? false;

    public ImageInfo ReadInfo(ReadOnlySpan<byte> data)
    {
        if (encoding == ImageEncoding.Png && SimplePng.TryReadHeader(data, out int pw, out int ph, out int pc, out bool simple) && simple)
        {
            CheckSize(pw, ph);
            return new ImageInfo(pw, ph, pc);
        }
        fixed (byte* p = data)
        {
            var (codec, skData) = Open(p, data.Length);
            using var _ = skData;
            using var __ = codec;
            var info = codec.Info;
            int channels = info.ColorType == SKColorType.Gray8 ? 1 : info.AlphaType == SKAlphaType.Opaque ? 3 : 4;
            var origin = codec.EncodedOrigin;
            return new ImageInfo(info.Width, info.Height, channels, origin is >= SKEncodedOrigin.TopLeft and <= SKEncodedOrigin.LeftBottom ? (ImageOrientation)origin : ImageOrientation.Normal);
        }
    }

    public void Decode(ReadOnlySpan<byte> data, int scale, int channels, Span<byte> pixels)
    {
        if (scale != 1) throw new ArgumentException($"{ImageEncodingNames.Name(encoding).ToUpperInvariant()} decodes at full size only, not 1/{scale}.", nameof(scale));
        if (encoding == ImageEncoding.Png && SimplePng.TryReadHeader(data, out int pw, out int ph, out int pc, out bool simple) && simple && pc == channels)
        {
            CheckSize(pw, ph);
            SimplePng.Decode(data, pixels, new ImageShape(ph, pw, channels), "PNG");
            return;
        }
        fixed (byte* p = data)
        {
            var (codec, skData) = Open(p, data.Length);
            using var _ = skData;
            using var __ = codec;
            int w = codec.Info.Width, h = codec.Info.Height;
            long needed = (long)w * h * channels;
            if (pixels.Length < needed)
                throw new ArgumentException($"Decoding {w}×{h}×{channels} needs {needed} bytes; the buffer holds {pixels.Length}.", nameof(pixels));
            if (channels is 1 or 4)
            {
                var info = new SKImageInfo(w, h, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, channels == 1 ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
                fixed (byte* output = pixels) Check(codec.GetPixels(info, (IntPtr)output));
                return;
            }
            byte[] rgba = ArrayPool<byte>.Shared.Rent(w * h * 4);
            try
            {
                fixed (byte* output = rgba) Check(codec.GetPixels(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul), (IntPtr)output));
                PixelOps.ConvertChannels(rgba, 4, pixels, 3, w * h);
            }
            finally { ArrayPool<byte>.Shared.Return(rgba); }
        }
    }

    /// <summary>Decodes at full size, then averages <paramref name="scale"/>×<paramref name="scale"/> boxes (for formats without DCT scaling).</summary>
    public static void DecodeScaledByBoxes(IImageCodec codec, ReadOnlySpan<byte> data, int scale, int channels, Span<byte> pixels)
    {
        if (scale == 1)
        {
            codec.Decode(data, 1, channels, pixels);
            return;
        }
        var info = codec.ReadInfo(data);
        byte[] full = ArrayPool<byte>.Shared.Rent(info.Width * info.Height * channels);
        try
        {
            codec.Decode(data, 1, channels, full);
            var (w, h) = info.ScaledSize(scale);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int c = 0; c < channels; c++)
                    {
                        int sum = 0, n = 0;
                        for (int sy = y * scale; sy < Math.Min(info.Height, (y + 1) * scale); sy++)
                            for (int sx = x * scale; sx < Math.Min(info.Width, (x + 1) * scale); sx++, n++)
                                sum += full[(sy * info.Width + sx) * channels + c];
                        pixels[(y * w + x) * channels + c] = (byte)((sum + n / 2) / n);
                    }
        }
        finally { ArrayPool<byte>.Shared.Return(full); }
    }

    /// <exception cref="InvalidDataException">The size is not positive or over the limits: a likely decompression bomb.</exception>
    public static void CheckSize(int width, int height)
    {
        if (width <= 0 || height <= 0 || width > ImageShape.MaxSide || height > ImageShape.MaxSide || (long)width * height > ImageShape.MaxPixels)
            throw new InvalidDataException($"header claims {width}×{height} pixels, over the limit of {ImageShape.MaxSide} per side and {ImageShape.MaxPixels / (1 << 20)} Mpx; refusing it as a likely decompression bomb");
    }

    /// <summary>A codec over memory the caller keeps pinned until the codec is disposed (no copy of the file).</summary>
    private (SKCodec Codec, SKData Data) Open(byte* data, int length)
    {
        var skData = SKData.Create((IntPtr)data, length, (_, _) => { });
        var codec = SKCodec.Create(skData);
        if (codec is null)
        {
            skData.Dispose();
            throw new InvalidDataException($"not a {ImageEncodingNames.Name(encoding).ToUpperInvariant()} image (damaged, or another kind of file)");
        }
        try { CheckSize(codec.Info.Width, codec.Info.Height); }
        catch
        {
            codec.Dispose();
            skData.Dispose();
            throw;
        }
        return (codec, skData);
    }

    private static void Check(SKCodecResult result)
    {
        // IncompleteInput means a truncated file: Skia fills the rest with zeros, which must not pass as an image.
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"cannot decode image ({result}); the file is damaged or truncated");
    }
}
