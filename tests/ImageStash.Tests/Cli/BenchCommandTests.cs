namespace ImageStash.Tests.Cli;

[Collection("Console")]
public sealed class BenchCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Bench_writes_table_csv_json_plots_and_report()
    {
        string outDir = _dir.File("out");
        var (exit, output, err) = CliRunner.Run("bench", "--source", TestData.CifarTarGz, "--counts", "1,20", "--repeat", "1",
            "--stores", "png,hdf5", "--out", outDir, "--work", _dir.Path);
        Assert.True(exit == 0, err);
        Assert.Contains("read_many", output);
        Assert.Contains($"wrote 17 files to '{outDir}'", output);
        Assert.Equal(17, Directory.GetFiles(outDir).Length); // csv, json, report + 7 plots × (png, svg)
        foreach (string f in new[] { "results.csv", "results.json", "report.md", "read_many-time-log.png", "store_many-disk.svg" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
    }

    [Theory]
    [InlineData("--counts", "1,x")]
    [InlineData("--counts", "0")]
    [InlineData("--repeat", "0")]
    public void Bad_bench_options_are_usage_errors(string option, string value)
    {
        var (exit, _, err) = CliRunner.Run("bench", option, value, "--out", _dir.File("o"));
        Assert.Equal(2, exit);
        Assert.StartsWith("imagestash: error: ", err);
    }
}
