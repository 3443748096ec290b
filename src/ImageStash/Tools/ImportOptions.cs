namespace ImageStash.Tools;

/// <summary>How <see cref="StoreImporter.Import"/> writes a source into a store. Setters validate at once.</summary>
public sealed class ImportOptions
{
    /// <summary>Images per commit.</summary>
    /// <value>The default value is 1,024.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int BatchSize
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Batch size must be at least 1.");
    } = 1024;

    /// <summary>Replace images whose id exists instead of failing.</summary>
    /// <value>The default value is false.</value>
    public bool Overwrite { get; set; }

    /// <summary>The id of the first imported image; null appends after the store's largest id.</summary>
    /// <value>The default value is null.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long? FirstId
    {
        get;
        set => field = value is < 0 ? throw new ArgumentOutOfRangeException(nameof(value), value, "Ids are non-negative.") : value;
    }

    /// <summary>Keep the ids the source gives (a store being converted) instead of numbering from <see cref="FirstId"/>.</summary>
    /// <value>The default value is false.</value>
    public bool KeepSourceIds { get; set; }

    /// <summary>Told the running total of images written after each commit.</summary>
    /// <value>The default value is null.</value>
    public IProgress<long>? Progress { get; set; }
}
