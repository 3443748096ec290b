namespace ImageStash.Bench;

/// <summary>What <see cref="LoaderBenchmark.Run"/> measures. Setters validate at once.</summary>
public sealed class LoaderBenchOptions
{
    /// <summary>Epochs to run; the first is a warm-up left out of the statistics when there is more than one.</summary>
    /// <value>The default value is 3.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int Epochs
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Epochs must be at least 1.");
    } = 3;

    /// <summary>Threads the decode limits run on (the loader's workers, for a like-for-like ratio).</summary>
    /// <value>The default value is the number of processors.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int Threads
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be at least 1.");
    } = Environment.ProcessorCount;

    /// <summary>
    /// The photo pipeline's options: when set, the decode limits are measured in turns with the epochs (limit, crop
    /// limit, epoch, …) on the store's encoded images; null measures epochs only.
    /// </summary>
    /// <value>The default value is null.</value>
    public Loading.LoaderOptions? DecodeLimits { get; set; }

    /// <summary>
    /// Measures the raw input limit before each epoch (after its decode limits): the bytes a plain read of the store's
    /// stored bytes took in and the seconds it took, or null (a shard set: <c>ShardSetStore.MeasureRawGets</c>).
    /// </summary>
    /// <value>The default value is null: not measured.</value>
    public Func<CancellationToken, (long Bytes, double Seconds)?>? MeasureRawInput { get; set; }

    /// <summary>The store's bytes per image as the loader takes them in (for the raw input ratio).</summary>
    /// <value>The default value is null: unknown.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public double? StoredBytesPerImage
    {
        get;
        set => field = value is null or > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Stored bytes per image must be positive.");
    }

    /// <summary>Runs before each epoch, after its measurements and outside its timing (e.g. emptying a shard cache).</summary>
    /// <value>The default value is null.</value>
    public Action<int>? BeforeEpoch { get; set; }
}
