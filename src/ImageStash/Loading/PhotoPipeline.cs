using ImageStash.Codecs;
using ImageStash.Loading;
using ImageStash.Pixels;

namespace ImageStash.Loading;

/// <summary>
/// The loader's per-image work for the photo pipeline: read the record, pick its crop from (seed, epoch, id) — the
/// same on every rank, world size and resume —
/// decode (at 1/2, 1/4 or 1/8 through the codec's DCT scaling when the crop is at least that many times the output),
/// turn it upright, and resize the crop to the output with an antialiased filter, flipped when drawn. One instance
/// per loader thread: its buffers grow to the largest image and are reused.
/// </summary>
internal sealed class PhotoPipeline(LoaderOptions options)
{
    private const int Channels = 3;
    private readonly int _size = options.Size ?? throw new ArgumentException("The photo pipeline needs an output size.", nameof(options));
    private readonly Resampler _resampler = new();
    // Sized for typical photos at once and doubled when a larger one comes, so a loader thread stops allocating early.
    private byte[] _payload = new byte[256 << 10], _decoded = new byte[3 << 20], _upright = [];

    /// <summary>Writes record <paramref name="id"/>'s Size × Size × 3 crop into <paramref name="output"/> (HWC).</summary>
    /// <returns>The record's label.</returns>
    /// <exception cref="InvalidDataException">The record is damaged or does not decode; the message names store and id.</exception>
    public int Load(IImageStore store, long id, int epoch, Span<byte> output)
    {
        if (!store.TryReadPayload(id, _payload, out var header))
        {
            Grow(ref _payload, header.PayloadLength);
            if (!store.TryReadPayload(id, _payload, out header)) throw StoreChecks.Damaged(store.Path, id, "its size changed while it was read");
        }
        var payload = _payload.AsSpan(0, (int)header.PayloadLength);
        var random = LoaderRandom.For(options.Seed, epoch, id);
        try
        {
            if (header.IsRaw) LoadRaw(payload, header.Shape, ref random, output);
            else LoadEncoded(payload, ImageCodecs.Get(header.Encoding), ref random, output);
        }
        catch (InvalidDataException e) { throw StoreChecks.Damaged(store.Path, id, e.Message); }
        return header.Label;
    }

    private void LoadRaw(ReadOnlySpan<byte> pixels, ImageShape shape, ref LoaderRandom random, Span<byte> output)
    {
        if (shape.Channels != Channels)
        {
            Grow(ref _upright, (long)shape.Height * shape.Width * Channels);
            PixelOps.ConvertChannels(pixels, shape.Channels, _upright, Channels, shape.Height * shape.Width);
            pixels = _upright;
        }
        var crop = Window(shape.Width, shape.Height, ref random);
        bool flip = Flip(ref random);
        _resampler.Resize(pixels, shape.Width, shape.Height, Channels, crop.X, crop.Y, crop.Width, crop.Height, output, _size, _size, flip);
    }

    private void LoadEncoded(ReadOnlySpan<byte> data, IImageCodec codec, ref LoaderRandom random, Span<byte> output)
    {
        var info = codec.ReadInfo(data);
        var upright = info.Shape;
        var crop = Window(upright.Width, upright.Height, ref random);
        bool flip = Flip(ref random);
        // The largest DCT scale that leaves the crop at least as large as the output, on both sides.
        double fewest = Math.Min(crop.Width, crop.Height) / _size;
        int scale = 1;
        var scales = codec.Scales;
        for (int i = 0; i < scales.Count; i++) // by index: no enumerator allocated per image
            if (scales[i] > scale && scales[i] <= fewest) scale = scales[i];
        var (width, height) = info.ScaledSize(scale);
        Grow(ref _decoded, (long)width * height * Channels);
        codec.Decode(data, scale, Channels, _decoded);
        ReadOnlySpan<byte> pixels = _decoded;
        if (info.Orientation != ImageOrientation.Normal)
        {
            Grow(ref _upright, (long)width * height * Channels);
            PixelOps.Orient(_decoded, width, height, Channels, info.Orientation, _upright);
            pixels = _upright;
            if (info.SwapsSides) (width, height) = (height, width);
        }
        double fx = (double)width / upright.Width, fy = (double)height / upright.Height;
        _resampler.Resize(pixels, width, height, Channels, crop.X * fx, crop.Y * fy, crop.Width * fx, crop.Height * fy, output, _size, _size, flip);
    }

    private bool Flip(ref LoaderRandom random) => options.RandomHorizontalFlip && (random.Next() & 1) == 1;

    /// <summary>The rectangle of the upright image that becomes the output.</summary>
    private (double X, double Y, double Width, double Height) Window(int width, int height, ref LoaderRandom random)
    {
        if (options.Crop == LoaderCrop.Center)
        {
            double side = Math.Min(width, height) * options.CenterFraction;
            return ((width - side) / 2, (height - side) / 2, side, side);
        }
        // torchvision's RandomResizedCrop.get_params: ten tries at a random area and aspect ratio, then a centre crop.
        double area = (double)width * height;
        double logLow = Math.Log(options.MinRatio), logHigh = Math.Log(options.MaxRatio);
        double low = Math.Min(options.MinScale, options.MaxScale), high = Math.Max(options.MinScale, options.MaxScale);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (low + (high - low) * random.NextDouble());
            double ratio = Math.Exp(logLow + (logHigh - logLow) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && w <= width && h > 0 && h <= height)
                return (random.NextInt(width - w + 1), random.NextInt(height - h + 1), w, h);
        }
        double inRatio = (double)width / height;
        int cw = width, ch = height;
        if (inRatio < Math.Min(options.MinRatio, options.MaxRatio)) ch = (int)Math.Round(cw / Math.Min(options.MinRatio, options.MaxRatio));
        else if (inRatio > Math.Max(options.MinRatio, options.MaxRatio)) cw = (int)Math.Round(ch * Math.Max(options.MinRatio, options.MaxRatio));
        return ((width - cw) / 2, (height - ch) / 2, cw, ch);
    }

    private static void Grow(ref byte[] buffer, long length)
    {
        if (buffer.Length < length) buffer = new byte[Math.Max(length, buffer.Length * 2L)];
    }
}
