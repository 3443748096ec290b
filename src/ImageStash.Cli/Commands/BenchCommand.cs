using System.ComponentModel;
using System.Globalization;
using ImageStash.Bench;
using ImageStash.Cli.Internal;
using ImageStash.Reporting;
using ImageStash.Sources;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash bench</c>: the article's experiments for every store, with the machine's limit, plots and a report.</summary>
internal sealed class BenchCommand(AppConsole console) : Command<BenchCommand.Settings>
{
    internal sealed class Settings : GlobalSettings
    {
        [CommandOption("--source <SOURCE>")]
        [Description("Images to use: a CIFAR-10 .tar.gz/folder, an image folder (with --resize), or synthetic:COUNT[[:WxH]]. Default: synthetic CIFAR-shaped images.")]
        public string? Source { get; init; }

        [CommandOption("--stores <LIST>")]
        [Description("Store kinds to measure, comma-separated (default: all).")]
        public string? Stores { get; init; }

        [CommandOption("--counts <LIST>")]
        [Description("Image counts, comma-separated (default 1,10,100,1000,10000,100000).")]
        public string? Counts { get; init; }

        [CommandOption("--repeat <R>")]
        [Description("Timed runs per figure after one warm-up; the median is reported.")]
        [DefaultValue(3)]
        public int Repeat { get; init; } = 3;

        [CommandOption("--sync")]
        [Description("fsync writes before stopping the clock (durable-write figures).")]
        public bool Sync { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Where to write results.csv, results.json, plots and report.md.")]
        [DefaultValue("bench-out")]
        public string Out { get; init; } = "bench-out";

        [CommandOption("--quick")]
        [Description("Counts up to 10,000 and one timed run: about a minute.")]
        public bool Quick { get; init; }

        [CommandOption("--batch <N>")]
        [Description("Images per commit in store-many, as an import writes them; at least the count puts all in one call, as the article's code does.")]
        [DefaultValue(1024)]
        public int Batch { get; init; } = 1024;

        [CommandOption("--resize <WxH>")]
        [Description("Resize source images to exactly WxH raw pixels (image folders; the article's stores).")]
        public string? Resize { get; init; }

        [CommandOption("--encode <ENC>")]
        [Description("What the stores hold for each photo of an image folder: keep (the files' bytes, the default), raw (decoded pixels), png or jpeg[[:QUALITY]].")]
        [DefaultValue("keep")]
        public string Encode { get; init; } = "keep";

        [CommandOption("--peer <CSV>")]
        [Description("Add a peer's figures (results.csv schema, e.g. from benchmarks/python/article_peer.py) to the report.")]
        public string? Peer { get; init; }

        [CommandOption("--work <DIR>")]
        [Description("Where to create the stores under test (default: the system temp folder).")]
        public string? Work { get; init; }

        public override ValidationResult Validate()
        {
            if (Repeat < 1) return ValidationResult.Error($"--repeat must be at least 1; got {Repeat}.");
            if (Batch < 1) return ValidationResult.Error($"--batch must be at least 1; got {Batch}.");
            if (Counts is not null && ParseCounts(Counts) is null)
                return ValidationResult.Error($"--counts must be positive whole numbers separated by commas, e.g. 1,10,100; got '{Counts}'.");
            try { ImportCommand.ParseEncode(Encode); }
            catch (FormatException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }

        internal static int[]? ParseCounts(string text)
        {
            var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var counts = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!int.TryParse(parts[i].Replace("_", ""), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out counts[i]) || counts[i] < 1) return null;
            return counts.Length == 0 ? null : counts;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = new BenchOptions
        {
            Counts = settings.Counts is not null ? Settings.ParseCounts(settings.Counts)! : settings.Quick ? BenchOptions.QuickCounts : BenchOptions.ArticleCounts,
            Repeat = settings.Quick && settings.Repeat == 3 ? 1 : settings.Repeat,
            Sync = settings.Sync,
            BatchSize = settings.Batch,
            WorkDirectory = settings.Work is null ? null : Path.Combine(settings.Work, $"imagestash-bench-{Environment.ProcessId}"),
            Stores = settings.Stores?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToArray(),
        };
        int largest = options.Counts.Max();
        // The article's data: CIFAR-10's 50,000 training images, cycled (doubled) up to the largest count.
        string spec = settings.Source ?? $"synthetic:{Math.Min(largest, 50_000)}:32x32";
        var (encode, quality) = ImportCommand.ParseEncode(settings.Encode);
        var sourceOptions = new SourceOptions { Resize = settings.Resize is null ? null : ImageShape.ParseSize(settings.Resize), Limit = largest, Encode = encode, JpegQuality = quality };
        using var source = ImageSources.Open(spec, sourceOptions);
        options.ApplyPhotoFolderRules(source, spec, countsChosen: settings.Counts is not null);

        var peerRows = settings.Peer is null ? null : BenchReport.ReadRows(settings.Peer); // a bad file fails before the run
        var results = RunWithProgress(source, options, cancellationToken);
        if (peerRows is not null) results = results.WithPeer(peerRows);
        PrintTable(results);
        var files = BenchReport.WriteAll(results, settings.Out);
        console.WriteLine($"wrote {files.Count} files to '{settings.Out}': results.csv, results.json, report.md and {files.Count(f => f.EndsWith(".png", StringComparison.Ordinal))} plots (PNG + SVG).");
        return ImageStashApp.Ok;
    }

    private BenchResults RunWithProgress(IImageSource source, BenchOptions options, CancellationToken cancel) =>
        console.WithSteps("bench", progress => StoreBenchmark.Run(source, Stores.Writable, options,
            new Callback(p => progress.Report((p.Done, p.Total, p.Step))), cancel));

    private void PrintTable(BenchResults results)
    {
        var table = new Table().Title($"[bold]{Markup.Escape(results.Source)}[/], {results.Shape}, median of {results.Repeat}");
        foreach (string heading in BenchTable.Headings) table.AddColumn(Markup.Escape(heading));
        foreach (var column in table.Columns.Skip(2)) column.RightAligned();
        foreach (string[] cells in BenchTable.Cells(results)) table.AddRow(cells.Select(c => new Text(c)).ToArray());
        console.Out.Write(table);
    }

    private sealed class Callback(Action<BenchProgress> report) : IProgress<BenchProgress>
    {
        public void Report(BenchProgress value) => report(value);
    }
}
