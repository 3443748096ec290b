using System.Diagnostics;
using ImageStash.Codecs;
using ImageStash.Loading;

namespace ImageStash.Bench;

/// <summary>
/// What <c>imagestash loader-bench</c> measures: epochs of an <see cref="ImageLoader"/>, and for the photo pipeline the
/// limits it works against, measured in the same run — the codec decoding the same images whole, and decoding just
/// their crops the way the pipeline does (<see cref="CropDecodeLimit"/>), from memory, on as many threads as the
/// loader has. Timings on a shared machine drift; <see cref="Interleaved"/> alternates the two so
/// that their ratio compares like with like.
/// </summary>
public static class LoaderBenchmark
{
    /// <summary>
    /// What <c>imagestash loader-bench</c> measures: <see cref="LoaderBenchOptions.Epochs"/> epochs of
    /// <paramref name="loader"/>, touching every batch as a training step would; with
    /// <see cref="LoaderBenchOptions.DecodeLimits"/> the decode limits of <paramref name="store"/>'s encoded images in
    /// turns with them (<see cref="Interleaved"/>), and with <see cref="LoaderBenchOptions.MeasureRawInput"/> the raw
    /// input limit before each epoch. The statistics (medians, ratios, ranges) are on the result.
    /// </summary>
    /// <param name="loader">The loader to run.</param>
    /// <param name="store">The store it reads (for the decode limits).</param>
    /// <param name="options">What to measure.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public static LoaderBenchResult Run(ImageLoader loader, IImageStore store, LoaderBenchOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var raw = new List<double>();
        Action<int>? beforeEpoch = options.MeasureRawInput is null && options.BeforeEpoch is null ? null : epoch =>
        {
            if (options.MeasureRawInput?.Invoke(cancellationToken) is var (bytes, seconds)) raw.Add(bytes / seconds);
            options.BeforeEpoch?.Invoke(epoch);
        };
        IReadOnlyList<double> rates, limits, firsts, crops;
        if (options.DecodeLimits is null)
        {
            var epochs = Epochs(loader, options.Epochs, cancellationToken, beforeEpoch);
            (rates, limits, firsts, crops) = ([.. epochs.Select(e => e.Images / e.Seconds)], [], [.. epochs.Select(e => e.FirstBatch)], []);
        }
        else (rates, limits, firsts, crops) = Interleaved(loader, store, options.Threads, options.Epochs, cancellationToken, beforeEpoch, options.DecodeLimits);
        return new LoaderBenchResult(
            [.. rates.Select((rate, i) => new LoaderBenchEpoch(rate, firsts[i], i < limits.Count ? limits[i] : null, i < crops.Count ? crops[i] : null, i < raw.Count ? raw[i] : null))],
            options.StoredBytesPerImage);
    }

    /// <summary>
    /// Epochs of the loader alternating with rounds of <see cref="DecodeLimit"/> (limit, epoch, limit, epoch, …), so a
    /// slow spell of the machine hits both. With <paramref name="crops"/> (the loader's options, an output size set),
    /// each limit round is followed by a round of <see cref="CropDecodeLimit"/>: the same images' crops decoded the
    /// way the pipeline decodes them. Returns the rates of each, in order.
    /// </summary>
    /// <remarks><c>beforeEpoch</c> runs before each epoch, after its limit rounds (a benchmark's own measurement, or emptying a cache).</remarks>
    public static (IReadOnlyList<double> Loader, IReadOnlyList<double> Limit, IReadOnlyList<double> FirstBatch, IReadOnlyList<double> CropLimit) Interleaved(
        ImageLoader loader, IImageStore store, int threads, int epochs, CancellationToken cancellationToken = default, Action<int>? beforeEpoch = null, LoaderOptions? crops = null)
    {
        var decoder = DecodeWork.Load(store, 2000, crops);
        var loaderRates = new List<double>();
        var limitRates = new List<double>();
        var cropRates = new List<double>();
        var firstBatch = new List<double>();
        decoder?.Round(threads, false); // warm-up
        if (crops is not null) decoder?.Round(threads, true);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            if (decoder is not null) limitRates.Add(decoder.Round(threads, false));
            if (decoder is not null && crops is not null) cropRates.Add(decoder.Round(threads, true));
            beforeEpoch?.Invoke(epoch);
            var (images, seconds, first) = Epochs(loader, 1, cancellationToken)[0];
            loaderRates.Add(images / seconds);
            firstBatch.Add(first);
        }
        return (loaderRates, limitRates, firstBatch, cropRates);
    }

    /// <summary>Runs <paramref name="epochs"/> epochs, touching every batch as a training step would.</summary>
    /// <remarks><c>beforeEpoch</c> runs before each epoch, outside its timing.</remarks>
    /// <returns>Images and seconds per epoch, and the seconds until its first batch.</returns>
    public static IReadOnlyList<(long Images, double Seconds, double FirstBatch)> Epochs(ImageLoader loader, int epochs, CancellationToken cancellationToken = default, Action<int>? beforeEpoch = null)
    {
        var results = new List<(long, double, double)>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            beforeEpoch?.Invoke(epoch);
            var clock = Stopwatch.StartNew();
            long images = 0;
            double checksum = 0, first = double.NaN;
            foreach (var batch in loader.NextEpoch())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (images == 0) first = clock.Elapsed.TotalSeconds;
                images += batch.Count;
                checksum += batch.Output == LoaderOutput.FloatsChw ? batch.Floats[^1] : batch.Pixels[^1];
            }
            results.Add((images, clock.Elapsed.TotalSeconds, first));
        }
        return results;
    }

    /// <summary>
    /// The full-size decode rate of the store's encoded images (up to <paramref name="maxImages"/> of them spread over the store, read into
    /// memory first) on <paramref name="threads"/> threads: the most any pipeline that decodes whole images can
    /// deliver. Null when the store holds no encoded images.
    /// </summary>
    /// <returns>Images per second, the median of <paramref name="rounds"/> rounds after a warm-up.</returns>
    public static double? DecodeLimit(IImageStore store, int threads, int maxImages = 2000, int rounds = 3) =>
        DecodeWork.Load(store, maxImages, null) is { } work ? Median(work, threads, false, rounds) : null;

    /// <summary>
    /// The rate at which the same images' crops decode the way the photo pipeline with <paramref name="options"/>
    /// decodes them in epoch 0 — DCT-scaled, and only the crop's rows and columns where the codec decodes regions —
    /// on <paramref name="threads"/> threads, from memory: the most the pipeline can deliver. Null when the store holds
    /// no encoded images.
    /// </summary>
    /// <returns>Images per second, the median of <paramref name="rounds"/> rounds after a warm-up.</returns>
    /// <exception cref="ArgumentException">The options set no output size.</exception>
    public static double? CropDecodeLimit(IImageStore store, LoaderOptions options, int threads, int maxImages = 2000, int rounds = 3)
    {
        ArgumentNullException.ThrowIfNull(options);
        return DecodeWork.Load(store, maxImages, options) is { } work ? Median(work, threads, true, rounds) : null;
    }

    private static double Median(DecodeWork work, int threads, bool crops, int rounds)
    {
        work.Round(threads, crops);
        var rates = Enumerable.Range(0, rounds).Select(_ => work.Round(threads, crops)).Order().ToList();
        return rates[rates.Count / 2];
    }

    /// <summary>Encoded images in memory, their crops' decode plans, and the buffers to decode them into.</summary>
    private sealed class DecodeWork(List<(byte[] Data, IImageCodec Codec, ImageInfo Info, PhotoPipeline.DecodePlan Plan)> files)
    {
        private byte[][] _buffers = [];

        public static DecodeWork? Load(IImageStore store, int maxImages, LoaderOptions? crops)
        {
            var pipeline = crops is null ? null : new PhotoPipeline(crops);
            var files = new List<(byte[], IImageCodec, ImageInfo, PhotoPipeline.DecodePlan)>();
            foreach (long id in Spread(store, maxImages))
            {
                if (!store.TryGetHeader(id, out var header) || header.IsRaw) continue;
                var data = new byte[header.PayloadLength];
                store.Read(id, data);
                var codec = ImageCodecs.Get(header.Encoding);
                var info = codec.ReadInfo(data);
                // What the loader refuses as a likely bomb is left out of its limit (and never decoded here).
                if ((long)info.Width * info.Height > (crops?.MaxPixels ?? ImageShape.DefaultMaxPixels)) continue;
                files.Add((data, codec, info, pipeline?.PlanFor(codec, info, id, 0) ?? default));
            }
            return files.Count == 0 ? null : new DecodeWork(files);
        }

        /// <summary>
        /// Up to <paramref name="count"/> ids spread evenly over the whole store, not its first ones: stores hold images
        /// in import order, often class by class, and classes differ in decode cost (on the 5,000-photo corpus the
        /// first four classes decode ~4 % faster than the whole), so a limit over the first ids is not a limit for the
        /// images the loader reads.
        /// </summary>
        private static IEnumerable<long> Spread(IImageStore store, int count)
        {
            var ids = store.EnumerateIds().ToArray();
            if (ids.Length <= count) return ids;
            return Enumerable.Range(0, count).Select(i => ids[(long)i * ids.Length / count]);
        }

        /// <summary>Decodes every image (or every crop's plan) once on <paramref name="threads"/> threads; returns images per second.</summary>
        public double Round(int threads, bool crops)
        {
            threads = Math.Max(1, threads);
            long largest = files.Max(f => (long)f.Info.Width * f.Info.Height * 3);
            if (_buffers.Length < threads || _buffers[0].Length < largest) _buffers = [.. Enumerable.Range(0, threads).Select(_ => new byte[largest])];
            int next = -1;
            var clock = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) < files.Count;)
                {
                    var (data, codec, _, plan) = files[i];
                    var r = plan.Region;
                    if (!crops) codec.Decode(data, 1, 3, _buffers[t]);
                    else if (plan.Whole) codec.Decode(data, plan.Scale, 3, _buffers[t]);
                    else codec.DecodeRegion(data, plan.Scale, r.X, r.Y, r.Width, r.Height, 3, _buffers[t]);
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            return files.Count / clock.Elapsed.TotalSeconds;
        }
    }
}
