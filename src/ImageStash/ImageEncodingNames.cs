using System.Globalization;

namespace ImageStash;

/// <summary>
/// How an <see cref="ImageEncoding"/> is written as text in stores' files and on the command line: "raw", "png",
/// "jpeg", "webp", or the number for an encoding a registered codec serves.
/// </summary>
public static class ImageEncodingNames
{
    /// <summary>The text for <paramref name="encoding"/>.</summary>
    public static string Name(ImageEncoding encoding) => encoding switch
    {
        ImageEncoding.Raw => "raw",
        ImageEncoding.Png => "png",
        ImageEncoding.Jpeg => "jpeg",
        ImageEncoding.WebP => "webp",
        _ => ((int)encoding).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads the text <see cref="Name"/> writes; false when it names no encoding.</summary>
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
}
