namespace ImageStash.Shards;

/// <summary>How <see cref="ShardWriter"/> cuts a store into shards and where it puts them.</summary>
public sealed class ShardWriterOptions
{
    private long _shardSize = 64L << 20;
    private int _parallelUploads = 2;

    /// <summary>The size a shard is filled to before the next one starts (4 KiB – 4 GiB; default 64 MiB; a sample bigger than a shard gets a shard of its own, as MosaicML Streaming and LitData).</summary>
    public long ShardSize
    {
        get => _shardSize;
        set => _shardSize = value is >= 4L << 10 and <= 4L << 30 ? value : throw new ArgumentOutOfRangeException(nameof(ShardSize), value, "Use shards of 4 KiB to 4 GiB.");
    }

    /// <summary>
    /// Write the samples in a seeded random order (default true), so every shard holds a mix of classes even when the
    /// store is sorted by class (an image folder is): a loader shuffling within a few shards then sees mixed batches.
    /// False keeps id order.
    /// </summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>The seed of the shuffled order: the same store, seed and shard size always give the same shards (a re-run resumes).</summary>
    public int Seed { get; set; }

    /// <summary>Finished shards stored at once while the next is written (1–16; default 2).</summary>
    public int ParallelUploads
    {
        get => _parallelUploads;
        set => _parallelUploads = value is >= 1 and <= 16 ? value : throw new ArgumentOutOfRangeException(nameof(ParallelUploads), value, "Use 1 to 16.");
    }

    /// <summary>How to reach object storage for an s3:// destination (defaults from the AWS environment variables).</summary>
    public S3Options S3 { get; set; } = new();

    /// <summary>Where shards bound for object storage are written before they are uploaded (default: the system's temporary folder).</summary>
    public string? SpoolDirectory { get; set; }
}
