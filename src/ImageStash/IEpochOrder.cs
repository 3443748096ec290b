namespace ImageStash;

/// <summary>
/// The order a streaming store is read in, instead of a permutation of its ids: a shard set hands each rank a range
/// of its shards, shuffled within a window, so that reading streams shard by shard.
/// </summary>
public interface IEpochOrder
{
    /// <summary>Where reading starts (epoch, and batch within <see cref="Ids"/> of that epoch), a resume applied.</summary>
    EpochOrderState Start { get; }

    /// <summary>The state to save at <paramref name="position"/>: with what a resume on any world size needs.</summary>
    /// <param name="position">The epoch and the next batch to hand out, as the reader counts them.</param>
    EpochOrderState Save(EpochOrderState position);

    /// <summary>This rank's ids for <paramref name="epoch"/>, in the order they are handed out; every rank gets as many batches.</summary>
    long[] Ids(int epoch);

    /// <summary>The reader has scheduled the batch that starts at <paramref name="start"/> of <see cref="Ids"/>: time to fetch what comes next.</summary>
    void Scheduled(int epoch, long start);
}
