namespace ImageStash.Loading;

/// <summary>How an <see cref="ImageLoader"/> batches a store. Setters validate at once.</summary>
public sealed class LoaderOptions
{
    /// <summary>Images per batch.</summary>
    /// <value>The default value is 256.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int BatchSize
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Batch size must be at least 1.");
    } = 256;

    /// <summary>Visit images in a new random order each epoch (derived from <see cref="Seed"/> and the epoch); otherwise in id order.</summary>
    /// <value>The default value is true.</value>
    public bool Shuffle { get; set; } = true;

    /// <summary>The seed of every epoch's order and of the random transforms.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; set; }

    /// <summary>
    /// Drop what does not fill a whole batch (and, with several ranks, the images past an even split); otherwise the
    /// last batch is smaller and shards are padded with images from the start of the epoch, as PyTorch's
    /// DistributedSampler does.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool DropLast { get; set; }

    /// <summary>This process's index among <see cref="WorldSize"/> processes.</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int Rank
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Rank must be 0 or more.");
    }

    /// <summary>How many processes share each epoch; each gets a disjoint, equal-sized shard.</summary>
    /// <value>The default value is 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int WorldSize
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "World size must be at least 1.");
    } = 1;

    /// <summary>Batches read ahead in the background (each holds one pooled buffer).</summary>
    /// <value>The default value is the number of processors (at least 2).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 0.</exception>
    public int Prefetch
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Prefetch must be 0 or more.");
    } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Pad each side by this many pixels (zeros) and crop a random window of the original size; 0 for none (CIFAR uses 4).</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int RandomCropPadding
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Padding must be 0 or more.");
    }

    /// <summary>Mirror each image left–right with probability ½.</summary>
    /// <value>The default value is false.</value>
    public bool RandomHorizontalFlip { get; set; }
}
