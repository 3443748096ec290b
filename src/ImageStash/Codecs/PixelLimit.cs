namespace ImageStash.Codecs;

/// <summary>
/// The decode limit for files from outside (import's sources, the loader): a header claiming more pixels is refused
/// before anything is allocated for it, as PIL refuses decompression bombs.
/// </summary>
internal static class PixelLimit
{
    /// <summary>Checks a limit given in an options class.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not 1 to <see cref="ImageShape.MaxPixels"/>.</exception>
    public static long Validate(long value) =>
        value is >= 1 and <= ImageShape.MaxPixels ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"The pixel limit is 1 to {ImageShape.MaxPixels:N0} (the most any store holds).");

    /// <summary>Refuses an image of more than <paramref name="limit"/> pixels, in a message that says how to raise the limit.</summary>
    /// <param name="info">The image's header.</param>
    /// <param name="limit">The most pixels allowed.</param>
    /// <param name="option">How the caller raises the limit, e.g. "--max-pixels (SourceOptions.MaxPixels)".</param>
    /// <exception cref="InvalidDataException">The image is over the limit.</exception>
    public static void Check(ImageInfo info, long limit, string option)
    {
        if (Refusal(info, limit, option) is { } refusal) throw new InvalidDataException(refusal);
    }

    /// <summary>Why an image over the limit is refused, or null when it is within it.</summary>
    public static string? Refusal(ImageInfo info, long limit, string option)
    {
        long pixels = (long)info.Width * info.Height;
        return pixels <= limit ? null
            : $"{info.Width:N0}×{info.Height:N0} is {pixels:N0} pixels, over the limit of {limit:N0} (a likely decompression bomb); if the image is genuine, raise the limit with {option}";
    }
}
