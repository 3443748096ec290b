namespace ImageStash;

/// <summary>
/// Where a reader of a streaming store is: enough for <see cref="IStreamingStore.Order"/> to resume mid-epoch
/// exactly, in a new process. The loader keeps it inside its own <c>LoaderState</c>.
/// </summary>
/// <param name="Epoch">The epoch in progress (0-based).</param>
/// <param name="Batch">The next batch to hand out within that epoch.</param>
/// <param name="Seed">The seed the order was derived from.</param>
/// <param name="BatchSize">The batch size the position counts in (0: not recorded).</param>
/// <param name="WorldSize">How many ranks shared the epoch (0: not recorded).</param>
public sealed record EpochOrderState(int Epoch, long Batch, int Seed, int BatchSize = 0, int WorldSize = 0)
{
    /// <summary>The store's own position, an opaque text it alone parses (a shard set: the shuffle window and the
    /// ranges of the epoch left, e.g. <c>shards-v1;window=2;left=0-5000</c>). Null when the store keeps none.</summary>
    public string? Stream { get; init; }
}
