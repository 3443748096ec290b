using System.Buffers;

namespace ImageStash.Codecs;

/// <summary>What every <see cref="IImageCodec.DecodeRegion"/> shares: the request's checks, and the whole-decode path.</summary>
internal static class RegionDecode
{
    /// <summary>Checks a region request against the scaled image's size and the buffer's length.</summary>
    /// <exception cref="ArgumentException">The rectangle is empty or not inside the image, or the buffer is too small.</exception>
    public static void Check(int imageWidth, int imageHeight, int x, int y, int width, int height, int channels, int bufferLength)
    {
        if (x < 0 || y < 0 || width <= 0 || height <= 0 || (long)x + width > imageWidth || (long)y + height > imageHeight)
            throw new ArgumentException($"The region ({x}, {y}, {width}×{height}) is not inside the {imageWidth}×{imageHeight} image.", nameof(x));
        if (bufferLength < (long)width * height * channels)
            throw new ArgumentException($"Decoding {width}×{height}×{channels} needs {(long)width * height * channels} bytes; the buffer holds {bufferLength}.", "pixels");
    }

    /// <summary>Decodes the whole image at the scale into a pooled buffer and copies the rectangle out.</summary>
    public static void WholeThenCopy(IImageCodec codec, ReadOnlySpan<byte> data, int scale, int x, int y, int width, int height, int channels, Span<byte> pixels)
    {
        var (fullWidth, fullHeight) = codec.ReadInfo(data).ScaledSize(scale);
        Check(fullWidth, fullHeight, x, y, width, height, channels, pixels.Length);
        byte[] whole = ArrayPool<byte>.Shared.Rent(checked(fullWidth * fullHeight * channels));
        try
        {
            codec.Decode(data, scale, channels, whole);
            int row = width * channels;
            for (int r = 0; r < height; r++)
                whole.AsSpan(((y + r) * fullWidth + x) * channels, row).CopyTo(pixels.Slice(r * row, row));
        }
        finally { ArrayPool<byte>.Shared.Return(whole); }
    }
}
