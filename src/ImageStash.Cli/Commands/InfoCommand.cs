using ImageStash.Cli.Internal;
using Spectre.Console.Cli;

namespace ImageStash.Cli.Commands;

/// <summary><c>imagestash info STORE</c>: kind, count, shapes, label histogram and disk use.</summary>
internal sealed class InfoCommand(AppConsole console) : Command<StoreSettings>
{
    public override int Execute(CommandContext context, StoreSettings settings, CancellationToken cancellationToken)
    {
        using var store = Stores.Registry.OpenRead(settings.Store, settings.Format);
        var shapes = new Dictionary<ImageShape, long>();
        var labels = new SortedDictionary<int, long>();
        foreach (long id in store.EnumerateIds())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!store.TryGetHeader(id, out var h)) continue;
            shapes[h.Shape] = shapes.GetValueOrDefault(h.Shape) + 1;
            labels[h.Label] = labels.GetValueOrDefault(h.Label) + 1;
        }
        var (allocated, apparent) = DiskUsage.Of(store.Path);
        console.WriteLine($"store:    {store.Path}");
        console.WriteLine($"kind:     {store.Format}");
        console.WriteLine($"images:   {store.Count:N0}");
        console.WriteLine($"shape:    {(store.FixedShape is { } fixedShape ? $"{fixedShape} (fixed)" : string.Join(", ", shapes.OrderByDescending(s => s.Value).Take(5).Select(s => $"{s.Key} ×{s.Value:N0}")) + (shapes.Count > 5 ? $", … {shapes.Count} shapes" : ""))}");
        console.WriteLine($"disk:     {Bytes(allocated)} allocated, {Bytes(apparent)} apparent");
        console.WriteLine($"classes:  {(store.ClassNames.Count == 0 ? "(none recorded)" : string.Join(", ", store.ClassNames))}");
        console.WriteLine("labels:");
        foreach (var (label, n) in labels)
        {
            string name = label >= 0 && label < store.ClassNames.Count ? store.ClassNames[label] : "";
            console.WriteLine($"  {label,4} {name,-14} {n,10:N0}");
        }
        return ImageStashApp.Ok;
    }

    internal static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{n / 1024.0:F1} KiB",
        _ => $"{n} B",
    };
}
