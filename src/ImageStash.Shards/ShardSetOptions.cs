namespace ImageStash.Shards;

/// <summary>How a shard set is read: where shards from object storage are cached, how far ahead they are fetched, and how widely the loader shuffles.</summary>
public sealed class ShardSetOptions
{
    private long _cacheLimit = DefaultCacheLimit();
    private int _prefetch = 2, _shuffle = 2;

    /// <summary>How to reach object storage (defaults from the AWS environment variables).</summary>
    public S3Options S3 { get; set; } = new();

    /// <summary>
    /// The shard cache, shared by every process on the machine: default IMAGESTASH_CACHE, else
    /// $XDG_CACHE_HOME/imagestash/shards, else ~/.cache/imagestash/shards. Each set gets its own folder inside.
    /// </summary>
    public string CacheDirectory { get; set; } = Environment.GetEnvironmentVariable("IMAGESTASH_CACHE") is { Length: > 0 } c ? c
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "imagestash", "shards");

    /// <summary>
    /// The most bytes one set's cache keeps (least recently used shards go first, never one a process has open;
    /// default IMAGESTASH_CACHE_LIMIT, e.g. "8GiB", else 20 GiB; at least 1 MiB). It should hold the shuffle window
    /// and the prefetched shards of every process reading the set, or shards are fetched again.
    /// </summary>
    public long CacheLimit
    {
        get => _cacheLimit;
        set => _cacheLimit = value >= 1L << 20 ? value : throw new ArgumentOutOfRangeException(nameof(CacheLimit), value, "Give the cache at least 1 MiB.");
    }

    private static long DefaultCacheLimit()
    {
        string? text = Environment.GetEnvironmentVariable("IMAGESTASH_CACHE_LIMIT");
        if (string.IsNullOrWhiteSpace(text)) return 20L << 30;
        return ByteSize.Parse(text) is >= 1L << 20 and var limit ? limit
            : throw new ImageStashException($"IMAGESTASH_CACHE_LIMIT '{text}' is not a size of at least 1 MiB: write e.g. 8GiB or 500MiB.", ImageStashError.Other);
    }

    /// <summary>Shards the loader fetches ahead of the ones it reads (0–64; default 2).</summary>
    public int PrefetchShards
    {
        get => _prefetch;
        set => _prefetch = value is >= 0 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(PrefetchShards), value, "Prefetch 0 to 64 shards.");
    }

    /// <summary>
    /// The loader's shuffle window, in shards (1–64; default 2): each epoch visits the shards in a new seeded order
    /// and shuffles the samples of every run of this many shards together (docs/formats/shards.md says what
    /// shuffle quality that gives, measured). The disk cache must hold window + prefetch shards.
    /// </summary>
    public int ShuffleShards
    {
        get => _shuffle;
        set => _shuffle = value is >= 1 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(ShuffleShards), value, "Shuffle over 1 to 64 shards.");
    }
}
