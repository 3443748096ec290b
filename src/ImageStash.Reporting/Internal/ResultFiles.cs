using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImageStash.Bench;

namespace ImageStash.Reporting.Internal;

/// <summary>results.csv (one row per store × operation × count) and results.json (the same, plus the machine).</summary>
internal static class ResultFiles
{
    public const string CsvHeader =
        "store,operation,count,median_s,min_s,max_s,runs,images_per_s,mb_per_s,bytes,disk_allocated,disk_apparent,multiple_of_limit";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Csv(BenchResults results)
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in results.Rows)
            text.AppendJoin(',',
                r.Store, r.Operation, I(r.Count), G(r.MedianSeconds), G(r.MinSeconds), G(r.MaxSeconds), I(r.Runs),
                G(r.ImagesPerSecond), G(r.MegabytesPerSecond), I(r.Bytes), I(r.DiskAllocated), I(r.DiskApparent),
                r.MultipleOfLimit is { } m ? G(m) : "").Append('\n');
        return text.ToString();
    }

    public static string ToJson(BenchResults results) => JsonSerializer.Serialize(new
    {
        results.StartedUtc,
        results.Source,
        Shape = results.Shape is { } shape ? new { shape.Height, shape.Width, shape.Channels } : null,
        results.Images,
        results.Repeat,
        results.Sync,
        results.BatchSize,
        results.Machine,
        results.Rows,
    }, Json);

    /// <summary>Reads rows in results.csv's schema (a peer's figures, e.g. from benchmarks/python/article_peer.py).</summary>
    /// <exception cref="InvalidDataException">The file is not in that schema; the message names the line.</exception>
    public static List<BenchRow> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != CsvHeader)
            throw new InvalidDataException($"'{path}' does not start with the results.csv header '{CsvHeader}'.");
        var rows = new List<BenchRow>();
        for (int n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0) continue;
            var f = lines[n].Split(',');
            try
            {
                rows.Add(new BenchRow(f[0], f[1], int.Parse(f[2], CultureInfo.InvariantCulture), D(f[3]), D(f[4]), D(f[5]),
                    int.Parse(f[6], CultureInfo.InvariantCulture), long.Parse(f[9], CultureInfo.InvariantCulture),
                    long.Parse(f[10], CultureInfo.InvariantCulture), long.Parse(f[11], CultureInfo.InvariantCulture), null));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new InvalidDataException($"'{path}' line {n + 1} is not a results row: '{lines[n]}'.", e);
            }
        }
        return rows;
    }

    private static double D(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string G(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
