using System.Runtime.InteropServices;
using ImageStash.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace ImageStash.TorchSharp;

/// <summary>
/// Feeds a TorchSharp training loop from any ImageStash store or shard set: an <see cref="ImageLoader"/> whose batches
/// come out as <c>(images, labels)</c> tensors. On the CPU the image tensors are views over the loader's pinned, pooled
/// buffers — no copy and no managed allocation per batch — and the labels are int64 tensors over pooled buffers of
/// this loader's. Order, shuffling, ranks, transforms and resumption are the loader's (see <see cref="LoaderOptions"/>).
/// </summary>
/// <remarks>
/// A batch's tensors are valid until the next batch is requested: the next batch overwrites the buffers they view.
/// A training step (forward, backward, optimiser step) is done with them by then; <c>clone()</c> anything kept longer.
/// Disposing them is allowed (a <c>torch.NewDisposeScope()</c> around the step does so); the loader makes new views
/// when it needs them. On another device each batch is copied there once (<c>Tensor.to</c>); only the CPU is tested.
/// </remarks>
/// <example>
/// <code>
/// using var loader = new TensorLoader(store, new LoaderOptions { BatchSize = 128, Size = 64, Output = LoaderOutput.FloatsChw });
/// for (int epoch = 0; epoch &lt; 10; epoch++)
///     foreach (var (images, labels) in loader.NextEpoch())
///     {
///         using var scope = torch.NewDisposeScope();
///         optimizer.zero_grad();
///         functional.cross_entropy(model.forward(images), labels).backward();
///         optimizer.step();
///     }
/// </code>
/// </example>
public sealed class TensorLoader : IDisposable
{
    private readonly ImageLoader _loader;
    private readonly Dictionary<Array, Views> _views = new(ReferenceEqualityComparer.Instance);
    private Tensor? _deviceImages, _deviceLabels; // the last batch's copies on a device other than the CPU

    /// <summary>Creates a loader over the images <paramref name="store"/> holds now.</summary>
    /// <param name="store">Any store or shard set (the caller keeps ownership). Without <see cref="LoaderOptions.Size"/>, its images must be raw and of one shape.</param>
    /// <param name="options">Batching, order, ranks, transforms and output layout; null for the defaults (uint8 N×H×W×C).</param>
    /// <param name="resume">A <see cref="State"/> saved from a loader with the same options, to continue where it stopped.</param>
    /// <param name="device">Where the tensors go; null for the CPU, where they are views of the loader's buffers.</param>
    /// <exception cref="ArgumentException">The options or the state do not fit (see <see cref="ImageLoader(IImageStore, LoaderOptions?, LoaderState?)"/>).</exception>
    /// <exception cref="ImageStashException">The store is empty, or holds encoded images and no output size was given.</exception>
    public TensorLoader(IImageStore store, LoaderOptions? options = null, LoaderState? resume = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Options = options ?? new LoaderOptions();
        Device = device ?? CPU;
        _loader = new ImageLoader(store, Options, resume);
    }

    /// <summary>The options the loader was made with.</summary>
    public LoaderOptions Options { get; }

    /// <summary>Where the tensors are.</summary>
    public Device Device { get; }

    /// <summary>The shape of every image, height × width × channels (whatever the layout).</summary>
    public ImageShape Shape => _loader.Shape;

    /// <summary>This process's rank among <see cref="WorldSize"/>.</summary>
    public int Rank => Options.Rank;

    /// <summary>How many processes share each epoch; every rank gets the same number of batches.</summary>
    public int WorldSize => Options.WorldSize;

    /// <summary>Images this rank sees per epoch.</summary>
    public long ImagesPerEpoch => _loader.ImagesPerEpoch;

    /// <summary>Batches this rank gets per epoch.</summary>
    public long BatchesPerEpoch => _loader.BatchesPerEpoch;

    /// <summary>Where the loader is, to save with a checkpoint and pass back as <c>resume</c>; it continues exactly, tensor for tensor.</summary>
    public LoaderState State => _loader.State;

    /// <summary>Ids left out as damaged so far (<see cref="LoaderOptions.SkipDamaged"/>).</summary>
    public IReadOnlyCollection<long> Skipped => _loader.Skipped;

    /// <summary>
    /// The remaining batches of the current epoch as tensors (all of them, unless resumed mid-epoch); then the state
    /// moves to the next epoch. A batch's tensors are valid until the next batch is requested.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another epoch of this loader is being enumerated.</exception>
    /// <exception cref="InvalidDataException">An image is damaged (and <see cref="LoaderOptions.SkipDamaged"/> is off).</exception>
    public IEnumerable<TensorBatch> NextEpoch()
    {
        var batches = _loader.NextEpoch(); // throws here, not at the first MoveNext, if an epoch is running
        return Run(batches);
    }

    private IEnumerable<TensorBatch> Run(IEnumerable<LoaderBatch> batches)
    {
        foreach (var batch in batches)
            yield return ToTensors(batch);
    }

    private TensorBatch ToTensors(LoaderBatch batch)
    {
        Array buffer;
        ScalarType type;
        if (batch.Output == LoaderOutput.FloatsChw)
            (buffer, type) = (ArrayOf(batch.FloatMemory), ScalarType.Float32);
        else
            (buffer, type) = (ArrayOf(batch.PixelMemory), ScalarType.Byte);
        if (!_views.TryGetValue(buffer, out var views)) _views.Add(buffer, views = new Views(buffer, type, batch, Shape));
        var (images, labels) = views.For(batch);
        if (Device.type != DeviceType.CPU)
        {
            _deviceImages?.Dispose();
            _deviceLabels?.Dispose();
            images = _deviceImages = images.to(Device).DetachFromDisposeScope();
            labels = _deviceLabels = labels.to(Device).DetachFromDisposeScope();
        }
        return new TensorBatch(images, labels, batch);
    }

    private static T[] ArrayOf<T>(ReadOnlyMemory<T> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0
            ? segment.Array!
            : throw new InvalidOperationException("The loader's batch is not an array from its start; ImageStash.TorchSharp needs a newer ImageStash.");

    /// <summary>Disposes the tensors, then the loader and its buffers.</summary>
    public void Dispose()
    {
        foreach (var views in _views.Values) views.Dispose();
        _views.Clear();
        _deviceImages?.Dispose();
        _deviceLabels?.Dispose();
        _loader.Dispose();
    }

    /// <summary>The tensors over one pooled buffer of the loader, made once and reused by every batch it carries.</summary>
    private sealed class Views(Array buffer, ScalarType type, LoaderBatch first, ImageShape shape) : IDisposable
    {
        private readonly long _capacity = buffer.LongLength / shape.ByteCount;
        // int64 labels (the loader's are int32), pinned like the loader's buffers because a tensor views them for good.
        private readonly long[] _labels = GC.AllocateArray<long>((int)(buffer.LongLength / shape.ByteCount), pinned: true);
        private readonly long[] _dims = first.Output == LoaderOutput.BytesHwc
            ? [buffer.LongLength / shape.ByteCount, shape.Height, shape.Width, shape.Channels]
            : [buffer.LongLength / shape.ByteCount, shape.Channels, shape.Height, shape.Width];
        private Tensor? _images, _labelTensor;     // the whole buffers
        private Tensor? _partImages, _partLabels;  // the first N of them, for a batch that is not full
        private int _partCount;

        public (Tensor Images, Tensor Labels) For(LoaderBatch batch)
        {
            int n = batch.Count;
            var labels = batch.Labels;
            for (int i = 0; i < n; i++) _labels[i] = labels[i];
            // Views are remade only if the caller disposed them (a dispose scope around the training step does).
            if (_images is null || _images.IsInvalid) _images = Whole(buffer, type, _dims);
            if (_labelTensor is null || _labelTensor.IsInvalid) _labelTensor = Whole(_labels, ScalarType.Int64, [_capacity]);
            if (n == _capacity) return (_images, _labelTensor);
            if (_partImages is null || _partImages.IsInvalid || _partLabels is null || _partLabels.IsInvalid || _partCount != n)
            {
                _partImages?.Dispose();
                _partLabels?.Dispose();
                _partImages = _images.narrow(0, 0, n).DetachFromDisposeScope();
                _partLabels = _labelTensor.narrow(0, 0, n).DetachFromDisposeScope();
                _partCount = n;
            }
            return (_partImages, _partLabels);
        }

        private static Tensor Whole(Array array, ScalarType type, long[] dims)
        {
            // frombuffer pins the array with a handle and shares its memory; the view keeps that storage alive.
            using var flat = frombuffer(array, type);
            return flat.view(dims).DetachFromDisposeScope();
        }

        public void Dispose()
        {
            _images?.Dispose();
            _labelTensor?.Dispose();
            _partImages?.Dispose();
            _partLabels?.Dispose();
        }
    }
}
