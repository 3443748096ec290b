namespace ImageStash;

/// <summary>The shape of one image: height, width and channels, stored row-major as HWC bytes.</summary>
public readonly record struct ImageShape
{
    /// <summary>The largest height or width any store accepts; larger headers are treated as decompression bombs.</summary>
    public const int MaxSide = 32_768;

    /// <summary>Creates a shape.</summary>
    /// <param name="height">Rows, 1 to <see cref="MaxSide"/>.</param>
    /// <param name="width">Columns, 1 to <see cref="MaxSide"/>.</param>
    /// <param name="channels">1 (grey), 3 (RGB) or 4 (RGBA).</param>
    /// <exception cref="ArgumentOutOfRangeException">A side is out of range or channels is not 1, 3 or 4.</exception>
    public ImageShape(int height, int width, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, MaxSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, MaxSide);
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

    /// <summary>The number of pixel bytes: height × width × channels.</summary>
    public int ByteCount => Height * Width * Channels;

    /// <summary>Parses "WxH" (as the CLI's <c>--resize</c> takes it) into a 3-channel shape.</summary>
    /// <exception cref="FormatException">The text is not two positive integers joined by 'x'.</exception>
    public static ImageShape ParseSize(string text, int channels = 3)
    {
        var parts = text.Split('x', 'X', '×');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var w) || !int.TryParse(parts[1], out var h)
            || w < 1 || h < 1 || w > MaxSide || h > MaxSide)
            throw new FormatException($"'{text}' is not a size; write it as WIDTHxHEIGHT, e.g. 32x32.");
        return new ImageShape(h, w, channels);
    }

    /// <summary>Height×width×channels, e.g. "32×32×3".</summary>
    public override string ToString() => $"{Height}×{Width}×{Channels}";
}
