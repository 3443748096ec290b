using ImageStash.Codecs;

namespace ImageStash.Codecs;

/// <summary>
/// JPEG through the system's libjpeg-turbo (<see cref="TurboJpeg"/>), with DCT-domain scaling (1/2, 1/4, 1/8);
/// through Skia where libturbojpeg is missing, and always for CMYK/YCCK files, which TurboJPEG cannot turn into RGB.
/// Any decoder warning (a truncated file, corrupt data) is an error: a partial image is never passed on.
/// </summary>
internal sealed unsafe partial class JpegCodec : IImageCodec
{
    private static readonly int[] DctScales = [1, 2, 4, 8];
    private readonly SkiaCodec _fallback = new(ImageEncoding.Jpeg, ".jpg", Recognize);

    public ImageEncoding Encoding => ImageEncoding.Jpeg;

    public string Extension => ".jpg";

    public IReadOnlyList<int> Scales => TurboJpeg.Available ? DctScales : _fallback.Scales;

    public bool Recognizes(ReadOnlySpan<byte> data) => Recognize(data);

    private static bool Recognize(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    public ImageInfo ReadInfo(ReadOnlySpan<byte> data)
    {
        if (!TurboJpeg.Available) return _fallback.ReadInfo(data);
        var (width, height, colorspace) = Header(data);
        if (colorspace is TurboJpeg.ColorspaceCmyk or TurboJpeg.ColorspaceYcck) return _fallback.ReadInfo(data);
        SkiaCodec.CheckSize(width, height);
        return new ImageInfo(width, height, colorspace == TurboJpeg.ColorspaceGray ? 1 : 3, Exif.JpegOrientation(data));
    }

    public void Decode(ReadOnlySpan<byte> data, int scale, int channels, Span<byte> pixels)
    {
        if (!TurboJpeg.Available)
        {
            _fallback.Decode(data, scale, channels, pixels);
            return;
        }
        if (Array.IndexOf(DctScales, scale) < 0) throw new ArgumentException($"JPEG decodes at 1/1, 1/2, 1/4 or 1/8, not 1/{scale}.", nameof(scale));
        var (width, height, colorspace) = Header(data);
        SkiaCodec.CheckSize(width, height);
        int w = (width + scale - 1) / scale, h = (height + scale - 1) / scale;
        if (pixels.Length < (long)w * h * channels)
            throw new ArgumentException($"Decoding {w}×{h}×{channels} needs {(long)w * h * channels} bytes; the buffer holds {pixels.Length}.", nameof(pixels));
        if (colorspace is TurboJpeg.ColorspaceCmyk or TurboJpeg.ColorspaceYcck)
        {
            SkiaCodec.DecodeScaledByBoxes(_fallback, data, scale, channels, pixels);
            return;
        }
        int format = channels switch { 1 => TurboJpeg.PixelGray, 3 => TurboJpeg.PixelRgb, 4 => TurboJpeg.PixelRgba, _ => throw new ArgumentOutOfRangeException(nameof(channels)) };
        nint handle = TurboJpeg.Decompressor;
        fixed (byte* jpeg = data)
        fixed (byte* output = pixels)
            if (TurboJpeg.tjDecompress2(handle, jpeg, (nuint)data.Length, output, w, 0, h, format, TurboJpeg.FlagStopOnWarning | TurboJpeg.FlagLimitScans) != 0)
                throw new InvalidDataException($"cannot decode JPEG ({TurboJpeg.TakeError(handle).TrimEnd('.')}); the file is damaged or truncated");
    }

    private static (int Width, int Height, int Colorspace) Header(ReadOnlySpan<byte> data)
    {
        nint handle = TurboJpeg.Decompressor;
        int width, height, subsampling, colorspace;
        fixed (byte* jpeg = data)
            if (TurboJpeg.tjDecompressHeader3(handle, jpeg, (nuint)data.Length, &width, &height, &subsampling, &colorspace) != 0)
                throw new InvalidDataException($"not a JPEG image ({TurboJpeg.TakeError(handle).TrimEnd('.')})");
        return (width, height, colorspace);
    }
}
