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
        Shape = new { results.Shape.Height, results.Shape.Width, results.Shape.Channels },
        results.Repeat,
        results.Sync,
        results.Machine,
        results.Rows,
    }, Json);

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string G(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
