namespace ImageStash.Loading;

/// <summary>
/// Where a loader is: enough to resume mid-epoch exactly, in a new process, with the same options. Save it with
/// your checkpoint (it serializes with System.Text.Json as is).
/// </summary>
/// <param name="Epoch">The epoch in progress (0-based).</param>
/// <param name="Batch">The next batch to hand out within that epoch.</param>
/// <param name="Seed">The seed the order was derived from; resuming with another seed is refused.</param>
/// <param name="BatchSize">The batch size the position counts in; resuming with another is refused (0: not recorded, by an older version).</param>
/// <param name="WorldSize">How many ranks shared the epoch; resuming with another is refused (0: not recorded),
/// except over a shard set, which splits what is left of the epoch among the new ranks.</param>
public sealed record LoaderState(int Epoch, long Batch, int Seed, int BatchSize = 0, int WorldSize = 0)
{
    /// <summary>
    /// Over a shard set: which of the epoch's positions were left when this rank's segment began, and the shuffle
    /// window (an opaque text, e.g. <c>shards-v2;window=2;left=0-5000</c>). Null for other stores.
    /// </summary>
    public string? Stream { get; init; }
}
