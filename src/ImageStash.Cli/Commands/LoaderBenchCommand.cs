using ImageStash.Codecs;
using System.ComponentModel;
using System.Diagnostics;
using ImageStash.Bench;
using ImageStash.Cli.Internal;
using Spectre.Console;
using ImageStash.Loading;
using ImageStash.Shards;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash loader-bench STORE</c>: how fast the training loader feeds batches from a store.</summary>
internal sealed class LoaderBenchCommand(AppConsole console) : Command<LoaderBenchCommand.Settings>
{
    internal sealed class Settings : StoreSettings
    {
        [CommandOption("--batch <N>")]
        [Description("Images per batch.")]
        [DefaultValue(256)]
        public int Batch { get; init; } = 256;

        [CommandOption("--epochs <N>")]
        [Description("Epochs to run.")]
        [DefaultValue(3)]
        public int Epochs { get; init; } = 3;

        [CommandOption("--shuffle")]
        [Description("Visit images in a new random order each epoch (else id order; always shuffled with --size).")]
        public bool Shuffle { get; init; }

        [CommandOption("--size <N>")]
        [Description("Decode every image and crop it to NxN RGB (the photo pipeline: encoded images, any sizes).")]
        public int? Size { get; init; }

        [CommandOption("--crop <CROP>")]
        [Description("With --size: random (RandomResizedCrop and a random flip, for training) or center (shorter side resized, centre crop, for evaluation).")]
        [DefaultValue("random")]
        public string Crop { get; init; } = "random";

        [CommandOption("--float")]
        [Description("Hand out normalised float32 NxCxHxW (ImageNet mean and std) instead of uint8 NxHxWxC.")]
        public bool Float { get; init; }

        [CommandOption("--workers <N>")]
        [Description("Threads that read and decode (default: processors; 0: on the calling thread).")]
        public int? Workers { get; init; }

        [CommandOption("--prefetch <N>")]
        [Description("Batches prepared ahead.")]
        [DefaultValue(2)]
        public int Prefetch { get; init; } = 2;

        [CommandOption("--augment")]
        [Description("Without --size: the CIFAR augmentation, random crop with 4-pixel padding and horizontal flip.")]
        public bool Augment { get; init; }

        [CommandOption("--cold")]
        [Description("For a shard set in object storage: empty its disk cache before every epoch, so each epoch downloads every shard.")]
        public bool Cold { get; init; }

        [CommandOption("--no-limit")]
        [Description("With --size: skip measuring the decode limits (they read images first, which warms a shard cache).")]
        public bool NoLimit { get; init; }

        [CommandOption("--whole-decode")]
        [Description("With --size: decode whole images, not just each crop's rows and columns (the pipeline before region decode, for comparison).")]
        public bool WholeDecode { get; init; }

        [CommandOption("--max-pixels <N>")]
        [Description("With --size: refuse encoded images of more than N pixels as likely decompression bombs (PIL's limit by default).")]
        [DefaultValue(ImageShape.DefaultMaxPixels)]
        public long MaxPixels { get; init; } = ImageShape.DefaultMaxPixels;

        [CommandOption("--skip-damaged")]
        [Description("Leave out images that cannot be read or decoded (counted) instead of stopping.")]
        public bool SkipDamaged { get; init; }

        [CommandOption("--with-fields")]
        [Description("Hand out each batch's fields (caption, tags, ...) too, to measure what asking for them costs.")]
        public bool WithFields { get; init; }

        public override ValidationResult Validate() =>
            Batch < 1 ? ValidationResult.Error($"--batch must be at least 1; got {Batch}.")
            : Epochs < 1 ? ValidationResult.Error($"--epochs must be at least 1; got {Epochs}.")
            : Workers is < 0 ? ValidationResult.Error($"--workers must be 0 or more; got {Workers}.")
            : Prefetch < 0 ? ValidationResult.Error($"--prefetch must be 0 or more; got {Prefetch}.")
            : Size is < 1 or > 4096 ? ValidationResult.Error($"--size must be 1 to 4096; got {Size}.")
            : Crop is not ("random" or "center") ? ValidationResult.Error($"--crop takes random or center; got '{Crop}'.")
            : MaxPixels is < 1 or > ImageShape.MaxPixels ? ValidationResult.Error($"--max-pixels must be 1 to {ImageShape.MaxPixels}; got {MaxPixels}.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        using var store = Stores.For(settings).OpenRead(settings.Store, settings.Format);
        double opened = started.Elapsed.TotalSeconds;
        var remote = store is ShardSetStore { CacheFolder: not null } set ? set : null;
        if (settings.Cold && remote is null)
            throw new ArgumentException($"--cold empties a shard cache: '{store.Path}' is not a shard set in object storage.");
        bool random = settings.Crop == "random";
        var options = new LoaderOptions
        {
            BatchSize = settings.Batch,
            Shuffle = settings.Shuffle || settings.Size is not null && random,
            Size = settings.Size,
            Crop = random ? LoaderCrop.Random : LoaderCrop.Center,
            Output = settings.Float ? LoaderOutput.FloatsChw : LoaderOutput.BytesHwc,
            RandomCropPadding = settings.Augment ? 4 : 0,
            RandomHorizontalFlip = settings.Augment || settings.Size is not null && random,
            Prefetch = settings.Prefetch,
            SkipDamaged = settings.SkipDamaged,
            DecodeRegions = !settings.WholeDecode,
            MaxPixels = settings.MaxPixels,
            WithFields = settings.WithFields,
        };
        if (settings.Workers is { } workers) options.Workers = workers;
        using var loader = new ImageLoader(store, options);
        string pipeline = settings.Size is null ? "as stored" : $"decoded, {settings.Crop} crop to {settings.Size}×{settings.Size}";
        console.WriteLine($"{store.Format} store '{store.Path}': {loader.ImagesPerEpoch:N0} images, {pipeline}, {(settings.Float ? "float32 N×C×H×W normalised" : "uint8 N×H×W×C")}, " +
                          $"{loader.BatchesPerEpoch:N0} batches of {settings.Batch} per epoch, {(options.Shuffle ? "shuffled" : "in id order")}, {options.Workers} workers, prefetch {options.Prefetch}{(settings.WithFields ? ", with fields" : "")}" +
                          (remote is null ? "" : $"; shard cache {(settings.Cold ? "emptied before every epoch" : "kept")}"));
        if (settings.Size is not null)
            console.WriteLine(settings.WholeDecode ? "JPEG: whole images decoded (--whole-decode)"
                : !random ? "JPEG: whole images decoded (centre crops span most rows; region decode is for random crops)"
                : ImageCodecs.Get(ImageEncoding.Jpeg).DecodesRegions ? "JPEG: only each crop's rows and columns decoded (region decode)"
                : $"JPEG: whole images decoded; region decode is unavailable: {ImageCodecs.RegionDecodeMissing}");
        double setupSeconds = started.Elapsed.TotalSeconds;

        // What the loader takes in: a shard set's stored bytes per image (tar headers included), as the network carries them.
        double? storedPerImage = store is ShardSetStore shards ? (double)shards.Index.Bytes / shards.Count : null;
        int threads = Math.Max(1, options.Workers);
        // A set in object storage: before each epoch, the same objects fetched with plain parallel GETs (the limit).
        // The photo pipeline is compared with its decode limits, measured in turns with it: limit, epoch, limit, epoch, …
        var result = LoaderBenchmark.Run(loader, store, new LoaderBenchOptions
        {
            Epochs = settings.Epochs,
            Threads = threads,
            DecodeLimits = settings.Size is null || settings.NoLimit ? null : options,
            MeasureRawInput = remote is null ? null : remote.MeasureRawGets,
            StoredBytesPerImage = storedPerImage,
            BeforeEpoch = settings.Cold ? _ => remote!.EmptyCache() : null,
        }, cancellationToken);
        double bytesPerImage = loader.Shape.ByteCount * (settings.Float ? 4.0 : 1.0);
        var epochs = result.Epochs;
        for (int epoch = 0; epoch < epochs.Count; epoch++)
        {
            var e = epochs[epoch];
            console.WriteLine($"epoch {epoch}{(epoch < result.WarmupEpochs ? " (warm-up, not in the medians)" : "")}: {e.ImagesPerSecond:N0} images/s, " +
                              (storedPerImage is { } stored ? $"{e.ImagesPerSecond * stored / 1e6:N1} MB/s in, " : "") + $"{e.ImagesPerSecond * bytesPerImage / 1e6:N0} MB/s out" +
                              $"; first batch after {e.FirstBatchSeconds:F2} s" +
                              (e.DecodeLimit is { } limit ? $"; limit just before: {limit:N0} images/s ({e.ImagesPerSecond / limit:F2}×)" : "") +
                              (e.CropDecodeLimit is { } crop ? $"; crop-decode limit: {crop:N0} images/s ({e.ImagesPerSecond / crop:F2}×)" : "") +
                              (e.RawInputBytesPerSecond is { } gets ? $"; plain GETs just before: {gets / 1e6:N1} MB/s" + (storedPerImage is { } s ? $" ({e.ImagesPerSecond * s / gets:F2}×)" : "") : ""));
        }
        console.WriteLine($"first batch {setupSeconds + epochs[0].FirstBatchSeconds:F2} s after start (opening the store {opened:F2} s)");
        console.WriteLine($"median {result.MedianImagesPerSecond:N0} images/s over {result.TimedEpochs.Count} epoch(s){(loader.Skipped.Count > 0 ? $"; {loader.Skipped.Count} damaged image(s) skipped: {string.Join(", ", loader.Skipped.Take(10))}" : "")}");
        if (result.DecodeLimit is { } whole)
            console.WriteLine($"limit: the codec decoding the same images whole, from memory, on {threads} thread(s): median {whole.MedianRate:N0} images/s; " +
                              $"the loader runs at a median {whole.MedianRatio:F2}× the limit measured just before each epoch (range {whole.MinRatio:F2}–{whole.MaxRatio:F2}×)");
        if (result.CropDecodeLimit is { } crops)
            console.WriteLine($"crop-decode limit: the same images' crops decoded as the pipeline decodes them ({(options.DecodeRegions && random ? "DCT-scaled, only the crop's rows and columns where the codec can" : "DCT-scaled, whole")}), from memory, on {threads} thread(s): " +
                              $"median {crops.MedianRate:N0} images/s; the loader runs at a median {crops.MedianRatio:F2}× it (range {crops.MinRatio:F2}–{crops.MaxRatio:F2}×)");
        if (result.RawInputLimit is { } raw)
            console.WriteLine($"limit: plain GETs of the same shards, {remote!.Options.S3.ParallelRequests} at a time: median {raw.MedianRate / 1e6:N1} MB/s; " +
                              $"the loader takes its bytes in at a median {raw.MedianRatio:F2}× that (range {raw.MinRatio:F2}–{raw.MaxRatio:F2}×)");
        return ImageStashApp.Ok;
    }
}
