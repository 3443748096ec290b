using ImageStash.Codecs;

namespace ImageStash.Codecs;

/// <summary>Whole-image pixel operations on HWC bytes: channel conversion and EXIF orientation.</summary>
internal static class PixelOps
{
    /// <summary>
    /// Converts <paramref name="pixels"/> pixels from <paramref name="from"/> to <paramref name="to"/> channels:
    /// grey is replicated, alpha dropped (as PIL's convert("RGB") does) or made opaque, colour to grey by BT.601 luma
    /// (PIL's convert("L")). Source and destination may be the same buffer when channels do not grow.
    /// </summary>
    public static void ConvertChannels(ReadOnlySpan<byte> source, int from, Span<byte> destination, int to, int pixels)
    {
        if (from == to)
        {
            source[..(pixels * from)].CopyTo(destination);
            return;
        }
        switch (from, to)
        {
            case (1, 3):
                for (int i = pixels - 1; i >= 0; i--) destination[3 * i] = destination[3 * i + 1] = destination[3 * i + 2] = source[i];
                break;
            case (1, 4):
                for (int i = pixels - 1; i >= 0; i--)
                {
                    byte v = source[i];
                    destination[4 * i] = destination[4 * i + 1] = destination[4 * i + 2] = v;
                    destination[4 * i + 3] = 255;
                }
                break;
            case (3, 4):
                for (int i = pixels - 1; i >= 0; i--)
                {
                    destination[4 * i + 3] = 255;
                    destination[4 * i + 2] = source[3 * i + 2];
                    destination[4 * i + 1] = source[3 * i + 1];
                    destination[4 * i] = source[3 * i];
                }
                break;
            case (4, 3):
                for (int i = 0; i < pixels; i++)
                {
                    destination[3 * i] = source[4 * i];
                    destination[3 * i + 1] = source[4 * i + 1];
                    destination[3 * i + 2] = source[4 * i + 2];
                }
                break;
            case (3 or 4, 1):
                for (int i = 0, s = 0; i < pixels; i++, s += from)
                    destination[i] = (byte)((source[s] * 299 + source[s + 1] * 587 + source[s + 2] * 114 + 500) / 1000);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(to), $"Cannot convert {from} channels to {to}.");
        }
    }

    /// <summary>
    /// Turns stored pixels (<paramref name="width"/> × <paramref name="height"/>) upright per the orientation into
    /// <paramref name="destination"/> (a different buffer), whose size is swapped for quarter turns.
    /// </summary>
    public static void Orient(ReadOnlySpan<byte> source, int width, int height, int channels, ImageOrientation orientation, Span<byte> destination)
    {
        bool swap = orientation >= ImageOrientation.Transpose;
        int outWidth = swap ? height : width;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (ox, oy) = orientation switch
                {
                    ImageOrientation.FlipHorizontal => (width - 1 - x, y),
                    ImageOrientation.Rotate180 => (width - 1 - x, height - 1 - y),
                    ImageOrientation.FlipVertical => (x, height - 1 - y),
                    ImageOrientation.Transpose => (y, x),
                    ImageOrientation.Rotate90 => (height - 1 - y, x),
                    ImageOrientation.Transverse => (height - 1 - y, width - 1 - x),
                    ImageOrientation.Rotate270 => (y, width - 1 - x),
                    _ => (x, y),
                };
                source.Slice((y * width + x) * channels, channels).CopyTo(destination[((oy * outWidth + ox) * channels)..]);
            }
    }
}
