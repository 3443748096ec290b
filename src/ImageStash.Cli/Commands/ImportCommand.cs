using System.ComponentModel;
using ImageStash.Cli.Internal;
using ImageStash.Sources;
using ImageStash.Tools;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash import SOURCE STORE</c>: stream a source into a store, one commit per batch.</summary>
internal sealed class ImportCommand(AppConsole console) : Command<ImportCommand.Settings>
{
    internal sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<SOURCE>")]
        [Description("CIFAR-10 .tar.gz, cifar-10-batches-bin/ or .bin; a folder of class folders; Hugging Face Parquet (a .parquet or a folder of them); WebDataset .tar files (a .tar, a folder of them or data-{000..009}.tar); or synthetic:COUNT[[:WxH]].")]
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
        [Description("Resize every image to exactly WxH, stored as raw RGB pixels of one shape (the article's stores; image folders, synthetic size).")]
        public string? Resize { get; init; }

        [CommandOption("--encode <ENC>")]
        [Description("What to store: keep (image files' bytes as they are, the default), raw (decoded RGB pixels), png, or jpeg[[:QUALITY]] (default quality 90).")]
        [DefaultValue("keep")]
        public string Encode { get; init; } = "keep";

        [CommandOption("--check <CHECK>")]
        [Description("How each image file is checked before it is stored: scaled (decode all its data, a JPEG at 1/8 size), full (decode at full size) or none (the header only).")]
        [DefaultValue(DecodeCheck.Scaled)]
        public DecodeCheck Check { get; init; } = DecodeCheck.Scaled;

        [CommandOption("--max-side <N>")]
        [Description("Shrink images whose longer side is over N pixels, keeping the aspect ratio (re-encoded: JPEG stays JPEG, others become PNG, unless --encode says otherwise).")]
        public int? MaxSide { get; init; }

        [CommandOption("--max-pixels <N>")]
        [Description("Refuse image files of more than N pixels as likely decompression bombs (PIL's limit by default).")]
        [DefaultValue(ImageShape.DefaultMaxPixels)]
        public long MaxPixels { get; init; } = ImageShape.DefaultMaxPixels;

        [CommandOption("--batch <N>")]
        [Description("Images per commit.")]
        [DefaultValue(1024)]
        public int Batch { get; init; } = 1024;

        [CommandOption("--split <SPLIT>")]
        [Description("CIFAR-10 batches, or Hugging Face Parquet files in a folder, to read: train, test or all.")]
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
            if (MaxSide is < 1 or > ImageShape.MaxSide) return ValidationResult.Error($"--max-side must be 1 to {ImageShape.MaxSide}; got {MaxSide}.");
            if (MaxPixels is < 1 or > ImageShape.MaxPixels) return ValidationResult.Error($"--max-pixels must be 1 to {ImageShape.MaxPixels}; got {MaxPixels}.");
            try
            {
                if (Resize is not null) ImageShape.ParseSize(Resize);
                ParseEncode(Encode);
            }
            catch (FormatException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }
    }

    /// <summary>"keep", "raw", "png", "jpeg" or "jpeg:QUALITY".</summary>
    /// <exception cref="FormatException">Anything else.</exception>
    internal static (EncodeAs Encode, int Quality) ParseEncode(string text)
    {
        string[] parts = text.Trim().ToLowerInvariant().Split(':');
        var encode = parts[0] switch
        {
            "keep" => EncodeAs.Keep,
            "raw" => EncodeAs.Raw,
            "png" => EncodeAs.Png,
            "jpeg" or "jpg" => EncodeAs.Jpeg,
            _ => throw new FormatException($"--encode takes keep, raw, png or jpeg[:QUALITY]; got '{text}'."),
        };
        int quality = 90;
        if (parts.Length > 2 || parts.Length == 2 && (encode != EncodeAs.Jpeg || !int.TryParse(parts[1], out quality) || quality is < 1 or > 100))
            throw new FormatException($"--encode takes keep, raw, png or jpeg[:QUALITY] with QUALITY 1 to 100; got '{text}'.");
        return (encode, quality);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (encode, quality) = ParseEncode(settings.Encode);
        var sourceOptions = new SourceOptions
        {
            Limit = settings.Limit,
            Resize = settings.Resize is null ? null : ImageShape.ParseSize(settings.Resize),
            MaxSide = settings.MaxSide,
            Check = settings.Check,
            Encode = encode,
            JpegQuality = quality,
            OnError = settings.OnError,
            Split = settings.Split,
            StrictLabels = !settings.LenientLabels,
            Seed = settings.Seed,
            MaxPixels = settings.MaxPixels,
        };
        using var source = ImageSources.Open(settings.Source, sourceOptions);
        var storeOptions = new StoreOptions { Format = settings.Format, SyncWrites = settings.Sync };
        using var store = Stores.For(settings).Open(settings.Store, storeOptions);
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
