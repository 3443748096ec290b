using ImageStash.Sources;

namespace ImageStash.Bench;

/// <summary>What <see cref="StoreBenchmark.Run"/> measures. Setters validate at once.</summary>
public sealed class BenchOptions
{
    /// <summary>The article's counts: 1, 10, …, 100,000.</summary>
    public static readonly IReadOnlyList<int> ArticleCounts = [1, 10, 100, 1_000, 10_000, 100_000];

    /// <summary>The counts <c>--quick</c> runs: up to 10,000.</summary>
    public static readonly IReadOnlyList<int> QuickCounts = [1, 10, 100, 1_000, 10_000];

    /// <summary>The store kinds to measure, by format name.</summary>
    /// <value>The default value is every kind the registry knows.</value>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public IReadOnlyList<string>? Stores
    {
        get;
        set => field = value is { Count: 0 } ? throw new ArgumentException("Name at least one store kind.", nameof(value)) : value;
    }

    /// <summary>Image counts for store-many and read-many.</summary>
    /// <value>The default value is <see cref="ArticleCounts"/>.</value>
    /// <exception cref="ArgumentException">The list is empty or holds a count below 1.</exception>
    public IReadOnlyList<int> Counts
    {
        get;
        set => field = value.Count == 0 || value.Any(c => c < 1)
            ? throw new ArgumentException("Counts must be a non-empty list of positive numbers.", nameof(value))
            : [.. value.Distinct().Order()];
    } = ArticleCounts;

    /// <summary>Timed runs per measurement (after one untimed warm-up); the median is reported.</summary>
    /// <value>The default value is 3.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int Repeat
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Repeat must be at least 1.");
    } = 3;

    /// <summary>fsync before the clock stops on writes (durable-write figures); otherwise the page cache absorbs them.</summary>
    /// <value>The default value is false.</value>
    public bool Sync { get; set; }

    /// <summary>
    /// Images per <see cref="IImageStore.Put"/> (one commit each) in store-many: the images stream in as
    /// <c>imagestash import</c> writes them. A size of at least N puts all N in one call, as the article's code does
    /// (one h5py dataset write, one LMDB transaction).
    /// </summary>
    /// <value>The default value is 1,024, the import's default.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int BatchSize
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Batch size must be at least 1.");
    } = 1024;

    /// <summary>Where the stores under test are created (a fresh folder per store and count), then deleted.</summary>
    /// <value>The default value is a new folder under the system's temp folder.</value>
    public string? WorkDirectory { get; set; }

    /// <summary>Skip the untimed warm-up run (tests only: figures are then colder).</summary>
    /// <value>The default value is false.</value>
    public bool SkipWarmup { get; set; }

    /// <summary>
    /// A folder whose disk use the stores' is compared with, prorated per image (the photo folder the images came
    /// from): each count gets a <see cref="StoreBenchmark.SourceFiles"/> limit row. Null for none.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? DiskReference { get; set; }

    /// <summary>How many images <see cref="DiskReference"/> holds (to prorate its size).</summary>
    /// <value>The default value is 0.</value>
    public long DiskReferenceImages { get; set; }

    /// <summary>
    /// The rules for a folder of photos (<paramref name="source"/> an <see cref="ImageFolderSource"/>, opened from
    /// <paramref name="spec"/>): photos are not cycled past the folder (100,000 of them would not fit in memory), so
    /// unless <paramref name="countsChosen"/> the counts stop at the folder's size; and the folder's own disk use
    /// becomes <see cref="DiskReference"/>, the reference the stores' is compared with. Other sources change nothing.
    /// </summary>
    /// <param name="source">The source the run will use (possibly limited to the largest count).</param>
    /// <param name="spec">What <paramref name="source"/> was opened from.</param>
    /// <param name="countsChosen">The counts were chosen by the user: keep them.</param>
    public void ApplyPhotoFolderRules(IImageSource source, string spec, bool countsChosen)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(spec);
        if (source is not ImageFolderSource || source.Count is not { } photos) return;
        if (!countsChosen) Counts = [.. Counts.Where(c => c < photos).Append((int)photos).Distinct()];
        DiskReference = spec;
        using var whole = ImageSources.Open(spec); // the folder's own count: the source may be limited
        DiskReferenceImages = whole.Count ?? photos;
    }
}
