using System.Diagnostics;
using ImageStash;
using ImageStash.MLNet;
using ImageStash.Tools;
using Microsoft.ML.Data;

/// <summary>
/// Rows per second of <see cref="StoreDataView"/>'s cursor over a store, with the columns a trainer takes (Label and
/// Pixels, or Label and ImageBytes for encoded stores), and the process's peak memory.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- mlnet-cursor STORE [repeats]</remarks>
internal static class MLNetCursor
{
    public static void Run(string[] args)
    {
        var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider, ImageStash.Hdf5.Hdf5Store.Provider, ImageStash.Shards.ShardSetStore.Provider);
        using var store = stores.OpenRead(args[0]);
        int repeats = args.Length > 1 ? int.Parse(args[1]) : 3;
        var open = Stopwatch.StartNew();
        var view = new StoreDataView(store);
        Console.WriteLine($"{store.Format} store '{store.Path}': {store.Count:N0} rows; view made in {open.Elapsed.TotalMilliseconds:F0} ms");
        var pixels = view.Schema.GetColumnOrNull("Pixels") ?? view.Schema["ImageBytes"];
        var rates = new List<double>();
        for (int run = 0; run < repeats; run++)
        {
            var clock = Stopwatch.StartNew();
            long rows = 0;
            double sum = 0;
            using (var cursor = view.GetRowCursor([view.Schema["Label"], pixels]))
            {
                var label = cursor.GetGetter<uint>(view.Schema["Label"]);
                uint key = 0;
                if (pixels.Name == "Pixels")
                {
                    var get = cursor.GetGetter<VBuffer<float>>(pixels);
                    VBuffer<float> values = default;
                    while (cursor.MoveNext()) { label(ref key); get(ref values); sum += values.GetValues()[0] + key; rows++; }
                }
                else
                {
                    var get = cursor.GetGetter<VBuffer<byte>>(pixels);
                    VBuffer<byte> values = default;
                    while (cursor.MoveNext()) { label(ref key); get(ref values); sum += values.Length + key; rows++; }
                }
            }
            rates.Add(rows / clock.Elapsed.TotalSeconds);
            Console.WriteLine($"run {run}: {rows:N0} rows (Label + {pixels.Name}) in {clock.Elapsed.TotalSeconds:F3} s: {rates[^1]:N0} rows/s (checksum {sum:G3})");
        }
        using var self = Process.GetCurrentProcess();
        // The working set counts the store's memory-mapped pages (LMDB), which the kernel drops at will; private
        // bytes and the GC heap are the process's own memory.
        Console.WriteLine($"median {rates.Order().ElementAt(rates.Count / 2):N0} rows/s; peak working set {self.PeakWorkingSet64 / (1 << 20):N0} MiB, " +
                          $"private {self.PrivateMemorySize64 / (1 << 20):N0} MiB, GC heap {GC.GetGCMemoryInfo().HeapSizeBytes / (1 << 20):N0} MiB, most GC memory committed {GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes / (1 << 20):N0} MiB");
    }
}
