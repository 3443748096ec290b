using System.Runtime.InteropServices;
using SkiaSharp;

namespace ImageStash.Internal;

/// <summary>Lossless PNG encode/decode of HWC pixels with SkiaSharp, plus JPEG/PNG decode for image folders.</summary>
internal static class PngCodec
{
    /// <summary>Pixel count above which a header is refused as a decompression bomb (256 Mpx).</summary>
    internal const long MaxPixels = 256L * 1024 * 1024;

    /// <summary>Encodes HWC pixels as a PNG with the same channel count (grey, RGB or RGBA).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, ImageShape shape)
    {
        if (pixels.Length < shape.ByteCount)
            throw new ArgumentException($"Expected {shape.ByteCount} pixel bytes for {shape}, got {pixels.Length}.", nameof(pixels));
        return SimplePng.Encode(pixels, shape);
    }

    /// <summary>Reads the size of an encoded image without decoding it.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an image Skia can read, or its header claims absurd dimensions.</exception>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded, string what)
    {
        using var codec = CreateCodec(encoded, what, out var data);
        using (data) return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// Decodes an encoded image (PNG, JPEG, …) into <paramref name="destination"/> as HWC bytes with
    /// <paramref name="channels"/> channels. The image must be exactly <paramref name="expected"/> unless null.
    /// </summary>
    /// <returns>The decoded shape.</returns>
    /// <exception cref="InvalidDataException">Not an image, a bomb, truncated, or not the expected size.</exception>
    public static unsafe ImageShape Decode(ReadOnlySpan<byte> encoded, Span<byte> destination, int channels, string what, ImageShape? expected = null)
    {
        if (SimplePng.TryReadHeader(encoded, out int pw, out int ph, out int pc, out bool simple) && simple && pc == channels)
        {
            CheckSize(pw, ph, what);
            var shapeFast = new ImageShape(ph, pw, channels);
            if (expected is { } ef && (ef.Height != ph || ef.Width != pw))
                throw new InvalidDataException($"{what}: image is {pw}×{ph}, expected {ef.Width}×{ef.Height}.");
            if (destination.Length < shapeFast.ByteCount)
                throw new ArgumentException($"{what}: needs {shapeFast.ByteCount} bytes, buffer has {destination.Length}.", nameof(destination));
            SimplePng.Decode(encoded, destination, shapeFast, what);
            return shapeFast;
        }
        using var codec = CreateCodec(encoded, what, out var data);
        using var _ = data;
        var shape = new ImageShape(codec.Info.Height, codec.Info.Width, channels);
        if (expected is { } e && (e.Height != shape.Height || e.Width != shape.Width))
            throw new InvalidDataException($"{what}: image is {shape.Width}×{shape.Height}, expected {e.Width}×{e.Height}.");
        if (destination.Length < shape.ByteCount)
            throw new ArgumentException($"{what}: needs {shape.ByteCount} bytes, buffer has {destination.Length}.", nameof(destination));
        DecodeInto(codec, shape, destination, what);
        return shape;
    }

    /// <summary>Decodes an encoded image of any size, resized (bilinear, no crop) to <paramref name="target"/>.</summary>
    public static unsafe void DecodeResized(ReadOnlySpan<byte> encoded, Span<byte> destination, ImageShape target, string what)
    {
        using var codec = CreateCodec(encoded, what, out var data);
        using var _ = data;
        var full = new ImageShape(codec.Info.Height, codec.Info.Width, 4);
        if (full.Height == target.Height && full.Width == target.Width)
        {
            DecodeInto(codec, target, destination, what);
            return;
        }
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(full.ByteCount);
        byte[] small = System.Buffers.ArrayPool<byte>.Shared.Rent(target.Height * target.Width * 4);
        try
        {
            var srcInfo = new SKImageInfo(full.Width, full.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            fixed (byte* src = rented)
            fixed (byte* dst = small)
            {
                CheckResult(codec.GetPixels(srcInfo, (IntPtr)src), what);
                using var srcMap = new SKPixmap(srcInfo, (IntPtr)src, full.Width * 4);
                var dstInfo = new SKImageInfo(target.Width, target.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
                using var dstMap = new SKPixmap(dstInfo, (IntPtr)dst, target.Width * 4);
                if (!srcMap.ScalePixels(dstMap, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)))
                    throw new InvalidDataException($"{what}: could not resize to {target.Width}×{target.Height}.");
            }
            FromRgba(small.AsSpan(0, target.Height * target.Width * 4), destination, target.Channels);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            System.Buffers.ArrayPool<byte>.Shared.Return(small);
        }
    }

    private static unsafe void DecodeInto(SKCodec codec, ImageShape shape, Span<byte> destination, string what)
    {
        int w = shape.Width, h = shape.Height;
        if (shape.Channels == 1)
        {
            var info = new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque);
            fixed (byte* p = destination) CheckResult(codec.GetPixels(info, (IntPtr)p), what);
            return;
        }
        if (shape.Channels == 4)
        {
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            fixed (byte* p = destination) CheckResult(codec.GetPixels(info, (IntPtr)p), what);
            return;
        }
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(w * h * 4);
        try
        {
            var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            fixed (byte* p = rented) CheckResult(codec.GetPixels(info, (IntPtr)p), what);
            FromRgba(rented.AsSpan(0, w * h * 4), destination, 3);
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(rented); }
    }

    private static void FromRgba(ReadOnlySpan<byte> rgba, Span<byte> destination, int channels)
    {
        int n = rgba.Length / 4;
        switch (channels)
        {
            case 4:
                rgba.CopyTo(destination);
                break;
            case 3:
                for (int i = 0, s = 0, d = 0; i < n; i++, s += 4, d += 3)
                {
                    destination[d] = rgba[s];
                    destination[d + 1] = rgba[s + 1];
                    destination[d + 2] = rgba[s + 2];
                }
                break;
            default:
                // ITU-R BT.601 luma, as PIL's convert("L") computes it.
                for (int i = 0, s = 0; i < n; i++, s += 4)
                    destination[i] = (byte)((rgba[s] * 299 + rgba[s + 1] * 587 + rgba[s + 2] * 114 + 500) / 1000);
                break;
        }
    }

    private static void CheckResult(SKCodecResult result, string what)
    {
        // IncompleteInput means a truncated file: Skia fills the rest with zeros, which must not pass as an image.
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{what}: cannot decode image ({result}); the file is damaged or truncated.");
    }

    private static unsafe SKCodec CreateCodec(ReadOnlySpan<byte> encoded, string what, out SKData data)
    {
        fixed (byte* p = encoded) data = SKData.CreateCopy((IntPtr)p, encoded.Length);
        var codec = SKCodec.Create(data);
        if (codec is null)
        {
            data.Dispose();
            throw new InvalidDataException($"{what}: not a PNG or JPEG image Skia can read (damaged or another kind of file).");
        }
        try { CheckSize(codec.Info.Width, codec.Info.Height, what); }
        catch
        {
            codec.Dispose();
            data.Dispose();
            throw;
        }
        return codec;
    }

    private static void CheckSize(int width, int height, string what)
    {
        if (width <= 0 || height <= 0 || width > ImageShape.MaxSide || height > ImageShape.MaxSide || (long)width * height > MaxPixels)
            throw new InvalidDataException($"{what}: header claims {width}×{height} pixels, over the limit of {ImageShape.MaxSide} per side; refusing it as a likely decompression bomb.");
    }
}
