using ImageStash.Pixels;
namespace ImageStash.Loading;

/// <summary>
/// One batch: images back to back in the loader's <see cref="LoaderOptions.Output"/> layout, their labels and ids.
/// The buffers are pooled: a batch is valid until the next one is requested from the loader.
/// </summary>
public sealed partial class LoaderBatch
{
    internal LoaderBatch(ImageShape shape, int capacity, LoaderOutput output, bool withFields)
    {
        Shape = shape;
        Output = output;
        long values = (long)capacity * shape.ByteCount;
        if (values > Array.MaxLength)
            throw new ArgumentException($"A batch of {capacity} images of {shape} needs {values:N0} values, more than one buffer holds; use a smaller batch.");
        // The stored pixels (HWC) for the fixed-shape path, and the HWC output of the photo pipeline.
        // Pinned (the pinned object heap): a framework may keep a tensor over a pooled buffer for the loader's life
        // (see PixelMemory) without fragmenting the heap the way long-lived pins do.
        PixelBuffer = GC.AllocateUninitializedArray<byte>((int)values, pinned: true);
        if (output == LoaderOutput.BytesChw) ChwBuffer = GC.AllocateUninitializedArray<byte>((int)values, pinned: true);
        if (output == LoaderOutput.FloatsChw) FloatBuffer = GC.AllocateUninitializedArray<float>((int)values, pinned: true);
        LabelBuffer = new int[capacity];
        IdBuffer = new long[capacity];
        if (withFields) FieldBuffer = new RecordFields?[capacity];
        Damaged = new bool[capacity];
        Done = new ManualResetEventSlim(false);
    }

    internal byte[] PixelBuffer { get; }
    internal byte[]? ChwBuffer { get; }
    internal float[]? FloatBuffer { get; }
    internal int[] LabelBuffer { get; }
    internal long[] IdBuffer { get; }
    internal RecordFields?[]? FieldBuffer { get; }

    // Work state while the loader's workers fill the batch (see ImageLoader).
    internal bool[] Damaged { get; }
    internal ManualResetEventSlim Done { get; }
    internal int Units, NextUnit, PendingUnits, FailedUnit;
    internal Exception? Failure;
    internal long Start;

    /// <summary>Images in the batch.</summary>
    public int Count { get; internal set; }

    /// <summary>The shape of every image, height × width × channels (whatever the layout).</summary>
    public ImageShape Shape { get; }

    /// <summary>The layout of <see cref="Pixels"/> or <see cref="Floats"/>.</summary>
    public LoaderOutput Output { get; }

    /// <summary>The epoch this batch belongs to.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The batch's index within its epoch.</summary>
    public long Index { get; internal set; }

    /// <summary>Images of this batch left out as damaged (<see cref="LoaderOptions.SkipDamaged"/>).</summary>
    public int Skipped { get; internal set; }

    /// <summary>Pixels, N×H×W×C (<see cref="LoaderOutput.BytesHwc"/>) or N×C×H×W (<see cref="LoaderOutput.BytesChw"/>).</summary>
    /// <exception cref="InvalidOperationException">The loader hands out floats: use <see cref="Floats"/>.</exception>
    public ReadOnlySpan<byte> Pixels => Output switch
    {
        LoaderOutput.BytesHwc => PixelBuffer.AsSpan(0, (int)(Count * Shape.ByteCount)),
        LoaderOutput.BytesChw => ChwBuffer.AsSpan(0, (int)(Count * Shape.ByteCount)),
        _ => throw new InvalidOperationException("This loader hands out normalised floats (LoaderOutput.FloatsChw): read Floats."),
    };

    /// <summary>Normalised pixels, float32 N×C×H×W (<see cref="LoaderOutput.FloatsChw"/>).</summary>
    /// <exception cref="InvalidOperationException">The loader hands out bytes: use <see cref="Pixels"/>.</exception>
    public ReadOnlySpan<float> Floats => FloatBuffer is { } f
        ? f.AsSpan(0, (int)(Count * Shape.ByteCount))
        : throw new InvalidOperationException($"This loader hands out bytes ({Output}): read Pixels, or use LoaderOutput.FloatsChw.");

    /// <summary>Labels, N.</summary>
    public ReadOnlySpan<int> Labels => LabelBuffer.AsSpan(0, Count);

    /// <summary>Ids, N.</summary>
    public ReadOnlySpan<long> Ids => IdBuffer.AsSpan(0, Count);

    /// <summary>Each image's fields (a caption, tags, ...; null for an image without any), N.</summary>
    /// <exception cref="InvalidOperationException">The loader was not asked for fields (<see cref="LoaderOptions.WithFields"/>).</exception>
    public ReadOnlySpan<RecordFields?> Fields => FieldBuffer is { } f
        ? f.AsSpan(0, Count)
        : throw new InvalidOperationException("This loader does not hand out fields: set LoaderOptions.WithFields (--with-fields) to have them.");

    /// <summary>
    /// Writes a byte batch as float32 N×C×H×W (the layout TorchSharp and ML.NET expect), each channel scaled to [0, 1]
    /// then normalised: (x / 255 − mean[c]) / std[c].
    /// </summary>
    /// <exception cref="ArgumentException">The destination is too small, or mean/std do not have one value per channel.</exception>
    /// <exception cref="InvalidOperationException">The batch is floats already.</exception>
    public void ToNormalizedChw(Span<float> destination, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int c = Shape.Channels, plane = Shape.Height * Shape.Width;
        if (mean.Length != c || std.Length != c)
            throw new ArgumentException($"Give one mean and one std per channel ({c}); got {mean.Length} and {std.Length}.");
        if (destination.Length < (long)Count * c * plane)
            throw new ArgumentException($"{Count} images of {Shape} need {(long)Count * c * plane} floats; the buffer holds {destination.Length}.", nameof(destination));
        var pixels = Pixels;
        for (int n = 0; n < Count; n++)
        {
            var image = pixels.Slice(n * c * plane, c * plane);
            var output = destination.Slice(n * c * plane, c * plane);
            if (Output == LoaderOutput.BytesChw) Layouts.ChwToFloats(image, output, plane, c, mean, std);
            else Layouts.HwcToFloats(image, output, plane, c, mean, std);
        }
    }
}
