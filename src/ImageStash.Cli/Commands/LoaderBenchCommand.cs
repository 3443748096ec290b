using System.ComponentModel;
using ImageStash.Cli.Internal;
using ImageStash.Loading;
using Spectre.Console;
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
        [Description("Visit images in a new random order each epoch (else id order).")]
        public bool Shuffle { get; init; }

        [CommandOption("--workers <N>")]
        [Description("Batches read ahead in parallel (default: processors).")]
        public int? Workers { get; init; }

        [CommandOption("--augment")]
        [Description("Apply the CIFAR augmentation: random crop with 4-pixel padding and horizontal flip.")]
        public bool Augment { get; init; }

        public override ValidationResult Validate() =>
            Batch < 1 ? ValidationResult.Error($"--batch must be at least 1; got {Batch}.")
            : Epochs < 1 ? ValidationResult.Error($"--epochs must be at least 1; got {Epochs}.")
            : Workers is < 0 ? ValidationResult.Error($"--workers must be 0 or more; got {Workers}.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.Registry.OpenRead(settings.Store, settings.Format);
        var options = new LoaderOptions
        {
            BatchSize = settings.Batch,
            Shuffle = settings.Shuffle,
            RandomCropPadding = settings.Augment ? 4 : 0,
            RandomHorizontalFlip = settings.Augment,
        };
        if (settings.Workers is { } workers) options.Prefetch = workers;
        using var loader = new ImageLoader(store, options);
        console.WriteLine($"{store.Format} store '{store.Path}': {loader.ImagesPerEpoch:N0} images of {loader.Shape}, {loader.BatchesPerEpoch:N0} batches of {settings.Batch} per epoch, {(settings.Shuffle ? "shuffled" : "in id order")}, prefetch {options.Prefetch}");
        for (int epoch = 0; epoch < settings.Epochs; epoch++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long images = 0, checksum = 0;
            foreach (var batch in loader.NextEpoch())
            {
                cancellationToken.ThrowIfCancellationRequested();
                images += batch.Count;
                checksum += batch.Pixels[^1]; // touch the batch as a training step would
            }
            double s = clock.Elapsed.TotalSeconds;
            console.WriteLine($"epoch {epoch}: {images:N0} images in {s:F3} s — {images / s:N0} images/s, {images * (double)loader.Shape.ByteCount / 1e6 / s:N0} MB/s");
        }
        return ImageStashApp.Ok;
    }
}
