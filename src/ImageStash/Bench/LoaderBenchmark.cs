using System.Diagnostics;
using ImageStash.Codecs;
using ImageStash.Loading;

namespace ImageStash.Bench;

/// <summary>
/// What <c>imagestash loader-bench</c> measures: epochs of an <see cref="ImageLoader"/>, and for the photo pipeline the
/// limit it works against, measured in the same run — the codec decoding the same images whole, from memory, on as
/// many threads as the loader has. Timings on a shared machine drift; <see cref="Interleaved"/> alternates the two so
/// that their ratio compares like with like.
/// </summary>
public static class LoaderBenchmark
{
    /// <summary>
    /// Epochs of the loader alternating with rounds of <see cref="DecodeLimit"/> (limit, epoch, limit, epoch, …), so a
    /// slow spell of the machine hits both. Returns the rates of each, in order.
    /// </summary>
    /// <remarks><c>beforeEpoch</c> runs before each epoch, after its limit round (a benchmark's own measurement, or emptying a cache).</remarks>
    public static (IReadOnlyList<double> Loader, IReadOnlyList<double> Limit, IReadOnlyList<double> FirstBatch) Interleaved(ImageLoader loader, IImageStore store, int threads, int epochs, CancellationToken cancellationToken = default, Action<int>? beforeEpoch = null)
    {
        var decoder = DecodeWork.Load(store, 2000);
        var loaderRates = new List<double>();
        var limitRates = new List<double>();
        var firstBatch = new List<double>();
        decoder?.Round(threads); // warm-up
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            if (decoder is not null) limitRates.Add(decoder.Round(threads));
            beforeEpoch?.Invoke(epoch);
            var (images, seconds, first) = Epochs(loader, 1, cancellationToken)[0];
            loaderRates.Add(images / seconds);
            firstBatch.Add(first);
        }
        return (loaderRates, limitRates, firstBatch);
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
    /// The full-size decode rate of the store's encoded images (up to <paramref name="maxImages"/> of them, read into
    /// memory first) on <paramref name="threads"/> threads: the most any decode-and-crop pipeline can deliver. Null
    /// when the store holds no encoded images.
    /// </summary>
    /// <returns>Images per second, the median of <paramref name="rounds"/> rounds after a warm-up.</returns>
    public static double? DecodeLimit(IImageStore store, int threads, int maxImages = 2000, int rounds = 3)
    {
        if (DecodeWork.Load(store, maxImages) is not { } work) return null;
        work.Round(threads);
        var rates = Enumerable.Range(0, rounds).Select(_ => work.Round(threads)).Order().ToList();
        return rates[rates.Count / 2];
    }

    /// <summary>Encoded images in memory and the buffers to decode them into.</summary>
    private sealed class DecodeWork(List<(byte[] Data, IImageCodec Codec, ImageInfo Info)> files)
    {
        private byte[][] _buffers = [];

        public static DecodeWork? Load(IImageStore store, int maxImages)
        {
            var files = new List<(byte[] Data, IImageCodec Codec, ImageInfo Info)>();
            foreach (long id in store.EnumerateIds())
            {
                if (files.Count >= maxImages) break;
                if (!store.TryGetHeader(id, out var header) || header.IsRaw) continue;
                var data = new byte[header.PayloadLength];
                store.Read(id, data);
                var codec = ImageCodecs.Get(header.Encoding);
                files.Add((data, codec, codec.ReadInfo(data)));
            }
            return files.Count == 0 ? null : new DecodeWork(files);
        }

        /// <summary>Decodes every image once on <paramref name="threads"/> threads; returns images per second.</summary>
        public double Round(int threads)
        {
            threads = Math.Max(1, threads);
            long largest = files.Max(f => (long)f.Info.Width * f.Info.Height * 3);
            if (_buffers.Length < threads || _buffers[0].Length < largest) _buffers = [.. Enumerable.Range(0, threads).Select(_ => new byte[largest])];
            int next = -1;
            var clock = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                for (int i; (i = Interlocked.Increment(ref next)) < files.Count;) files[i].Codec.Decode(files[i].Data, 1, 3, _buffers[t]);
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            return files.Count / clock.Elapsed.TotalSeconds;
        }
    }
}
