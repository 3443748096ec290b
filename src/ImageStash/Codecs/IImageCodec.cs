namespace ImageStash.Codecs;

/// <summary>
/// Reads one image file format. Register an implementation with <see cref="ImageCodecs.Register"/> to add a format
/// or replace a built-in one; import, export, verify and the loader then use it for every record of its
/// <see cref="Encoding"/>. Implementations must be safe to call from several threads at once.
/// </summary>
public interface IImageCodec
{
    /// <summary>The encoding this codec reads, as stores record it.</summary>
    ImageEncoding Encoding { get; }

    /// <summary>The file extension, with its dot (".jpg"): what export and the folder store name files with.</summary>
    string Extension { get; }

    /// <summary>The denominators <see cref="Decode"/> can shrink by while decoding: 1 always, and 2, 4 and 8 where the
    /// format decodes smaller images for less work (JPEG's DCT scaling) or less memory (PNG's box averages, row strip by
    /// row strip).</summary>
    IReadOnlyList<int> Scales { get; }

    /// <summary>Whether <paramref name="data"/> starts the way this format's files do (its magic number).</summary>
    bool Recognizes(ReadOnlySpan<byte> data);

    /// <summary>Reads the size, channel count and orientation from the header, without decoding the pixels.</summary>
    /// <exception cref="InvalidDataException">The header is damaged, or claims more than <see cref="ImageShape.MaxPixels"/>.</exception>
    ImageInfo ReadInfo(ReadOnlySpan<byte> data);

    /// <summary>
    /// Decodes the whole image at 1/<paramref name="scale"/> of its stored size (<see cref="ImageInfo.ScaledSize"/>),
    /// in stored orientation, into <paramref name="pixels"/> as row-major HWC bytes with <paramref name="channels"/>
    /// channels (1 grey, 3 RGB, 4 RGBA: grey is replicated, alpha dropped or set opaque as needed).
    /// </summary>
    /// <exception cref="InvalidDataException">The data is damaged or truncated: a partial image is never returned.</exception>
    /// <exception cref="ArgumentException">The scale is not in <see cref="Scales"/>, or the buffer is too small.</exception>
    void Decode(ReadOnlySpan<byte> data, int scale, int channels, Span<byte> pixels);

    /// <summary>
    /// Whether <see cref="DecodeRegion"/> does less work than a whole decode (JPEG: only the region's rows and
    /// columns). False for the default implementation, which decodes whole and copies: callers then decode whole
    /// themselves. The default value is false.
    /// </summary>
    bool DecodesRegions => false;

    /// <summary>
    /// Decodes the rectangle (<paramref name="x"/>, <paramref name="y"/>, <paramref name="width"/> ×
    /// <paramref name="height"/>) of the image at 1/<paramref name="scale"/> of its stored size — coordinates in
    /// pixels of <see cref="ImageInfo.ScaledSize"/>, stored orientation — into <paramref name="pixels"/> as
    /// <paramref name="width"/> × <paramref name="height"/> × <paramref name="channels"/> row-major HWC bytes.
    /// A region decoder may differ from the same rectangle of a whole decode by a few levels near the region's edges
    /// (JPEG's chroma upsampling sees other neighbours); docs/formats/codecs.md gives the measured bound.
    /// The default implementation decodes the whole image and copies the rectangle.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is damaged or truncated: a partial image is never returned.</exception>
    /// <exception cref="ArgumentException">The scale is not in <see cref="Scales"/>, the rectangle is not inside the scaled image, or the buffer is too small.</exception>
    void DecodeRegion(ReadOnlySpan<byte> data, int scale, int x, int y, int width, int height, int channels, Span<byte> pixels) =>
        RegionDecode.WholeThenCopy(this, data, scale, x, y, width, height, channels, pixels);
}
