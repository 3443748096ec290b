using ImageStash.Bench;
using ImageStash.Reporting;
using ImageStash.Reporting.Internal;

namespace ImageStash.Tests.Reporting;

public sealed class BenchTableTests
{
    [Theory]
    [InlineData(0.000812, "812 µs")]
    [InlineData(0.0042, "4.20 ms")]
    [InlineData(1.94, "1.94 s")]
    [InlineData(0.0009997, "1.00 ms")]
    [InlineData(1e-7, "100 ns")]
    [InlineData(3.84e-5, "38.4 µs")]
    [InlineData(61.23, "61.2 s")]
    [InlineData(0.0, "0 s")]
    public void Times_read_in_human_units_with_three_significant_figures(double seconds, string expected) =>
        Assert.Equal(expected, BenchTable.Time(seconds));

    [Theory]
    [InlineData(512, "512 B")]
    [InlineData(3072, "3.07 kB")]
    [InlineData(41_600_000, "41.6 MB")]
    public void Sizes_read_in_decimal_units(long bytes, string expected) => Assert.Equal(expected, Units.Size(bytes));

    [Fact]
    public void Rows_go_per_count_stores_in_run_order_then_the_limit_rows()
    {
        BenchRow Row(string store, string op, int count) => new(store, op, count, 0.001, 0.001, 0.001, 1, 3072L * count, 0, 0, null);
        var rows = new List<BenchRow> // in run order: png was measured first
        {
            Row("png", StoreBenchmark.StoreSingle, 1), Row(StoreBenchmark.LimitStore, StoreBenchmark.Memcpy, 10), Row("lmdb", StoreBenchmark.ReadMany, 10),
            Row("png", StoreBenchmark.StoreMany, 10), Row("lmdb", StoreBenchmark.StoreMany, 10),
            Row(StoreBenchmark.LimitStore, StoreBenchmark.WriteSequential, 1), Row("png", StoreBenchmark.ReadSingle, 1),
            Row(StoreBenchmark.LimitStore, StoreBenchmark.WriteSequential, 10),
            Row("article-lmdb", StoreBenchmark.StoreMany, 10) with { Peer = true },
        };
        var results = new BenchResults(rows, MachineInfo.Current(Path.GetTempPath()), "test", new ImageShape(32, 32, 3), 1, false, 1024, DateTime.UtcNow);
        Assert.Equal(
            ["1 png store_single", "1 png read_single", "1 limit write_sequential",
             "10 png store_many", "10 lmdb store_many", "10 lmdb read_many", "10 limit write_sequential", "10 limit memcpy"],
            BenchTable.Ordered(results).Select(r => $"{r.Count} {r.Store} {r.Operation}"));
        Assert.Equal("1.00 ms", BenchTable.Cells(results).First()[3]);
    }
}
