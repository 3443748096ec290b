using System.Collections.Concurrent;
using ImageStash.Codecs;
using ImageStash.Pixels;

namespace ImageStash.Loading;

/// <summary>
/// Feeds training from any store: batches in a shuffled (or id) order that is a pure function of seed, epoch,
/// rank and world size — so shards are disjoint and equal, and a saved <see cref="State"/> resumes exactly, pixel for
/// pixel — prepared ahead by a few threads into a small pool of reused buffers.
/// </summary>
/// <remarks>
/// Two pipelines. Without <see cref="LoaderOptions.Size"/>, images go out as stored: raw, one shape (CIFAR), read
/// with one <see cref="IImageStore.ReadMany"/> per batch, optionally with the CIFAR crop and flip. With it, every
/// image (raw or encoded, any size) is decoded on the loader's threads straight into a random or centre crop of
/// Size × Size RGB. Either way the batch comes out as bytes HWC or CHW, or normalised floats CHW.
/// </remarks>
/// <example>
/// <code>
/// using var loader = new ImageLoader(store, new LoaderOptions { BatchSize = 256, Size = 224, RandomHorizontalFlip = true });
/// for (int epoch = 0; epoch &lt; 10; epoch++)
///     foreach (var batch in loader.NextEpoch()) Train(batch.Pixels, batch.Labels);
/// </code>
/// </example>
public sealed class ImageLoader : IDisposable
{
    private readonly IImageStore _store;
    private readonly LoaderOptions _options;
    private readonly IEpochOrder? _epochOrder; // a streaming store's order (shards); null: a permutation of _ids
    private readonly long[] _ids;
    private readonly ConcurrentBag<LoaderBatch> _free = [];
    private readonly ConcurrentQueue<long> _skipped = new();
    private readonly Queue<LoaderBatch> _inFlight = new();
    private int[]? _order;  // an epoch's permutation and this rank's share of it, reused from epoch to epoch
    private long[]? _shard;
    private LoaderWorkers<Scratch>? _workers;
    private Scratch? _callerScratch;
    private LoaderState _state;
    private bool _running;

    /// <summary>Creates a loader over the images <paramref name="store"/> holds now.</summary>
    /// <param name="store">Any store. Without <see cref="LoaderOptions.Size"/>, all its images must be raw and of one shape.</param>
    /// <param name="options">Batching, order, sharding, transforms and output; null for the defaults.</param>
    /// <param name="resume">A state saved from a loader with the same options, to continue where it stopped.</param>
    /// <exception cref="ArgumentException">The rank is not below the world size, mean/std do not have three values,
    /// or the state was saved with another seed, batch size or world size (a shard set resumes on any world size).</exception>
    /// <exception cref="ImageStashException">The store is empty, or holds encoded images and no output size was given.</exception>
    public ImageLoader(IImageStore store, LoaderOptions? options = null, LoaderState? resume = null)
    {
        _store = store;
        _options = options ?? new LoaderOptions();
        if (_options.Rank >= _options.WorldSize)
            throw new ArgumentException($"Rank {_options.Rank} must be below the world size {_options.WorldSize}.", nameof(options));
        var orderOptions = new EpochOrderOptions(_options.Seed, _options.BatchSize, _options.Rank, _options.WorldSize, _options.Shuffle, _options.DropLast);
        // A streaming store (a shard set) gives the order itself, shard by shard, and owns resumption.
        var epochOrder = _epochOrder = store is IStreamingStore streaming ? streaming.Order(orderOptions, ToOrder(resume)) : null;
        _ids = epochOrder is null ? [.. store.EnumerateIds()] : [];
        if (epochOrder is null ? _ids.Length == 0 : store.Count == 0)
            throw new ImageStashException($"store '{store.Path}' is empty; import images before loading them.");
        if (_options.Size is { } size) Shape = new ImageShape(size, size, 3);
        else if (store.FixedShape is { } fixedShape) Shape = fixedShape;
        else if (!store.TryGetHeader(_ids.Length > 0 ? _ids[0] : store.EnumerateIds().First(), out var first))
            throw ImageStashException.MissingId(store.Path, _ids.Length > 0 ? _ids[0] : -1);
        else if (!first.IsRaw)
            throw new ImageStashException($"store '{store.Path}' holds encoded images (image {first.Id} is {ImageEncodingNames.Name(first.Encoding)}); give the loader an output size (LoaderOptions.Size, --size 224) to decode and crop them.", ImageStashError.DoesNotFit);
        else Shape = first.Shape;
        if (_options.Output == LoaderOutput.FloatsChw && (_options.Mean.Count != Shape.Channels || _options.Std.Count != Shape.Channels))
            throw new ArgumentException($"Normalising {Shape.Channels}-channel images needs {Shape.Channels} means and stds; got {_options.Mean.Count} and {_options.Std.Count}.", nameof(options));
        _state = FromOrder(epochOrder?.Start ?? Resumed(orderOptions, ToOrder(resume)) ?? orderOptions.Beginning);
        long total = _ids.Length;
        int w = _options.WorldSize;
        ImagesPerEpoch = epochOrder is not null ? epochOrder.Ids(_state.Epoch).Length : _options.DropLast ? total / w : (total + w - 1) / w;
        BatchesPerEpoch = Batches(ImagesPerEpoch);
    }

    private long Batches(long images) => _options.DropLast ? images / _options.BatchSize : (images + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>The shape of every image handed out (height × width × channels, whatever the layout).</summary>
    public ImageShape Shape { get; }

    /// <summary>Images this rank sees per epoch (of the current epoch, for a streaming store resumed mid-epoch).</summary>
    public long ImagesPerEpoch { get; private set; }

    /// <summary>Batches this rank gets per epoch (of the current epoch, for a streaming store resumed mid-epoch).</summary>
    public long BatchesPerEpoch { get; private set; }

    /// <summary>Where the loader is: after a batch is handed out, the next one; after an epoch, the next epoch's start.</summary>
    public LoaderState State => _epochOrder is null ? _state : FromOrder(_epochOrder.Save(ToOrder(_state)));

    /// <summary>Ids left out as damaged so far (<see cref="LoaderOptions.SkipDamaged"/>), in the order they were met.</summary>
    public IReadOnlyCollection<long> Skipped => _skipped;

    /// <summary>
    /// The remaining batches of the current epoch (all of them, unless resumed mid-epoch); when they are all
    /// handed out the state moves to the next epoch. A batch is valid until the next one is requested.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another epoch of this loader is being enumerated.</exception>
    /// <exception cref="InvalidDataException">An image is damaged (and <see cref="LoaderOptions.SkipDamaged"/> is off); the message names the store and id.</exception>
    public IEnumerable<LoaderBatch> NextEpoch()
    {
        if (_running) throw new InvalidOperationException("Finish (or dispose) the current epoch's enumeration before starting another.");
        return Run();
    }

    /// <summary>This rank's ids of an epoch, in the order they are handed out (exposed for tests and tools).</summary>
    public long[] EpochOrder(int epoch)
    {
        if (_epochOrder is not null) return [.. _epochOrder.Ids(epoch)];
        var shard = new long[ImagesPerEpoch];
        FillEpochOrder(epoch, new int[_ids.Length], shard);
        return shard;
    }

    /// <summary><see cref="EpochOrder"/> into the caller's buffers (the loader reuses its own from epoch to epoch).</summary>
    private void FillEpochOrder(int epoch, int[] order, long[] shard)
    {
        int n = _ids.Length, w = _options.WorldSize;
        for (int i = 0; i < n; i++) order[i] = i;
        if (_options.Shuffle)
        {
            var rng = new Random((int)(LoaderRandom.Mix(_options.Seed, epoch, 0x5EED) & 0x7FFFFFFF));
            for (int i = n - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        // Strided split: rank r takes positions r, r+w, r+2w, …; past the end it wraps to the epoch's start (padding).
        for (long k = 0; k < shard.Length; k++)
            shard[k] = _ids[order[(int)((k * w + _options.Rank) % n)]];
    }

    /// <summary>Stops the loader's threads and lets go of the pooled buffers.</summary>
    public void Dispose()
    {
        _workers?.Dispose();
        _workers = null;
        _free.Clear();
    }

    private static EpochOrderState? Resumed(EpochOrderOptions options, EpochOrderState? resume)
    {
        if (resume is null) return null;
        options.CheckResume(resume, anyWorldSize: false);
        return resume with { BatchSize = options.BatchSize, WorldSize = options.WorldSize };
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(state))]
    private static EpochOrderState? ToOrder(LoaderState? state) =>
        state is null ? null : new(state.Epoch, state.Batch, state.Seed, state.BatchSize, state.WorldSize) { Stream = state.Stream };

    private static LoaderState FromOrder(EpochOrderState state) =>
        new(state.Epoch, state.Batch, state.Seed, state.BatchSize, state.WorldSize) { Stream = state.Stream };

    private IEnumerable<LoaderBatch> Run()
    {
        _running = true;
        int epoch = _state.Epoch;
        long[] shard;
        if (_epochOrder is not null)
        {
            shard = _epochOrder.Ids(epoch);
            (ImagesPerEpoch, BatchesPerEpoch) = (shard.Length, Batches(shard.Length));
        }
        else FillEpochOrder(epoch, _order ??= new int[_ids.Length], shard = _shard ??= new long[ImagesPerEpoch]);
        var inFlight = _inFlight;
        inFlight.Clear();
        long scheduled = _state.Batch;
        LoaderBatch? previous = null;
        try
        {
            while (true)
            {
                while (inFlight.Count < 1 + _options.Prefetch && scheduled < BatchesPerEpoch)
                    inFlight.Enqueue(Schedule(shard, epoch, scheduled++));
                if (inFlight.Count == 0) break;
                var batch = inFlight.Dequeue();
                Finish(batch);
                if (previous is not null) _free.Add(previous);
                previous = batch;
                _state = _state with { Batch = batch.Index + 1 };
                yield return batch;
            }
            _state = _state with { Epoch = epoch + 1, Batch = 0 };
        }
        finally
        {
            foreach (var pending in inFlight)
            {
                pending.Done.Wait(); // the consumer stopped early; a failed read-ahead is not its concern
                _free.Add(pending);
            }
            if (previous is not null) _free.Add(previous);
            _running = false;
        }
    }

    /// <summary>Takes a free batch, fills in which images it holds, and hands it to the threads.</summary>
    private LoaderBatch Schedule(long[] shard, int epoch, long index)
    {
        if (!_free.TryTake(out var batch)) batch = new LoaderBatch(Shape, _options.BatchSize, _options.Output, _options.WithFields);
        long start = index * _options.BatchSize;
        _epochOrder?.Scheduled(epoch, start);
        int count = (int)Math.Min(_options.BatchSize, shard.Length - start);
        shard.AsSpan((int)start, count).CopyTo(batch.IdBuffer);
        batch.Count = count;
        batch.Epoch = epoch;
        batch.Index = index;
        batch.Start = start;
        batch.Skipped = 0;
        Array.Clear(batch.Damaged, 0, count);
        // A photo batch is one unit per image; a stored-shape batch is one read-many.
        int units = _options.Size is null ? 1 : count;
        if (_options.Workers == 0 || _options.Prefetch == 0)
            LoaderWorkers<Scratch>.RunHere(batch, units, _callerScratch ??= new Scratch(_options), Work);
        else
            (_workers ??= new LoaderWorkers<Scratch>(_options.Workers, () => new Scratch(_options), Work)).Submit(batch, units);
        return batch;
    }

    /// <summary>Waits for a batch, rethrows its failure, and closes the gaps its skipped images left.</summary>
    private void Finish(LoaderBatch batch)
    {
        batch.Done.Wait();
        if (batch.Failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        if (!_options.SkipDamaged) return;
        int kept = 0;
        long size = Shape.ByteCount;
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch.Damaged[i])
            {
                _skipped.Enqueue(batch.IdBuffer[i]);
                continue;
            }
            if (kept != i)
            {
                batch.IdBuffer[kept] = batch.IdBuffer[i];
                batch.LabelBuffer[kept] = batch.LabelBuffer[i];
                if (batch.FieldBuffer is { } fields) fields[kept] = fields[i];
                Move(batch.PixelBuffer, i, kept, size);
                if (batch.ChwBuffer is { } chw) Move(chw, i, kept, size);
                if (batch.FloatBuffer is { } floats) Array.Copy(floats, i * size, floats, kept * size, size);
            }
            kept++;
        }
        batch.Skipped = batch.Count - kept;
        batch.Count = kept;
    }

    private static void Move(byte[] buffer, int from, int to, long size) => Array.Copy(buffer, from * size, buffer, to * size, size);

    /// <summary>One unit of a batch, on a loader thread.</summary>
    private void Work(LoaderBatch batch, int unit, Scratch scratch)
    {
        long size = Shape.ByteCount;
        if (_options.Size is null)
        {
            try { _store.ReadMany(batch.IdBuffer.AsSpan(0, batch.Count), batch.PixelBuffer.AsSpan(0, (int)(batch.Count * size)), batch.LabelBuffer); }
            catch (InvalidDataException) when (_options.SkipDamaged) { ReadOneByOne(batch); }
            if (_options.RandomCropPadding > 0 || _options.RandomHorizontalFlip) Augment(batch, scratch);
            for (int i = 0; i < batch.Count; i++) ToOutput(batch, i, batch.PixelBuffer.AsSpan((int)(i * size), (int)size));
            if (batch.FieldBuffer is not null)
                for (int i = 0; i < batch.Count; i++) ReadFields(batch, i);
            return;
        }
        int index = unit;
        var hwc = _options.Output == LoaderOutput.BytesHwc ? batch.PixelBuffer.AsSpan((int)(index * size), (int)size) : scratch.Hwc;
        try
        {
            batch.LabelBuffer[index] = scratch.Photos!.Load(_store, batch.IdBuffer[index], batch.Epoch, hwc);
            if (batch.FieldBuffer is not null) ReadFields(batch, index);
        }
        catch (Exception e) when (_options.SkipDamaged && e is InvalidDataException or ImageStashException { Error: ImageStashError.DoesNotFit })
        {
            batch.Damaged[index] = true;
            return;
        }
        ToOutput(batch, index, hwc);
    }

    /// <summary>Image <paramref name="index"/>'s fields into the batch (only when asked for: the pixels' reads leave them out).</summary>
    private void ReadFields(LoaderBatch batch, int index)
    {
        if (batch.Damaged[index]) return;
        long id = batch.IdBuffer[index];
        try { batch.FieldBuffer![index] = _store.TryGetHeader(id, out var header) ? header.Fields : throw ImageStashException.MissingId(_store.Path, id); }
        catch (InvalidDataException) when (_options.SkipDamaged) { batch.Damaged[index] = true; }
    }

    /// <summary>A read-many met a damaged image: read each image alone to find which ones to leave out.</summary>
    private void ReadOneByOne(LoaderBatch batch)
    {
        int size = Shape.Length;
        for (int i = 0; i < batch.Count; i++)
        {
            try { batch.LabelBuffer[i] = _store.Read(batch.IdBuffer[i], batch.PixelBuffer.AsSpan(i * size, size)).Label; }
            catch (InvalidDataException) { batch.Damaged[i] = true; }
        }
    }

    /// <summary>Writes image <paramref name="index"/>'s HWC pixels in the output layout (nothing to do for HWC bytes).</summary>
    private void ToOutput(LoaderBatch batch, int index, ReadOnlySpan<byte> hwc)
    {
        int plane = Shape.Height * Shape.Width, channels = Shape.Channels;
        int size = plane * channels;
        switch (_options.Output)
        {
            case LoaderOutput.BytesChw:
                Layouts.HwcToChw(hwc, batch.ChwBuffer.AsSpan(index * size, size), plane, channels);
                break;
            case LoaderOutput.FloatsChw:
                Span<float> mean = stackalloc float[channels], std = stackalloc float[channels];
                for (int k = 0; k < channels; k++) (mean[k], std[k]) = (_options.Mean[k], _options.Std[k]);
                Layouts.HwcToFloats(hwc, batch.FloatBuffer.AsSpan(index * size, size), plane, channels, mean, std);
                break;
        }
    }

    /// <summary>CIFAR's random crop and flip, drawn per image from (seed, epoch, id), so they repeat exactly on resume, whatever the world size.</summary>
    private void Augment(LoaderBatch batch, Scratch scratch)
    {
        int size = Shape.Length, pad = _options.RandomCropPadding;
        var copy = scratch.Stored(size);
        for (int i = 0; i < batch.Count; i++)
        {
            var image = batch.PixelBuffer.AsSpan(i * size, size);
            ulong bits = LoaderRandom.Mix(_options.Seed, batch.Epoch, batch.IdBuffer[i]);
            if (pad > 0)
            {
                int dy = (int)(bits % (ulong)(2 * pad + 1)) - pad;
                int dx = (int)(bits / 97 % (ulong)(2 * pad + 1)) - pad;
                Shift(image, copy, dy, dx);
            }
            if (_options.RandomHorizontalFlip && (bits >> 40 & 1) == 1) FlipHorizontal(image);
        }
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

    /// <summary>What one loader thread keeps between images.</summary>
    private sealed class Scratch(LoaderOptions options)
    {
        private byte[] _stored = [];
        private byte[] _hwc = [];

        public PhotoPipeline? Photos { get; } = options.Size is null ? null : new PhotoPipeline(options);

        /// <summary>The photo pipeline's HWC output before it is turned into CHW or floats.</summary>
        public Span<byte> Hwc => _hwc.Length > 0 ? _hwc : _hwc = new byte[(long)options.Size!.Value * options.Size.Value * 3];

        public Span<byte> Stored(int size) => (_stored.Length >= size ? _stored : _stored = new byte[size]).AsSpan(0, size);
    }
}
