using SkiaSharp;

namespace ImageStash.Codecs;

/// <summary>
/// Encodes raw pixels (8-bit HWC: grey, RGB or RGBA) into a file's bytes, as import's <c>--encode png|jpeg</c> and
/// export do: PNG with the stores' own encoder, JPEG with the system's libturbojpeg (SkiaSharp without it).
/// </summary>
public static unsafe class ImageEncoder
{
    /// <summary>A PNG of <paramref name="pixels"/> (8-bit grey, RGB or RGBA; zlib level 6, a filter per row).</summary>
    /// <param name="pixels">Height × width × channels bytes, row-major (bytes past those are ignored).</param>
    /// <param name="shape">The pixels' shape.</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> holds fewer bytes than <paramref name="shape"/> needs.</exception>
    public static byte[] Png(ReadOnlySpan<byte> pixels, ImageShape shape)
    {
        Check(pixels, shape);
        return SimplePng.Encode(pixels, shape);
    }

    /// <summary>A baseline JPEG, 4:2:0 (grey for one channel), at <paramref name="quality"/> (1–100); alpha is dropped.</summary>
    /// <param name="pixels">Height × width × channels bytes, row-major (bytes past those are ignored).</param>
    /// <param name="shape">The pixels' shape.</param>
    /// <param name="quality">JPEG quality, 1 to 100.</param>
    /// <returns>The JPEG file's bytes.</returns>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> holds fewer bytes than <paramref name="shape"/> needs.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quality"/> is outside 1–100.</exception>
    /// <exception cref="InvalidOperationException">The encoder failed (the message says why).</exception>
    public static byte[] Jpeg(ReadOnlySpan<byte> pixels, ImageShape shape, int quality)
    {
        Check(pixels, shape);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        if (!TurboJpeg.Available) return SkiaJpeg(pixels, shape, quality);
        int format = shape.Channels switch { 1 => TurboJpeg.PixelGray, 3 => TurboJpeg.PixelRgb, _ => TurboJpeg.PixelRgba };
        nint handle = TurboJpeg.Compressor;
        byte* output = null;
        nuint size = 0;
        fixed (byte* input = pixels)
        {
            if (TurboJpeg.tjCompress2(handle, input, shape.Width, 0, shape.Height, format, &output, &size,
                    shape.Channels == 1 ? TurboJpeg.SubsamplingGray : TurboJpeg.Subsampling420, quality, 0) != 0)
                throw new InvalidOperationException($"JPEG encoding failed: {TurboJpeg.TakeError(handle)}");
        }
        try { return new ReadOnlySpan<byte>(output, (int)size).ToArray(); }
        finally { TurboJpeg.tjFree(output); }
    }

    private static void Check(ReadOnlySpan<byte> pixels, ImageShape shape)
    {
        if (pixels.Length < shape.ByteCount)
            throw new ArgumentException($"{pixels.Length} bytes of pixels are too few for a {shape} image ({shape.ByteCount} bytes).", nameof(pixels));
    }

    private static byte[] SkiaJpeg(ReadOnlySpan<byte> pixels, ImageShape shape, int quality)
    {
        byte[] rgba = new byte[shape.Height * shape.Width * 4];
        PixelOps.ConvertChannels(pixels, shape.Channels, rgba, 4, shape.Height * shape.Width);
        fixed (byte* p = rgba)
        {
            using var pixmap = new SKPixmap(new SKImageInfo(shape.Width, shape.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), (IntPtr)p, shape.Width * 4);
            using var data = pixmap.Encode(SKEncodedImageFormat.Jpeg, quality)
                ?? throw new InvalidOperationException("Skia could not encode a JPEG.");
            return data.ToArray();
        }
    }
}
