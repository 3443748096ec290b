using System.ComponentModel;
using System.Text.Json;
using ImageStash.Cli.Internal;
using ImageStash.Loading;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary>
/// <c>imagestash order STORE --seed S --epoch E --rank R --world-size W</c>: the ids the training loader hands rank R
/// in that epoch, one per line, without reading an image (for a shard set, the epoch plan of docs/formats/shards.md,
/// which the Python package follows too). <c>--resume</c> prints what a saved state resumes; <c>--save-after N</c>
/// runs the loader for N batches and writes its state.
/// </summary>
internal sealed class OrderCommand(AppConsole console) : Command<OrderCommand.Settings>
{
    internal sealed class Settings : StoreSettings
    {
        [CommandOption("--seed <N>")]
        [Description("The loader's seed.")]
        [DefaultValue(0)]
        public int Seed { get; init; }

        [CommandOption("--epoch <N>")]
        [Description("The epoch (0-based).")]
        [DefaultValue(0)]
        public int Epoch { get; init; }

        [CommandOption("--rank <N>")]
        [Description("This process's rank, below --world-size.")]
        [DefaultValue(0)]
        public int Rank { get; init; }

        [CommandOption("--world-size <N>")]
        [Description("How many ranks share the epoch.")]
        [DefaultValue(1)]
        public int WorldSize { get; init; } = 1;

        [CommandOption("--batch <N>")]
        [Description("The batch size: with it, each line is one batch's ids, separated by spaces; saved states count batches of it.")]
        public int? Batch { get; init; }

        [CommandOption("--no-shuffle")]
        [Description("The loader's order without shuffling (a shard set as written; other stores in id order).")]
        public bool NoShuffle { get; init; }

        [CommandOption("--resume <FILE>")]
        [Description("A saved loader state (JSON, as --save writes it or Python's ShardDataset.state_dict()): print what the rank reads from there to the end of that epoch.")]
        public string? Resume { get; init; }

        [CommandOption("--save-after <N>")]
        [Description("Run the loader for N batches of the epoch, then write its state to --save and print nothing else.")]
        public long? SaveAfter { get; init; }

        [CommandOption("--save <FILE>")]
        [Description("Where --save-after writes the loader's state (JSON).")]
        public string? Save { get; init; }

        public override ValidationResult Validate() =>
            WorldSize < 1 ? ValidationResult.Error($"--world-size is 1 or more; got {WorldSize}.")
            : Rank < 0 || Rank >= WorldSize ? ValidationResult.Error($"--rank is 0 to {WorldSize - 1} (below --world-size {WorldSize}); got {Rank}.")
            : Epoch < 0 ? ValidationResult.Error($"--epoch is 0 or more; got {Epoch}.")
            : Batch is < 1 ? ValidationResult.Error($"--batch is 1 or more; got {Batch}.")
            : SaveAfter is < 1 ? ValidationResult.Error($"--save-after is 1 or more; got {SaveAfter}.")
            : (SaveAfter is null) != (Save is null) ? ValidationResult.Error("--save-after and --save go together.")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.For(settings).OpenRead(settings.Store, settings.Format);
        LoaderState? resume = settings.Resume is null ? null : ReadState(settings.Resume);
        int batch = settings.Batch ?? resume?.BatchSize ?? 1;
        // Size: any store, encoded or raw, takes an output size; the order does not depend on it.
        var options = new LoaderOptions { Seed = settings.Seed, Rank = settings.Rank, WorldSize = settings.WorldSize, BatchSize = batch, Shuffle = !settings.NoShuffle, Size = 32, Workers = 0 };
        var loader = new ImageLoader(store, options, resume);
        if (resume is null && settings.Epoch > 0)
        {
            var at = loader.State with { Epoch = settings.Epoch }; // the epoch's start, as a saved state
            loader.Dispose();
            loader = new ImageLoader(store, options, at);
        }
        using var _ = loader;
        var start = loader.State;
        if (settings.SaveAfter is { } after)
        {
            long done = 0;
            foreach (var handed in loader.NextEpoch())
                if (++done == after) break;
            if (done < after) throw new ImageStashException($"epoch {start.Epoch} has only {done} batches of {batch} for rank {settings.Rank}; give --save-after {done} or less.", ImageStashError.Other);
            File.WriteAllText(settings.Save!, JsonSerializer.Serialize(loader.State));
            return ImageStashApp.Ok;
        }
        long[] order = loader.EpochOrder(start.Epoch);
        var ids = order.AsSpan((int)Math.Min(start.Batch * batch, order.Length));
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < ids.Length; i++)
        {
            text.Append(ids[i]);
            text.Append(settings.Batch is { } b && (i + 1) % b != 0 && i + 1 < ids.Length ? ' ' : '\n');
        }
        // Straight to the console's writer: thousands of plain lines, which Spectre would wrap at its width.
        var writer = console.Out.Profile.Out.Writer;
        writer.Write(text.ToString());
        writer.Flush();
        return ImageStashApp.Ok;
    }

    private static LoaderState ReadState(string path)
    {
        try { return JsonSerializer.Deserialize<LoaderState>(File.ReadAllText(path)) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw new ImageStashException($"'{path}' is not a saved loader state (JSON with Epoch, Batch, Seed, BatchSize, WorldSize, Stream): {e.Message}", ImageStashError.Other); }
    }
}
