using System.ComponentModel;
using ImageStash.Cli.Internal;
using ImageStash.Tools;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash convert SRC DST</c>: copy a store into a store of another kind, then check the copy is exact.</summary>
internal sealed class ConvertCommand(AppConsole console) : Command<ConvertCommand.Settings>
{
    internal sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<SRC>")]
        [Description("The store to copy.")]
        public string Source { get; init; } = "";

        [CommandArgument(1, "<DST>")]
        [Description("The new store: a folder (PNG), *.lmdb or *.h5/*.hdf5; or with --format hf, a folder for Hugging Face Parquet files.")]
        public string Destination { get; init; } = "";

        [CommandOption("--format <KIND>")]
        [Description("Kind of the new store, overriding detection from its path: png, lmdb, hdf5; or hf for DST/data/train-*.parquet that Hugging Face datasets loads.")]
        public string? Format { get; init; }

        [CommandOption("--file-size <MB>")]
        [Description("With --format hf: start a new Parquet file after this many megabytes of images.")]
        [DefaultValue(500)]
        public int FileSizeMb { get; init; } = 500;

        [CommandOption("--batch <N>")]
        [Description("Images per commit.")]
        [DefaultValue(1024)]
        public int Batch { get; init; } = 1024;

        public override ValidationResult Validate() =>
            Batch < 1 ? ValidationResult.Error($"--batch must be at least 1; got {Batch}.")
            : FileSizeMb < 1 ? ValidationResult.Error($"--file-size must be at least 1 (MB); got {FileSizeMb}.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var source = Stores.For(settings).OpenRead(settings.Source);
        if (settings.Format == "hf") return ToHuggingFace(source, settings, cancellationToken);
        using var destination = Stores.For(settings).Open(settings.Destination,
            new StoreOptions { Mode = StoreOpenMode.CreateNew, Format = settings.Format });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long n = console.WithProgress($"convert → {destination.Format}", source.Count, "images",
            p => StoreConverter.Convert(source, destination, settings.Batch, p, cancellationToken));
        console.WriteLine($"converted {n:N0} images from {source.Format} store '{source.Path}' to {destination.Format} store '{destination.Path}' in {clock.Elapsed.TotalSeconds:F2} s; every image, label and name checked equal.");
        return ImageStashApp.Ok;
    }

    private int ToHuggingFace(IImageStore source, Settings settings, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var options = new Parquet.HfExportOptions { MaxFileBytes = settings.FileSizeMb * 1_000_000L };
        var files = console.WithProgress("convert → Hugging Face Parquet", source.Count, "images",
            p => Parquet.HfParquetExporter.Export(source, settings.Destination, options, p, cancellationToken));
        console.WriteLine($"converted {source.Count:N0} images from {source.Format} store '{source.Path}' to {files.Count} Hugging Face Parquet file(s) in '{Path.Combine(settings.Destination, "data")}' in {clock.Elapsed.TotalSeconds:F2} s.");
        return ImageStashApp.Ok;
    }
}
