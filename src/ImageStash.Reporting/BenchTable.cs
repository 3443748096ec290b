using ImageStash.Bench;
using ImageStash.Reporting.Internal;

namespace ImageStash.Reporting;

/// <summary>
/// Bench figures as a table for people (the console and report.md): rows grouped per count, the stores first in
/// run order, then the machine's limit rows; times and sizes in human units. results.csv/json keep plain seconds.
/// </summary>
public static class BenchTable
{
    private static readonly string[] OperationOrder =
        [StoreBenchmark.StoreSingle, StoreBenchmark.ReadSingle, StoreBenchmark.StoreMany, StoreBenchmark.ReadMany,
         StoreBenchmark.WriteSequential, StoreBenchmark.CreateFiles, StoreBenchmark.ReadSequential, StoreBenchmark.Memcpy];

    /// <summary>The column headings of <see cref="Cells"/>.</summary>
    public static IReadOnlyList<string> Headings { get; } = ["store", "operation", "count", "time (median)", "images/s", "× limit", "on disk"];

    /// <summary>Our own rows (no peers) in table order.</summary>
    public static IEnumerable<BenchRow> Ordered(BenchResults results)
    {
        var stores = results.Stores.ToList();
        int StoreRank(BenchRow r) => r.Store == StoreBenchmark.LimitStore ? int.MaxValue : stores.IndexOf(r.Store);
        int OperationRank(BenchRow r) => Array.IndexOf(OperationOrder, r.Operation) is var i and >= 0 ? i : OperationOrder.Length;
        return results.Rows.Where(r => !r.Peer).OrderBy(r => r.Count).ThenBy(StoreRank).ThenBy(OperationRank);
    }

    /// <summary>Each row of <see cref="Ordered"/> as text cells under <see cref="Headings"/>.</summary>
    public static IEnumerable<string[]> Cells(BenchResults results) =>
        Ordered(results).Select(r => new[]
        {
            r.Store, r.Operation, Units.Count(r.Count), Units.Time(r.MedianSeconds), Units.Count(r.ImagesPerSecond),
            Units.Multiple(r.MultipleOfLimit), Units.Size(r.DiskAllocated),
        });

    /// <summary>A time in the unit that gives three significant figures: "812 µs", "4.20 ms", "1.94 s".</summary>
    public static string Time(double seconds) => Units.Time(seconds);
}
