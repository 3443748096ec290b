namespace ImageStash.Bench;

/// <summary>Everything a bench run measured, and on what.</summary>
/// <param name="Rows">One row per store × operation × count, plus the limit rows.</param>
/// <param name="Machine">Where it ran.</param>
/// <param name="Source">What the images were.</param>
/// <param name="Shape">The images' shape when all are raw and of one shape; null for photos (see <see cref="Images"/>).</param>
/// <param name="Repeat">Timed runs per figure.</param>
/// <param name="Sync">Whether writes were fsync'ed before the clock stopped.</param>
/// <param name="BatchSize">Images per Put (one commit each) in store-many.</param>
/// <param name="StartedUtc">When the run began.</param>
public sealed record BenchResults(
    IReadOnlyList<BenchRow> Rows, MachineInfo Machine, string Source, ImageShape? Shape, int Repeat, bool Sync, int BatchSize, DateTime StartedUtc)
{
    /// <summary>What the images were, in a few words ("32×32×3 raw", "390×392 on average, …, JPEG 98 %").</summary>
    public string Images { get; init; } = Shape?.ToString() ?? "";

    /// <summary>The row for a store, operation and count, if measured.</summary>
    public BenchRow? Find(string store, string operation, int count) =>
        Rows.FirstOrDefault(r => r.Store == store && r.Operation == operation && r.Count == count);

    /// <summary>The store kinds measured, in run order (without "limit" and peers).</summary>
    public IReadOnlyList<string> Stores => [.. Rows.Where(r => !r.Peer).Select(r => r.Store).Where(s => s != StoreBenchmark.LimitStore).Distinct()];

    /// <summary>The peers merged in with <see cref="WithPeer"/>, in order.</summary>
    public IReadOnlyList<string> Peers => [.. Rows.Where(r => r.Peer).Select(r => r.Store).Distinct()];

    /// <summary>
    /// These results plus a peer's rows (measured elsewhere on the same images and machine), each given its
    /// multiple of this run's limit rows.
    /// </summary>
    public BenchResults WithPeer(IEnumerable<BenchRow> peerRows) =>
        this with { Rows = [.. Rows, .. StoreBenchmark.WithLimitMultiples(Rows, peerRows.Select(r => r with { Peer = true }))] };

    /// <summary>The counts measured for store_many, ascending.</summary>
    public IReadOnlyList<int> Counts => [.. Rows.Where(r => r.Operation == StoreBenchmark.StoreMany).Select(r => r.Count).Distinct().Order()];
}
