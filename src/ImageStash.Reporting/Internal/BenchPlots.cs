using System.Globalization;
using ImageStash.Bench;
using ScottPlot;

namespace ImageStash.Reporting.Internal;

/// <summary>The bench's plots, as PNG and SVG, named {experiment}-{metric}.png|svg.</summary>
internal static class BenchPlots
{
    private const int Width = 900, Height = 560;

    public static IEnumerable<string> WriteAll(BenchResults results, string directory)
    {
        PlotFont.Ensure();
        foreach (var (name, plot) in Build(results))
        {
            string png = Path.Combine(directory, name + ".png"), svg = Path.Combine(directory, name + ".svg");
            plot.SavePng(png, Width, Height);
            plot.SaveSvg(svg, Width, Height);
            yield return png;
            yield return svg;
        }
    }

    internal static IEnumerable<(string Name, Plot Plot)> Build(BenchResults results)
    {
        foreach (bool log in new[] { false, true })
        {
            string scale = log ? "log" : "linear";
            yield return ($"store_many-time-{scale}", TimePlot(results, StoreBenchmark.StoreMany, StoreBenchmark.WriteSequential, log,
                $"Time to store N images ({scale} scale)"));
            yield return ($"read_many-time-{scale}", TimePlot(results, StoreBenchmark.ReadMany, StoreBenchmark.ReadSequential, log,
                $"Time to read N images ({scale} scale)"));
        }
        foreach (string store in results.Stores)
            yield return ($"read_vs_write-{store}", ReadVsWrite(results, store));
        yield return ("store_many-disk", DiskPlot(results));
    }

    private static Plot TimePlot(BenchResults results, string operation, string limitOperation, bool logY, string title)
    {
        var plot = NewPlot(title, "images (log scale)", logY ? "seconds (log scale)" : "seconds");
        foreach (string store in results.Stores)
            AddSeries(plot, results, store, operation, store, logY, dashed: false);
        foreach (string peer in results.Peers)
            AddSeries(plot, results, peer, operation, $"{peer} (peer)", logY, dashed: true, colour: false);
        AddSeries(plot, results, StoreBenchmark.LimitStore, limitOperation, $"machine limit ({limitOperation.Replace('_', ' ')})", logY, dashed: true);
        Finish(plot, logY);
        return plot;
    }

    private static Plot ReadVsWrite(BenchResults results, string store)
    {
        var plot = NewPlot($"{store}: store vs read N images", "images (log scale)", "seconds (log scale)");
        AddSeries(plot, results, store, StoreBenchmark.StoreMany, "store many", logY: true, dashed: false);
        AddSeries(plot, results, store, StoreBenchmark.ReadMany, "read many", logY: true, dashed: false);
        Finish(plot, logY: true);
        return plot;
    }

    private static Plot DiskPlot(BenchResults results)
    {
        var plot = NewPlot("Disk use per store (allocated, as du counts)", "images (log scale)", "megabytes (log scale)");
        foreach (string store in results.Stores)
        {
            var rows = results.Rows.Where(r => r.Store == store && r.Operation == StoreBenchmark.StoreMany && r.DiskAllocated > 0).OrderBy(r => r.Count).ToList();
            if (rows.Count == 0) continue;
            var line = plot.Add.Scatter(rows.Select(r => Math.Log10(r.Count)).ToArray(), rows.Select(r => Math.Log10(r.DiskAllocated / 1e6)).ToArray());
            line.LegendText = store;
            line.MarkerSize = 7;
        }
        var raw = results.Rows.Where(r => r.Store == StoreBenchmark.LimitStore && r.Operation == StoreBenchmark.WriteSequential).OrderBy(r => r.Count).ToList();
        if (raw.Count > 0)
        {
            var line = plot.Add.Scatter(raw.Select(r => Math.Log10(r.Count)).ToArray(), raw.Select(r => Math.Log10(r.Bytes / 1e6)).ToArray());
            line.LegendText = "raw pixel bytes";
            line.LinePattern = LinePattern.Dashed;
        }
        Finish(plot, logY: true);
        return plot;
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(PlotFont.Name);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    private static void AddSeries(Plot plot, BenchResults results, string store, string operation, string legend, bool logY, bool dashed, bool colour = true)
    {
        var rows = results.Rows.Where(r => r.Store == store && r.Operation == operation && r.MedianSeconds > 0).OrderBy(r => r.Count).ToList();
        if (rows.Count == 0) return;
        double[] xs = [.. rows.Select(r => Math.Log10(r.Count))];
        double[] ys = [.. rows.Select(r => logY ? Math.Log10(r.MedianSeconds) : r.MedianSeconds)];
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = legend;
        line.MarkerSize = dashed ? 0 : 7;
        if (dashed)
        {
            line.LinePattern = LinePattern.Dashed;
            if (colour) line.Color = Colors.Gray;
            else line.MarkerSize = 5;
        }
    }

    /// <summary>ScottPlot has no log axis: values are plotted as log10 and the ticks are labelled as powers of ten.</summary>
    private static void Finish(Plot plot, bool logY)
    {
        plot.Axes.Bottom.TickGenerator = LogTicks();
        if (logY) plot.Axes.Left.TickGenerator = LogTicks();
        plot.ShowLegend(Alignment.UpperLeft);
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        IntegerTicksOnly = true,
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        LabelFormatter = PowerOfTen,
    };

    internal static string PowerOfTen(double exponent)
    {
        double value = Math.Pow(10, Math.Round(exponent, 6));
        return value switch
        {
            >= 1e6 or < 1e-3 => value.ToString("0.#E+0", CultureInfo.InvariantCulture),
            >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
            _ => value.ToString("0.###", CultureInfo.InvariantCulture),
        };
    }
}
