using SkiaSharp;

namespace ImageStash.Codecs;

/// <summary>Encodes pixels for import's <c>--encode png|jpeg</c> and for export: PNG with <see cref="SimplePng"/>, JPEG with TurboJPEG (Skia without it).</summary>
internal static unsafe class ImageEncoder
{
    public static byte[] Png(ReadOnlySpan<byte> pixels, ImageShape shape) => SimplePng.Encode(pixels, shape);

    /// <summary>A baseline JPEG, 4:2:0 (grey for one channel), at <paramref name="quality"/> (1–100); alpha is dropped.</summary>
    public static byte[] Jpeg(ReadOnlySpan<byte> pixels, ImageShape shape, int quality)
    {
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
