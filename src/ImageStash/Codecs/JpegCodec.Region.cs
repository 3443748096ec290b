
namespace ImageStash.Codecs;

/// <summary>The JPEG codec's region decode, through the libjpeg shim (<see cref="JpegRegion"/>).</summary>
internal sealed partial class JpegCodec
{
    public bool DecodesRegions => TurboJpeg.Available && JpegRegion.Available;

    public void DecodeRegion(ReadOnlySpan<byte> data, int scale, int x, int y, int width, int height, int channels, Span<byte> pixels)
    {
        if (!DecodesRegions)
        {
            RegionDecode.WholeThenCopy(this, data, scale, x, y, width, height, channels, pixels);
            return;
        }
        if (Array.IndexOf(DctScales, scale) < 0) throw new ArgumentException($"JPEG decodes at 1/1, 1/2, 1/4 or 1/8, not 1/{scale}.", nameof(scale));
        var (fullWidth, fullHeight, colorspace) = Header(data);
        SkiaCodec.CheckSize(fullWidth, fullHeight);
        RegionDecode.Check((fullWidth + scale - 1) / scale, (fullHeight + scale - 1) / scale, x, y, width, height, channels, pixels.Length);
        if (colorspace is TurboJpeg.ColorspaceCmyk or TurboJpeg.ColorspaceYcck)
        {
            RegionDecode.WholeThenCopy(this, data, scale, x, y, width, height, channels, pixels);
            return;
        }
        int status = JpegRegion.Decode(data, scale, x, y, width, height, channels, pixels, out string? message);
        switch (status)
        {
            case JpegRegion.Ok: return;
            case JpegRegion.Corrupt: throw new InvalidDataException($"cannot decode JPEG ({message?.TrimEnd('.')}); the file is damaged or truncated");
            case JpegRegion.TooManyScans: throw new InvalidDataException($"cannot decode JPEG ({message}); the file is damaged or hostile");
            case JpegRegion.Unsupported:
                RegionDecode.WholeThenCopy(this, data, scale, x, y, width, height, channels, pixels);
                return;
            default: throw new ArgumentException($"The JPEG region decoder refused ({message}).", nameof(x));
        }
    }
}
