using System.Buffers;
using System.Collections.Concurrent;

namespace ImageStash.Loading;

/// <summary>
/// Feeds training from any store: batches in a shuffled (or id) order that is a pure function of seed, epoch,
/// rank and world size — so shards are disjoint and equal, and a saved <see cref="State"/> resumes exactly —
/// read ahead in the background into a small pool of reused buffers.
/// </summary>
/// <example>
/// <code>
/// using var loader = new ImageLoader(store, new LoaderOptions { BatchSize = 256, Seed = 1 });
/// for (int epoch = 0; epoch &lt; 10; epoch++)
///     foreach (var batch in loader.NextEpoch()) Train(batch.Pixels, batch.Labels);
/// </code>
/// </example>
public sealed class ImageLoader : IDisposable
{
    private readonly IImageStore _store;
    private readonly LoaderOptions _options;
    private readonly long[] _ids;
    private readonly ConcurrentBag<LoaderBatch> _free = [];
    private LoaderState _state;
    private bool _running;

    /// <summary>Creates a loader over the images <paramref name="store"/> holds now.</summary>
    /// <param name="store">Any store; all its images must have one shape.</param>
    /// <param name="options">Batching, order, sharding and transforms; null for the defaults.</param>
    /// <param name="resume">A state saved from a loader with the same options, to continue where it stopped.</param>
    /// <exception cref="ArgumentException">The rank is not below the world size, or the state's seed differs.</exception>
    /// <exception cref="ImageStashException">The store is empty.</exception>
    public ImageLoader(IImageStore store, LoaderOptions? options = null, LoaderState? resume = null)
    {
        _store = store;
        _options = options ?? new LoaderOptions();
        if (_options.Rank >= _options.WorldSize)
            throw new ArgumentException($"Rank {_options.Rank} must be below the world size {_options.WorldSize}.", nameof(options));
        _ids = [.. store.EnumerateIds()];
        if (_ids.Length == 0) throw new ImageStashException($"store '{store.Path}' is empty; import images before loading them.");
        if (!store.TryGetHeader(_ids[0], out var first)) throw ImageStashException.MissingId(store.Path, _ids[0]);
        Shape = store.FixedShape ?? first.Shape;
        if (resume is not null && resume.Seed != _options.Seed)
            throw new ArgumentException($"The saved state was made with seed {resume.Seed}, these options have seed {_options.Seed}; resume with the same options.", nameof(resume));
        if (resume is { Epoch: < 0 } or { Batch: < 0 })
            throw new ArgumentException("A saved state has a non-negative epoch and batch.", nameof(resume));
        _state = resume ?? new LoaderState(0, 0, _options.Seed);
        long total = (long)_ids.Length;
        int w = _options.WorldSize;
        ImagesPerEpoch = _options.DropLast ? total / w : (total + w - 1) / w;
        BatchesPerEpoch = _options.DropLast ? ImagesPerEpoch / _options.BatchSize : (ImagesPerEpoch + _options.BatchSize - 1) / _options.BatchSize;
    }

    /// <summary>The shape of every image.</summary>
    public ImageShape Shape { get; }

    /// <summary>Images this rank sees per epoch.</summary>
    public long ImagesPerEpoch { get; }

    /// <summary>Batches this rank gets per epoch.</summary>
    public long BatchesPerEpoch { get; }

    /// <summary>Where the loader is: after a batch is handed out, the next one; after an epoch, the next epoch's start.</summary>
    public LoaderState State => _state;

    /// <summary>
    /// The remaining batches of the current epoch (all of them, unless resumed mid-epoch); when they are all
    /// handed out the state moves to the next epoch. A batch is valid until the next one is requested.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another epoch of this loader is being enumerated.</exception>
    public IEnumerable<LoaderBatch> NextEpoch()
    {
        if (_running) throw new InvalidOperationException("Finish (or dispose) the current epoch's enumeration before starting another.");
        return Run();
    }

    /// <summary>This rank's ids of an epoch, in the order they are handed out (exposed for tests and tools).</summary>
    public long[] EpochOrder(int epoch)
    {
        int n = _ids.Length, w = _options.WorldSize;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (_options.Shuffle)
        {
            var rng = new Random(MixSeed(_options.Seed, epoch, 0x5EED));
            for (int i = n - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        var shard = new long[ImagesPerEpoch];
        // Strided split: rank r takes positions r, r+w, r+2w, …; past the end it wraps to the epoch's start (padding).
        for (long k = 0; k < shard.Length; k++)
            shard[k] = _ids[order[(int)((k * w + _options.Rank) % n)]];
        return shard;
    }

    /// <summary>Lets go of the pooled buffers.</summary>
    public void Dispose() => _free.Clear();

    private IEnumerable<LoaderBatch> Run()
    {
        _running = true;
        int epoch = _state.Epoch;
        var shard = EpochOrder(epoch);
        var inFlight = new Queue<Task<LoaderBatch>>();
        long scheduled = _state.Batch;
        LoaderBatch? previous = null;
        try
        {
            while (true)
            {
                while (inFlight.Count < Math.Max(1, _options.Prefetch) && scheduled < BatchesPerEpoch)
                {
                    long b = scheduled++;
                    inFlight.Enqueue(_options.Prefetch == 0 ? Task.FromResult(Load(shard, epoch, b)) : Task.Run(() => Load(shard, epoch, b)));
                }
                if (inFlight.Count == 0) break;
                var batch = inFlight.Dequeue().GetAwaiter().GetResult();
                if (previous is not null) _free.Add(previous);
                previous = batch;
                _state = _state with { Batch = batch.Index + 1 };
                yield return batch;
            }
            _state = new LoaderState(epoch + 1, 0, _options.Seed);
        }
        finally
        {
            foreach (var pending in inFlight)
            {
                try { _free.Add(pending.GetAwaiter().GetResult()); }
                catch (Exception) { /* the consumer stopped early; a failed read-ahead is not its concern */ }
            }
            if (previous is not null) _free.Add(previous);
            _running = false;
        }
    }

    private LoaderBatch Load(long[] shard, int epoch, long index)
    {
        if (!_free.TryTake(out var batch)) batch = new LoaderBatch(Shape, _options.BatchSize);
        long start = index * _options.BatchSize;
        int count = (int)Math.Min(_options.BatchSize, shard.Length - start);
        shard.AsSpan((int)start, count).CopyTo(batch.IdBuffer);
        batch.Count = count;
        batch.Epoch = epoch;
        batch.Index = index;
        _store.ReadMany(batch.IdBuffer.AsSpan(0, count), batch.PixelBuffer, batch.LabelBuffer);
        if (_options.RandomCropPadding > 0 || _options.RandomHorizontalFlip) Augment(batch, epoch, start);
        return batch;
    }

    /// <summary>Random crop and flip, drawn per image from (seed, epoch, position), so they repeat exactly on resume.</summary>
    private void Augment(LoaderBatch batch, int epoch, long start)
    {
        int size = Shape.ByteCount, pad = _options.RandomCropPadding;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var image = batch.PixelBuffer.AsSpan(i * size, size);
                ulong bits = Mix(_options.Seed, epoch, start + i);
                if (pad > 0)
                {
                    int dy = (int)(bits % (ulong)(2 * pad + 1)) - pad;
                    int dx = (int)(bits / 97 % (ulong)(2 * pad + 1)) - pad;
                    Shift(image, scratch.AsSpan(0, size), dy, dx);
                }
                if (_options.RandomHorizontalFlip && (bits >> 40 & 1) == 1) FlipHorizontal(image);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(scratch); }
    }

    /// <summary>The crop of a zero-padded image: output(y, x) = input(y + dy, x + dx), zero outside.</summary>
    private void Shift(Span<byte> image, Span<byte> scratch, int dy, int dx)
    {
        int h = Shape.Height, w = Shape.Width, c = Shape.Channels, stride = w * c;
        image.CopyTo(scratch);
        image.Clear();
        for (int y = 0; y < h; y++)
        {
            int sy = y + dy;
            if (sy < 0 || sy >= h) continue;
            int x0 = Math.Max(0, -dx), x1 = Math.Min(w, w - dx);
            if (x1 <= x0) continue;
            scratch.Slice(sy * stride + (x0 + dx) * c, (x1 - x0) * c).CopyTo(image.Slice(y * stride + x0 * c));
        }
    }

    private void FlipHorizontal(Span<byte> image)
    {
        int h = Shape.Height, w = Shape.Width, c = Shape.Channels, stride = w * c;
        for (int y = 0; y < h; y++)
        {
            var row = image.Slice(y * stride, stride);
            for (int a = 0, b = w - 1; a < b; a++, b--)
                for (int k = 0; k < c; k++) (row[a * c + k], row[b * c + k]) = (row[b * c + k], row[a * c + k]);
        }
    }

    private static int MixSeed(int seed, int epoch, int salt) => (int)(Mix(seed, epoch, salt) & 0x7FFFFFFF);

    private static ulong Mix(int seed, int epoch, long position)
    {
        // SplitMix64 of the three inputs: nearby epochs and positions get unrelated values.
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL ^ (ulong)position * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
