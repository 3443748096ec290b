namespace ImageStash.Sources;

/// <summary>How to read a source. Setters validate at once.</summary>
public sealed class SourceOptions
{
    /// <summary>Read at most this many images; null for all.</summary>
    /// <value>The default value is null.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long? Limit
    {
        get;
        set => field = value is < 0 ? throw new ArgumentOutOfRangeException(nameof(value), value, "Limit must be 0 or more.") : value;
    }

    /// <summary>Resize every image to this size (image folders); null keeps each image's own size.</summary>
    /// <value>The default value is null.</value>
    public ImageShape? Resize { get; set; }

    /// <summary>What to do with an input that cannot be read.</summary>
    /// <value>The default value is <see cref="SourceErrorMode.Fail"/>.</value>
    public SourceErrorMode OnError { get; set; } = SourceErrorMode.Fail;

    /// <summary>Which CIFAR-10 batches to read.</summary>
    /// <value>The default value is <see cref="CifarSplit.Train"/>.</value>
    public CifarSplit Split { get; set; } = CifarSplit.Train;

    /// <summary>Refuse CIFAR-10 labels above 9 (a sign of a wrong file) instead of keeping them.</summary>
    /// <value>The default value is true.</value>
    public bool StrictLabels { get; set; } = true;

    /// <summary>The seed for synthetic images.</summary>
    /// <value>The default value is 42.</value>
    public int Seed { get; set; } = 42;
}
