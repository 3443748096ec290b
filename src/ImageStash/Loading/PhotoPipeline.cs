using ImageStash.Codecs;
using ImageStash.Loading;
using ImageStash.Pixels;

namespace ImageStash.Loading;

/// <summary>
/// The loader's per-image work for the photo pipeline: read the record, pick its crop from (seed, epoch, id) — the
/// same on every rank, world size and resume —
/// decode (at 1/2, 1/4 or 1/8 through the codec's DCT scaling when the crop is at least that many times the output;
/// only the crop's rows and columns where the codec decodes regions, see <see cref="Plan"/>), turn it upright, and resize the crop to the output with an antialiased filter, flipped when drawn. One instance
/// per loader thread: its buffers grow to the largest image and are reused.
/// </summary>
internal sealed class PhotoPipeline(LoaderOptions options)
{
    private const int Channels = 3;
    private readonly int _size = options.Size ?? throw new ArgumentException("The photo pipeline needs an output size.", nameof(options));
    // Region decode for random crops only: a centre crop spans most rows, and rows above a region are entropy-decoded
    // anyway, so it saved no CPU and measured slower (benchmarks/results/2026-12-03-crop/README.md).
    private readonly bool _regions = options.DecodeRegions && options.Crop == LoaderCrop.Random;
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
        string? refusal = null;
        try
        {
            if (header.IsRaw) LoadRaw(payload, header.Shape, ref random, output);
            else
            {
                var codec = ImageCodecs.Get(header.Encoding);
                var info = codec.ReadInfo(payload);
                refusal = PixelLimit.Refusal(info, options.MaxPixels, "--max-pixels (LoaderOptions.MaxPixels)");
                if (refusal is null) LoadEncoded(payload, codec, info, ref random, output);
            }
        }
        catch (InvalidDataException e) { throw StoreChecks.Damaged(store.Path, id, e.Message); }
        // A refusal, not damage: the image may be genuine.
        if (refusal is not null) throw new InvalidDataException($"store '{store.Path}': image {id}: {refusal}.");
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

    private void LoadEncoded(ReadOnlySpan<byte> data, IImageCodec codec, ImageInfo info, ref LoaderRandom random, Span<byte> output)
    {
        var upright = info.Shape;
        var crop = Window(upright.Width, upright.Height, ref random);
        bool flip = Flip(ref random);
        var plan = Plan(codec, info, crop, _size, _regions);
        var region = plan.Region;
        Grow(ref _decoded, (long)region.Width * region.Height * Channels);
        if (plan.Whole) codec.Decode(data, plan.Scale, Channels, _decoded);
        else codec.DecodeRegion(data, plan.Scale, region.X, region.Y, region.Width, region.Height, Channels, _decoded);
        ReadOnlySpan<byte> pixels = _decoded;
        int width = region.Width, height = region.Height;
        if (info.Orientation != ImageOrientation.Normal)
        {
            Grow(ref _upright, (long)width * height * Channels);
            PixelOps.Orient(_decoded, width, height, Channels, info.Orientation, _upright);
            pixels = _upright;
            if (info.SwapsSides) (width, height) = (height, width);
        }
        var c = plan.Crop;
        _resampler.Resize(pixels, width, height, Channels, c.X, c.Y, c.Width, c.Height, output, _size, _size, flip);
    }

    /// <summary>The decode <see cref="Load"/> does for an encoded record in an epoch (the crop drawn as it draws it).</summary>
    internal DecodePlan PlanFor(IImageCodec codec, ImageInfo info, long id, int epoch)
    {
        var random = LoaderRandom.For(options.Seed, epoch, id);
        var crop = Window(info.Shape.Width, info.Shape.Height, ref random);
        return Plan(codec, info, crop, _size, _regions);
    }

    /// <summary>
    /// How the pipeline decodes a crop: the DCT scale, the rectangle of the stored image at that scale to decode (the
    /// whole image unless the codec decodes regions), and the crop within that rectangle once it is upright.
    /// </summary>
    internal readonly record struct DecodePlan(int Scale, bool Whole, (int X, int Y, int Width, int Height) Region, (double X, double Y, double Width, double Height) Crop);

    /// <summary>
    /// Plans the decode of <paramref name="crop"/> (a rectangle of the upright image, in full-size pixels) for an
    /// output of <paramref name="size"/>²: the largest DCT scale that leaves the crop at least as large as the output
    /// on both sides, and — when <paramref name="regions"/> and the codec decodes regions — only the crop's rows and
    /// columns plus a margin wider than the resize filter reads, so the output is what a whole decode would give but
    /// where the codec's own region edges differ (docs/formats/codecs.md).
    /// </summary>
    internal static DecodePlan Plan(IImageCodec codec, ImageInfo info, (double X, double Y, double Width, double Height) crop, int size, bool regions)
    {
        double fewest = Math.Min(crop.Width, crop.Height) / size;
        int scale = 1;
        var scales = codec.Scales;
        for (int i = 0; i < scales.Count; i++) // by index: no enumerator allocated per image
            if (scales[i] > scale && scales[i] <= fewest) scale = scales[i];
        var (storedWidth, storedHeight) = info.ScaledSize(scale);
        var upright = info.Shape;
        int width = info.SwapsSides ? storedHeight : storedWidth, height = info.SwapsSides ? storedWidth : storedHeight;
        double fx = (double)width / upright.Width, fy = (double)height / upright.Height;
        (double X, double Y, double Width, double Height) scaled = (crop.X * fx, crop.Y * fy, crop.Width * fx, crop.Height * fy);
        if (!regions || !codec.DecodesRegions) return new DecodePlan(scale, true, (0, 0, storedWidth, storedHeight), scaled);
        // The resampler reads up to its filter's half-width (the shrink factor, at least 1) past each side of the crop;
        // two more pixels keep the region decoder's own edge pixels out of what it reads.
        int marginX = (int)Math.Ceiling(Math.Max(scaled.Width / size, 1)) + 2, marginY = (int)Math.Ceiling(Math.Max(scaled.Height / size, 1)) + 2;
        int left = Math.Max(0, (int)Math.Floor(scaled.X) - marginX), top = Math.Max(0, (int)Math.Floor(scaled.Y) - marginY);
        int right = Math.Min(width, (int)Math.Ceiling(scaled.X + scaled.Width) + marginX), bottom = Math.Min(height, (int)Math.Ceiling(scaled.Y + scaled.Height) + marginY);
        var stored = Stored(info.Orientation, storedWidth, storedHeight, left, top, right, bottom);
        return new DecodePlan(scale, false, stored, (scaled.X - left, scaled.Y - top, scaled.Width, scaled.Height));
    }

    /// <summary>The rectangle of the stored image that <see cref="PixelOps.Orient"/> turns into the upright rectangle [left, right) × [top, bottom).</summary>
    private static (int X, int Y, int Width, int Height) Stored(ImageOrientation orientation, int width, int height, int left, int top, int right, int bottom)
    {
        var (x0, x1, y0, y1) = orientation switch
        {
            ImageOrientation.FlipHorizontal => (width - right, width - left, top, bottom),
            ImageOrientation.Rotate180 => (width - right, width - left, height - bottom, height - top),
            ImageOrientation.FlipVertical => (left, right, height - bottom, height - top),
            ImageOrientation.Transpose => (top, bottom, left, right),
            ImageOrientation.Rotate90 => (top, bottom, height - right, height - left),
            ImageOrientation.Transverse => (width - bottom, width - top, height - right, height - left),
            ImageOrientation.Rotate270 => (width - bottom, width - top, left, right),
            _ => (left, right, top, bottom),
        };
        return (x0, y0, x1 - x0, y1 - y0);
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
