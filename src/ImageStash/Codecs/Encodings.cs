using System.Globalization;
using ImageStash.Codecs;

namespace ImageStash.Codecs;

/// <summary>How stores write an <see cref="ImageEncoding"/> as text ("raw", "png", "jpeg", "webp", or the number for others) and name its files.</summary>
internal static class Encodings
{
    public static string Name(ImageEncoding encoding) => encoding switch
    {
        ImageEncoding.Raw => "raw",
        ImageEncoding.Png => "png",
        ImageEncoding.Jpeg => "jpeg",
        ImageEncoding.WebP => "webp",
        _ => ((int)encoding).ToString(CultureInfo.InvariantCulture),
    };

    public static bool TryParse(string text, out ImageEncoding encoding)
    {
        switch (text)
        {
            case "raw": encoding = ImageEncoding.Raw; return true;
            case "png": encoding = ImageEncoding.Png; return true;
            case "jpeg": encoding = ImageEncoding.Jpeg; return true;
            case "webp": encoding = ImageEncoding.WebP; return true;
        }
        bool ok = byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out byte value);
        encoding = (ImageEncoding)value;
        return ok;
    }

    /// <summary>The extension of a file holding a payload of this encoding (raw pixels are kept as PNG files).</summary>
    public static string Extension(ImageEncoding encoding) => encoding switch
    {
        ImageEncoding.Raw or ImageEncoding.Png => ".png",
        ImageEncoding.Jpeg => ".jpg",
        ImageEncoding.WebP => ".webp",
        _ => ImageCodecs.Get(encoding).Extension,
    };
}
