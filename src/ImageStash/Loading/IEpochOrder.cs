namespace ImageStash.Loading;

/// <summary>
/// The order a streaming store is read in, instead of a permutation of its ids: a shard set hands each rank a
/// range of its shards, shuffled within a window, so that reading streams shard by shard (ImageStash.Shards).
/// </summary>
internal interface IEpochOrder
{
    /// <summary>Where the loader starts (epoch, and batch within <see cref="Ids"/> of that epoch), a resume applied.</summary>
    LoaderState Start { get; }

    /// <summary>The state to save at <paramref name="position"/>: with what a resume on any world size needs.</summary>
    LoaderState Save(LoaderState position);

    /// <summary>This rank's ids for <paramref name="epoch"/>, in the order they are handed out; every rank gets as many batches.</summary>
    long[] Ids(int epoch);

    /// <summary>The loader has scheduled the batch that starts at <paramref name="start"/> of <see cref="Ids"/>: time to fetch what comes next.</summary>
    void Scheduled(int epoch, long start);
}
