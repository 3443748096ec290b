namespace ImageStash;

/// <summary>
/// How a record's payload is stored: raw pixels, or the bytes of an encoded image kept exactly as they came.
/// The value is the id stores write into their files (docs/formats/); a codec registered with
/// <see cref="Codecs.ImageCodecs"/> for another id (16 and up are free) serves that encoding.
/// </summary>
public enum ImageEncoding : byte
{
    /// <summary>Raw pixels, height × width × channels bytes, row-major HWC.</summary>
    Raw = 0,

    /// <summary>A PNG file.</summary>
    Png = 1,

    /// <summary>A JPEG (JFIF/Exif) file.</summary>
    Jpeg = 2,

    /// <summary>A WebP file.</summary>
    WebP = 3,
}
