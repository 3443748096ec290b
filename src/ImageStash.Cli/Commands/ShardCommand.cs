using System.ComponentModel;
using System.Globalization;
using ImageStash.Cli.Internal;
using ImageStash.Shards;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash shard SRC DEST</c>: a store as a shard set in a folder or under s3://bucket/prefix.</summary>
internal sealed class ShardCommand(AppConsole console) : Command<ShardCommand.Settings>
{
    internal sealed class Settings : GlobalSettings
    {
        [CommandArgument(0, "<SOURCE>")]
        [Description("The store to shard (any kind).")]
        public string Source { get; init; } = "";

        [CommandArgument(1, "<DEST>")]
        [Description("Where the set goes: a new or empty folder (or one holding a set to replace), or s3://BUCKET/PREFIX.")]
        public string Destination { get; init; } = "";

        [CommandOption("--format <KIND>")]
        [Description("The source's kind, overriding detection from its path: png, lmdb, hdf5, shards, hf.")]
        public string? Format { get; init; }

        [CommandOption("--shard-size <SIZE>")]
        [Description("Fill each shard to about this size: bytes, or with KiB/MiB/GiB (default 64MiB).")]
        [DefaultValue("64MiB")]
        public string ShardSize { get; init; } = "64MiB";

        [CommandOption("--no-shuffle")]
        [Description("Keep id order (by default samples are written in a seeded random order, so every shard mixes classes).")]
        public bool NoShuffle { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seed of the shuffled order; the same store, seed and size always make the same shards, so a re-run resumes.")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        [CommandOption("--parallel <N>")]
        [Description("Shards uploaded at once while the next is written.")]
        [DefaultValue(2)]
        public int Parallel { get; init; } = 2;

        public override Spectre.Console.ValidationResult Validate() =>
            ByteSize.Parse(ShardSize) is null ? Spectre.Console.ValidationResult.Error($"--shard-size '{ShardSize}' is not a size: write e.g. 67108864, 64MiB or 1GiB.")
            : Parallel is < 1 or > 16 ? Spectre.Console.ValidationResult.Error("--parallel takes 1 to 16.")
            : Spectre.Console.ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = new ShardWriterOptions
        {
            ShardSize = ByteSize.Parse(settings.ShardSize)!.Value,
            Shuffle = !settings.NoShuffle,
            Seed = settings.Seed,
            ParallelUploads = settings.Parallel,
            S3 = Stores.S3(settings.Endpoint),
        };
        using var source = Stores.For(settings).OpenRead(settings.Source, settings.Format);
        var result = console.WithProgress("shard", source.Count, "images", p => ShardWriter.Write(source, settings.Destination, options, p, cancellationToken));
        console.WriteLine($"wrote {result.Samples:N0} images from '{source.Path}' as {result.Shards:N0} shard{(result.Shards == 1 ? "" : "s")} ({InfoCommand.Bytes(result.Bytes)}) to '{result.Destination}' in {result.Elapsed.TotalSeconds:F2} s"
            + $" ({result.Stored} stored, {result.Reused} already there{(result.Removed > 0 ? $", {result.Removed} old files removed" : "")}).");
        return ImageStashApp.Ok;
    }
}
