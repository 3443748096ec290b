using System.Buffers;
using ImageStash.Codecs;
using ImageStash.Internal;
using ImageStash.Pixels;

namespace ImageStash.Sources;

/// <summary>
/// Turns one image into the record import stores, per <see cref="SourceOptions"/>: resized to an exact size, or
/// shrunk to a longest side, then kept raw or encoded as PNG or JPEG. Shared by every source, so <c>--encode</c> and
/// <c>--max-side</c> mean the same whatever the images come from.
/// </summary>
internal static class RecordMaker
{
    /// <summary>A record's payload in a pooled buffer (return it with <see cref="Release"/>) and its header.</summary>
    public readonly record struct Made(byte[] Buffer, int Length, ImageHeader Header)
    {
        public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);
    }

    /// <summary>Whether a raw image of <paramref name="shape"/> is stored as it is under these options.</summary>
    public static bool KeepsRaw(ImageShape shape, SourceOptions options) =>
        options.Encode is EncodeAs.Keep or EncodeAs.Raw && Target(shape, options) == shape;

    /// <summary>Whether an encoded image of <paramref name="shape"/> is stored as its original bytes under these options.</summary>
    public static bool KeepsBytes(ImageShape shape, SourceOptions options) =>
        options.Encode == EncodeAs.Keep && Target(shape, options) == shape;

    /// <summary>The shape an image of <paramref name="shape"/> is stored with: the exact resize, or the longest side shrunk.</summary>
    public static ImageShape Target(ImageShape shape, SourceOptions options)
    {
        if (options.Resize is { } size) return new ImageShape(size.Height, size.Width, shape.Channels);
        if (options.MaxSide is { } max && Math.Max(shape.Width, shape.Height) > max)
        {
            double f = (double)max / Math.Max(shape.Width, shape.Height);
            return new ImageShape(Math.Max(1, (int)Math.Round(shape.Height * f)), Math.Max(1, (int)Math.Round(shape.Width * f)), shape.Channels);
        }
        return shape;
    }

    /// <summary>
    /// Makes the record for upright pixels of the header's shape, first encoded as <paramref name="original"/>
    /// (which decides the format a shrunk image keeps under <see cref="EncodeAs.Keep"/>).
    /// </summary>
    public static Made FromPixels(ReadOnlySpan<byte> pixels, ImageHeader header, ImageEncoding original, SourceOptions options, Resampler resampler)
    {
        var shape = header.Shape;
        var target = Target(shape, options);
        byte[]? resized = null;
        try
        {
            if (target != shape)
            {
                resized = ArrayPool<byte>.Shared.Rent(target.Length);
                resampler.Resize(pixels, shape.Width, shape.Height, shape.Channels, 0, 0, shape.Width, shape.Height,
                    resized, target.Width, target.Height);
                pixels = resized.AsSpan(0, target.Length);
            }
            var encoding = options.Encode switch
            {
                EncodeAs.Raw => ImageEncoding.Raw,
                EncodeAs.Keep when options.Resize is not null => ImageEncoding.Raw, // the article's stores: raw, one shape
                EncodeAs.Png => ImageEncoding.Png,
                EncodeAs.Jpeg => ImageEncoding.Jpeg,
                _ => original == ImageEncoding.Raw ? ImageEncoding.Raw : original == ImageEncoding.Jpeg ? ImageEncoding.Jpeg : ImageEncoding.Png,
            };
            var made = header with { Shape = target, Encoding = encoding };
            if (encoding == ImageEncoding.Raw) return Copy(pixels, made);
            byte[] file = encoding == ImageEncoding.Jpeg ? ImageEncoder.Jpeg(pixels, target, options.JpegQuality) : ImageEncoder.Png(pixels, target);
            // A JPEG has no alpha: what is stored must decode to the channels its header gives.
            if (encoding == ImageEncoding.Jpeg && target.Channels == 4) made = made with { Shape = target.WithChannels(3) };
            return Copy(file, made);
        }
        finally { if (resized is not null) ArrayPool<byte>.Shared.Return(resized); }
    }

    /// <summary>
    /// The batches of a source of raw images as these options want them: passed through when they keep raw pixels,
    /// otherwise each record made again (in parallel) into a second batch.
    /// </summary>
    public static IEnumerable<ImageBatch> Apply(IEnumerable<ImageBatch> batches, SourceOptions options)
    {
        using var made = new ImageBatch();
        foreach (var batch in batches)
        {
            bool keep = true;
            for (int i = 0; i < batch.Count && keep; i++) keep = !batch[i].IsRaw || KeepsRaw(batch[i].Shape, options);
            if (keep)
            {
                yield return batch;
                continue;
            }
            var records = new Made[batch.Count];
            try
            {
                ParallelWork.For(batch.Count, i => records[i] = batch[i].IsRaw
                    ? FromPixels(batch.GetPayload(i), batch[i], ImageEncoding.Raw, options, Resampler.ForThisThread)
                    : FromBytes(batch.GetPayload(i), batch[i]));
                made.Clear();
                foreach (var record in records) made.Add(record.Header, record.Payload);
            }
            finally
            {
                foreach (var record in records)
                    if (record.Buffer is not null) Release(record);
            }
            yield return made;
        }
    }

    /// <summary>The record of an encoded file kept as it is.</summary>
    public static Made FromBytes(ReadOnlySpan<byte> file, ImageHeader header) => Copy(file, header);

    public static void Release(Made made) => ArrayPool<byte>.Shared.Return(made.Buffer);

    private static Made Copy(ReadOnlySpan<byte> payload, ImageHeader header)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(buffer);
        return new Made(buffer, payload.Length, header with { PayloadLength = payload.Length });
    }
}
