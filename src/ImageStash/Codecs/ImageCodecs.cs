using System.Buffers;

namespace ImageStash.Codecs;

/// <summary>
/// The codecs ImageStash decodes with, one per <see cref="ImageEncoding"/>: JPEG through the system's libjpeg-turbo
/// (Skia where it is missing), PNG and WebP through SkiaSharp. <see cref="Register"/> adds or replaces one.
/// </summary>
public static class ImageCodecs
{
    private static readonly object Gate = new();
    private static IImageCodec[] _codecs = [new JpegCodec(), SkiaCodec.Png, SkiaCodec.WebP];

    /// <summary>
    /// Why the built-in JPEG codec decodes whole images where a region is asked for (ImageStash's libjpeg shim not
    /// built or not loadable: another OS, or no gcc and libjpeg62-turbo-dev at build time), in a sentence; null when it
    /// decodes regions.
    /// </summary>
    public static string? RegionDecodeMissing => !TurboJpeg.Available ? "libturbojpeg is missing" : JpegRegion.Missing;

    /// <summary>The registered codecs.</summary>
    public static IReadOnlyList<IImageCodec> All => Volatile.Read(ref _codecs);

    /// <summary>Adds a codec, replacing the one registered for its encoding.</summary>
    /// <exception cref="ArgumentException">The codec claims <see cref="ImageEncoding.Raw"/>.</exception>
    public static void Register(IImageCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        if (codec.Encoding == ImageEncoding.Raw) throw new ArgumentException("Raw pixels need no codec.", nameof(codec));
        lock (Gate) _codecs = [codec, .. _codecs.Where(c => c.Encoding != codec.Encoding)];
    }

    /// <summary>The codec for an encoding.</summary>
    /// <exception cref="ImageStashException">No codec is registered for it.</exception>
    public static IImageCodec Get(ImageEncoding encoding)
    {
        foreach (var codec in Volatile.Read(ref _codecs)) // the array itself: no enumerator per call (the loader asks per image)
            if (codec.Encoding == encoding) return codec;
        throw new ImageStashException($"no codec reads encoding {(int)encoding} ({encoding}); register one with ImageCodecs.Register.", ImageStashError.DoesNotFit);
    }

    /// <summary>The extension of a file holding a payload of <paramref name="encoding"/> (".png", ".jpg", ".webp", or
    /// the registered codec's); raw pixels are written as PNG files.</summary>
    /// <exception cref="ImageStashException">The encoding is not built in and no codec is registered for it.</exception>
    public static string FileExtension(ImageEncoding encoding) => encoding switch
    {
        ImageEncoding.Raw or ImageEncoding.Png => ".png",
        ImageEncoding.Jpeg => ".jpg",
        ImageEncoding.WebP => ".webp",
        _ => Get(encoding).Extension,
    };

    /// <summary>The codec whose files start like <paramref name="data"/>, or null when none recognizes it.</summary>
    public static IImageCodec? Detect(ReadOnlySpan<byte> data)
    {
        foreach (var codec in Volatile.Read(ref _codecs))
            if (codec.Recognizes(data)) return codec;
        return null;
    }

    /// <summary>
    /// Decodes an encoded image upright (its orientation applied) at full size into <paramref name="pixels"/> with
    /// <paramref name="channels"/> channels.
    /// </summary>
    /// <returns>The decoded shape.</returns>
    /// <exception cref="InvalidDataException">The data is damaged or truncated.</exception>
    /// <exception cref="ArgumentException">The buffer is too small.</exception>
    public static ImageShape Decode(ReadOnlySpan<byte> data, ImageEncoding encoding, int channels, Span<byte> pixels)
    {
        var codec = Get(encoding);
        var info = codec.ReadInfo(data);
        var shape = info.Shape.WithChannels(channels);
        if (pixels.Length < shape.ByteCount)
            throw new ArgumentException($"Decoding {shape} needs {shape.ByteCount} bytes; the buffer holds {pixels.Length}.", nameof(pixels));
        if (info.Orientation == ImageOrientation.Normal)
        {
            codec.Decode(data, 1, channels, pixels);
            return shape;
        }
        byte[] stored = ArrayPool<byte>.Shared.Rent(shape.Length);
        try
        {
            codec.Decode(data, 1, channels, stored);
            PixelOps.Orient(stored, info.Width, info.Height, channels, info.Orientation, pixels);
        }
        finally { ArrayPool<byte>.Shared.Return(stored); }
        return shape;
    }
}
