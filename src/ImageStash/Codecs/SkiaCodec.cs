using System.Buffers;
using ImageStash.Codecs;
using SkiaSharp;

namespace ImageStash.Codecs;

/// <summary>
/// PNG and WebP (and JPEG where libturbojpeg is missing, or for CMYK files) through SkiaSharp's bundled decoders.
/// PNGs of the kind ImageStash writes itself (8-bit grey, RGB or RGBA, not interlaced) take <see cref="SimplePng"/>,
/// which is faster and allocation-free. PNG also decodes at 1/2, 1/4 and 1/8 (box averages); a large simple PNG row by
/// row, so its memory follows the output, not the header (issue 23's decompression bombs).
/// </summary>
internal sealed unsafe class SkiaCodec(ImageEncoding encoding, string extension, Func<ReadOnlySpan<byte>, bool>? magic = null, int[]? scales = null) : IImageCodec
{
    private static readonly int[] FullSize = [1];

    /// <summary>Above this many bytes of decoded pixels, a scaled decode goes row by row instead of through one buffer.</summary>
    internal const long StreamAbove = 16L << 20;

    public static SkiaCodec Png { get; } = new(ImageEncoding.Png, ".png", d => d.StartsWith((ReadOnlySpan<byte>)[137, 80, 78, 71, 13, 10, 26, 10]), [1, 2, 4, 8]);

    public static SkiaCodec WebP { get; } = new(ImageEncoding.WebP, ".webp", d => d.Length >= 12 && d.StartsWith("RIFF"u8) && d[8..].StartsWith("WEBP"u8));

    public ImageEncoding Encoding => encoding;

    public string Extension => extension;

    public IReadOnlyList<int> Scales => scales ?? FullSize;

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
        if (Array.IndexOf(scales ?? FullSize, scale) < 0)
            throw new ArgumentException($"{ImageEncodingNames.Name(encoding).ToUpperInvariant()} decodes at {string.Join(", ", Scales.Select(s => $"1/{s}"))}, not 1/{scale}.", nameof(scale));
        if (encoding == ImageEncoding.Png && SimplePng.TryReadHeader(data, out int pw, out int ph, out int pc, out bool simple) && simple)
        {
            CheckSize(pw, ph);
            if (scale == 1 && pc == channels)
            {
                SimplePng.Decode(data, pixels, new ImageShape(ph, pw, channels), "PNG");
                return;
            }
            // Row by row: other channels at full size (no whole buffer of the file's channels beside the output), and
            // a large image at a scale. A small one is decoded whole and averaged, which is faster.
            if (scale == 1 || (long)pw * ph * channels > StreamAbove)
            {
                DecodeRows(data, new ImageShape(ph, pw, pc), scale, channels, pixels);
                return;
            }
        }
        if (scale > 1)
        {
            DecodeScaledByBoxes(this, data, scale, channels, pixels);
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

    /// <summary>
    /// Decodes a simple PNG of <paramref name="stored"/> shape a row at a time, converting each row to
    /// <paramref name="channels"/> and writing each band of <paramref name="scale"/> rows' box averages: the memory of
    /// one band, not of the image.
    /// </summary>
    private static void DecodeRows(ReadOnlySpan<byte> data, ImageShape stored, int scale, int channels, Span<byte> pixels)
    {
        int width = stored.Width, height = stored.Height, outWidth = (width + scale - 1) / scale;
        long needed = (long)outWidth * ((height + scale - 1) / scale) * channels;
        if (pixels.Length < needed) throw new ArgumentException($"Decoding 1/{scale} of {width}×{height}×{channels} needs {needed} bytes; the buffer holds {pixels.Length}.", nameof(pixels));
        int rowBytes = width * channels;
        byte[] row = ArrayPool<byte>.Shared.Rent(width * stored.Channels);
        byte[] band = ArrayPool<byte>.Shared.Rent(scale == 1 ? 0 : scale * rowBytes);
        try
        {
            using var rows = new SimplePng.RowReader(data, stored, "PNG");
            for (int y = 0; y < height; y++)
            {
                rows.Next(row);
                var into = scale == 1 ? pixels.Slice(y * rowBytes, rowBytes) : band.AsSpan(y % scale * rowBytes, rowBytes);
                PixelOps.ConvertChannels(row, stored.Channels, into, channels, width);
                if (scale > 1 && (y % scale == scale - 1 || y == height - 1))
                    AverageBand(band, y % scale + 1, width, channels, scale, pixels.Slice(y / scale * outWidth * channels, outWidth * channels));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
            ArrayPool<byte>.Shared.Return(band);
        }
    }

    /// <summary>Writes one output row: the averages of <paramref name="scale"/>-wide boxes over the band's <paramref name="rows"/> rows (fewer at the edges).</summary>
    private static void AverageBand(ReadOnlySpan<byte> band, int rows, int width, int channels, int scale, Span<byte> output)
    {
        int rowBytes = width * channels;
        for (int x = 0, ox = 0; x < width; x += scale, ox++)
        {
            int x1 = Math.Min(width, x + scale), count = (x1 - x) * rows;
            for (int c = 0; c < channels; c++)
            {
                int sum = 0;
                for (int r = 0; r < rows; r++)
                    for (int sx = x; sx < x1; sx++) sum += band[r * rowBytes + sx * channels + c];
                output[ox * channels + c] = (byte)((sum + count / 2) / count);
            }
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
            int rowBytes = info.Width * channels;
            for (int y = 0; y < h; y++)
                AverageBand(full.AsSpan(y * scale * rowBytes), Math.Min(scale, info.Height - y * scale), info.Width, channels, scale, pixels.Slice(y * w * channels, w * channels));
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
