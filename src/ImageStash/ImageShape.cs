namespace ImageStash;

/// <summary>The shape of one image: height, width and channels, stored row-major as HWC bytes.</summary>
public readonly record struct ImageShape
{
    /// <summary>The largest height or width any store accepts.</summary>
    public const int MaxSide = 32_768;

    /// <summary>
    /// The most pixels one image may have in any store (256 Mpx), so that every image's bytes fit one buffer (at most
    /// 1 GiB). This is the bound stored shapes are checked against, and it never shrinks: stores written with it stay
    /// readable. Decoding files from outside (import, the loader) has its own, lower limit,
    /// <see cref="DefaultMaxPixels"/> by default.
    /// </summary>
    public const long MaxPixels = 256L * 1024 * 1024;

    /// <summary>
    /// The default decode limit (PIL's <c>Image.MAX_IMAGE_PIXELS</c>: 178,956,970 pixels) of
    /// <see cref="Sources.SourceOptions.MaxPixels"/> and <see cref="Loading.LoaderOptions.MaxPixels"/>: a header
    /// claiming more is refused as a likely decompression bomb before anything is allocated for it.
    /// </summary>
    public const long DefaultMaxPixels = 178_956_970;

    /// <summary>Creates a shape.</summary>
    /// <param name="height">Rows, 1 to <see cref="MaxSide"/>.</param>
    /// <param name="width">Columns, 1 to <see cref="MaxSide"/>.</param>
    /// <param name="channels">1 (grey), 3 (RGB) or 4 (RGBA).</param>
    /// <exception cref="ArgumentOutOfRangeException">A side is out of range, the image has more than
    /// <see cref="MaxPixels"/> pixels, or channels is not 1, 3 or 4.</exception>
    public ImageShape(int height, int width, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxSide);
        if ((long)height * width > MaxPixels)
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}×{height} is {(long)height * width:N0} pixels, over the limit of {MaxPixels:N0} (256 Mpx) per image.");
        if (channels is not (1 or 3 or 4))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1, 3 or 4.");
        Height = height;
        Width = width;
        Channels = channels;
    }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Bytes per pixel: 1, 3 or 4.</summary>
    public int Channels { get; }

    /// <summary>The number of pixel bytes: height × width × channels (at most 1 GiB for one image).</summary>
    public long ByteCount => (long)Height * Width * Channels;

    /// <summary><see cref="ByteCount"/> as a buffer length (always fits: see <see cref="MaxPixels"/>).</summary>
    public int Length => (int)ByteCount;

    /// <summary>The same size with another channel count.</summary>
    public ImageShape WithChannels(int channels) => new(Height, Width, channels);

    /// <summary>Parses "WxH" (as the CLI's <c>--resize</c> takes it) into a 3-channel shape.</summary>
    /// <exception cref="FormatException">The text is not two positive integers joined by 'x'.</exception>
    public static ImageShape ParseSize(string text, int channels = 3)
    {
        var parts = text.Split('x', 'X', '×');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var w) || !int.TryParse(parts[1], out var h)
            || w < 1 || h < 1 || w > MaxSide || h > MaxSide || (long)w * h > MaxPixels)
            throw new FormatException($"'{text}' is not a size; write it as WIDTHxHEIGHT, e.g. 32x32.");
        return new ImageShape(h, w, channels);
    }

    /// <summary>Height×width×channels, e.g. "32×32×3".</summary>
    public override string ToString() => $"{Height}×{Width}×{Channels}";
}
