using ImageStash.Bench;
using ImageStash.Reporting.Internal;

namespace ImageStash.Reporting;

/// <summary>Writes bench results for people and programs: results.csv, results.json, plots (PNG and SVG) and report.md.</summary>
public static class BenchReport
{
    /// <summary>Reads a peer's figures in results.csv's schema, for <see cref="BenchResults.WithPeer"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not in that schema.</exception>
    public static IReadOnlyList<BenchRow> ReadRows(string csvPath) => ResultFiles.ReadCsv(csvPath);

    /// <summary>Writes every output into <paramref name="directory"/> (created if needed).</summary>
    /// <returns>The files written.</returns>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static IReadOnlyList<string> WriteAll(BenchResults results, string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        string csv = Path.Combine(directory, "results.csv");
        File.WriteAllText(csv, ResultFiles.Csv(results));
        files.Add(csv);
        string json = Path.Combine(directory, "results.json");
        File.WriteAllText(json, ResultFiles.ToJson(results));
        files.Add(json);
        var plots = BenchPlots.WriteAll(results, directory).ToList();
        files.AddRange(plots);
        string report = Path.Combine(directory, "report.md");
        File.WriteAllText(report, ReportWriter.Write(results, plots));
        files.Add(report);
        return files;
    }
}
