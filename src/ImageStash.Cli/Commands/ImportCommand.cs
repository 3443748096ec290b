using System.ComponentModel;
using ImageStash.Cli.Internal;
using ImageStash.Sources;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash import SOURCE STORE</c>: stream a source into a store, one commit per batch.</summary>
internal sealed class ImportCommand(AppConsole console) : Command<ImportCommand.Settings>
{
    internal sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<SOURCE>")]
        [Description("CIFAR-10 .tar.gz, cifar-10-batches-bin/ or .bin; a folder of class folders; or synthetic:COUNT[[:WxH]].")]
        public string Source { get; init; } = "";

        [CommandArgument(1, "<STORE>")]
        [Description("The store to create or append to: a folder (PNG), *.lmdb or *.h5/*.hdf5.")]
        public string Store { get; init; } = "";

        [CommandOption("--format <KIND>")]
        [Description("Store kind, overriding detection from the path: png, lmdb, hdf5.")]
        public string? Format { get; init; }

        [CommandOption("--limit <N>")]
        [Description("Import at most N images.")]
        public long? Limit { get; init; }

        [CommandOption("--resize <WxH>")]
        [Description("Resize every image to WxH (image folders, synthetic size).")]
        public string? Resize { get; init; }

        [CommandOption("--batch <N>")]
        [Description("Images per commit.")]
        [DefaultValue(1024)]
        public int Batch { get; init; } = 1024;

        [CommandOption("--split <SPLIT>")]
        [Description("CIFAR-10 batches to read: train, test or all.")]
        [DefaultValue(CifarSplit.Train)]
        public CifarSplit Split { get; init; } = CifarSplit.Train;

        [CommandOption("--on-error <MODE>")]
        [Description("An unreadable image in a folder: fail (stop) or skip (list it and go on).")]
        [DefaultValue(SourceErrorMode.Fail)]
        public SourceErrorMode OnError { get; init; } = SourceErrorMode.Fail;

        [CommandOption("--lenient-labels")]
        [Description("Keep CIFAR labels above 9 instead of refusing the file.")]
        public bool LenientLabels { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace images whose id exists.")]
        public bool Overwrite { get; init; }

        [CommandOption("--first-id <ID>")]
        [Description("Id of the first imported image (default: after the store's largest id).")]
        public long? FirstId { get; init; }

        [CommandOption("--encoding <ENC>")]
        [Description("How an LMDB store keeps pixels: raw or png.")]
        [DefaultValue(PixelEncoding.Raw)]
        public PixelEncoding Encoding { get; init; } = PixelEncoding.Raw;

        [CommandOption("--sync")]
        [Description("fsync each commit so it survives power loss.")]
        public bool Sync { get; init; }

        [CommandOption("--seed <SEED>")]
        [Description("Seed for synthetic images.")]
        [DefaultValue(42)]
        public int Seed { get; init; } = 42;

        public override ValidationResult Validate()
        {
            if (Batch < 1) return ValidationResult.Error($"--batch must be at least 1; got {Batch}.");
            if (Limit is < 0) return ValidationResult.Error($"--limit must be 0 or more; got {Limit}.");
            if (Resize is not null)
            {
                try { ImageShape.ParseSize(Resize); }
                catch (FormatException e) { return ValidationResult.Error(e.Message); }
            }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var sourceOptions = new SourceOptions
        {
            Limit = settings.Limit,
            Resize = settings.Resize is null ? null : ImageShape.ParseSize(settings.Resize),
            OnError = settings.OnError,
            Split = settings.Split,
            StrictLabels = !settings.LenientLabels,
            Seed = settings.Seed,
        };
        using var source = ImageSources.Open(settings.Source, sourceOptions);
        var storeOptions = new StoreOptions { Format = settings.Format, SyncWrites = settings.Sync, Encoding = settings.Encoding };
        using var store = Stores.Registry.Open(settings.Store, storeOptions);
        long before = store.Count;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = console.WithProgress($"import → {store.Format}", source.Count, "images", progress =>
            StoreImporter.Import(source, store, new ImportOptions
            {
                BatchSize = settings.Batch,
                Overwrite = settings.Overwrite,
                FirstId = settings.FirstId,
                Progress = progress,
            }, cancellationToken));
        clock.Stop();
        foreach (string skipped in result.Skipped) console.Error.WriteLine($"imagestash: skipped {skipped}");
        console.WriteLine($"imported {result.Imported:N0} images from {source.Description} into {store.Format} store '{store.Path}' " +
                          $"in {clock.Elapsed.TotalSeconds:F2} s (ids {result.FirstId}–{result.LastId}); it now holds {store.Count:N0} (was {before:N0}).");
        if (result.Skipped.Count > 0) console.WriteLine($"skipped {result.Skipped.Count} unreadable input(s), listed on stderr.");
        return ImageStashApp.Ok;
    }
}
