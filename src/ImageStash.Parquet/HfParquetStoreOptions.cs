namespace ImageStash.Parquet;

/// <summary>How a Hugging Face Parquet dataset is read as a store: how widely the loader shuffles and how far ahead it reads.</summary>
public sealed class HfParquetStoreOptions
{
    private int _shuffle = 16, _prefetch = 4;

    /// <summary>
    /// The loader's shuffle window, in row groups (1–256): each epoch visits the row groups in a new seeded order
    /// and shuffles the rows of every run of this many row groups together, the epoch plan of
    /// docs/formats/shards.md with row groups for shards. The store holds about this many row groups in memory
    /// (with the prefetched ones).
    /// </summary>
    /// <value>The default value is 16: 1,600 photos of the Hub's 100-row groups.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in 1–256.</exception>
    public int ShuffleRowGroups
    {
        get => _shuffle;
        set => _shuffle = value is >= 1 and <= 256 ? value : throw new ArgumentOutOfRangeException(nameof(ShuffleRowGroups), value, "Shuffle over 1 to 256 row groups.");
    }

    /// <summary>Row groups the loader reads ahead of the ones it hands out (0–64).</summary>
    /// <value>The default value is 4.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in 0–64.</exception>
    public int PrefetchRowGroups
    {
        get => _prefetch;
        set => _prefetch = value is >= 0 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(PrefetchRowGroups), value, "Prefetch 0 to 64 row groups.");
    }
}
