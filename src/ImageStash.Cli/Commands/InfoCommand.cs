using ImageStash.Cli.Internal;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash info STORE</c>: kind, count, shapes, fields, label histogram and disk use.</summary>
internal sealed class InfoCommand(AppConsole console) : Command<StoreSettings>
{
    public override int Execute(CommandContext context, StoreSettings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.For(settings).OpenRead(settings.Store, settings.Format);
        if (store is ImageStash.Shards.ShardSetStore shards) return ShardSet(shards);
        var shapes = new Dictionary<ImageShape, long>();
        var labels = new SortedDictionary<int, long>();
        var fields = new FieldCounts();
        foreach (long id in store.EnumerateIds())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!store.TryGetHeader(id, out var h)) continue;
            shapes[h.Shape] = shapes.GetValueOrDefault(h.Shape) + 1;
            labels[h.Label] = labels.GetValueOrDefault(h.Label) + 1;
            fields.Add(h.Fields);
        }
        var (allocated, apparent) = DiskUsage.Of(store.Path);
        console.WriteLine($"store:    {store.Path}");
        console.WriteLine($"kind:     {store.Format}");
        console.WriteLine($"images:   {store.Count:N0}");
        console.WriteLine($"shape:    {(store.FixedShape is { } fixedShape ? $"{fixedShape} (fixed)" : string.Join(", ", shapes.OrderByDescending(s => s.Value).Take(5).Select(s => $"{s.Key} ×{s.Value:N0}")) + (shapes.Count > 5 ? $", … {shapes.Count} shapes" : ""))}");
        console.WriteLine($"disk:     {Bytes(allocated)} allocated, {Bytes(apparent)} apparent");
        console.WriteLine($"fields:   {FieldCounts.Describe(fields.Counts, Printable.Name)}");
        console.WriteLine($"classes:  {(store.ClassNames.Count == 0 ? "(none recorded)" : string.Join(", ", store.ClassNames.Select(Printable.Name)))}");
        Labels(store, labels);
        return ImageStashApp.Ok;
    }

    /// <summary>A shard set from its index and ids file alone: no shard is downloaded.</summary>
    private int ShardSet(ImageStash.Shards.ShardSetStore store)
    {
        var index = store.Index;
        var labels = new SortedDictionary<int, long>();
        foreach (int label in store.Labels) labels[label] = labels.GetValueOrDefault(label) + 1;
        console.WriteLine($"store:    {store.Path}");
        console.WriteLine($"kind:     shards (format version {index.Version}, {index.Order} order{(index.Order == "shuffled" ? $", seed {index.Seed}" : "")})");
        console.WriteLine($"images:   {store.Count:N0}");
        console.WriteLine($"shape:    {(store.FixedShape is { } fixedShape ? $"{fixedShape} (fixed)" : "varied (in each sample's JSON)")}");
        console.WriteLine($"shards:   {index.Shards.Count:N0}, {Bytes(index.Bytes)} ({Bytes(index.Shards.Count == 0 ? 0 : index.Bytes / index.Shards.Count)} each on average)");
        if (store.CacheFolder is { } cache) console.WriteLine($"cache:    {cache}");
        console.WriteLine($"fields:   {FieldCounts.Describe(index.FieldCounts, Printable.Name)}");
        console.WriteLine($"classes:  {(store.ClassNames.Count == 0 ? "(none recorded)" : string.Join(", ", store.ClassNames.Select(Printable.Name)))}");
        Labels(store, labels);
        return ImageStashApp.Ok;
    }

    private void Labels(IImageStore store, SortedDictionary<int, long> labels)
    {
        console.WriteLine("labels:");
        foreach (var (label, n) in labels)
        {
            string name = label >= 0 && label < store.ClassNames.Count ? Printable.Name(store.ClassNames[label]) : "";
            console.WriteLine($"  {label,4} {name,-14} {n,10:N0}");
        }
    }

    internal static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };
}
