using System.Globalization;
using System.Text;
using ImageStash.Bench;

namespace ImageStash.Reporting.Internal;

/// <summary>report.md: the answer first (a short conclusion drawn from the figures), then the tables and plots.</summary>
internal static class ReportWriter
{
    public static string Write(BenchResults results, IReadOnlyList<string> plotFiles)
    {
        var md = new StringBuilder();
        var stores = results.Stores;
        int top = results.Counts.Count > 0 ? results.Counts.Max() : 1;
        md.AppendLine("# ImageStash bench: which store for lots of images?").AppendLine();
        md.AppendLine($"{results.Source}, {results.Images} images; median of {results.Repeat} timed run(s) after a warm-up; " +
                      (results.Sync ? "writes fsync'ed before the clock stops; " : "page cache warm, writes not fsync'ed (`--sync` for durable-write figures); ") +
                      $"store many puts the images in batches of {results.BatchSize:N0}, one commit each, as an import does " +
                      "(the article's code stores all N in one call: `--batch 100000` for that).")
          .AppendLine();

        md.AppendLine("## Conclusion").AppendLine();
        foreach (string line in Conclusions(results, stores, top)) md.AppendLine($"- {line}");
        md.AppendLine();

        md.AppendLine($"## At {top:N0} images").AppendLine();
        md.AppendLine("| store | store many | read many | read images/s | store × limit | read × limit | on disk | read one |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string store in stores)
        {
            var w = results.Find(store, StoreBenchmark.StoreMany, top);
            var r = results.Find(store, StoreBenchmark.ReadMany, top);
            var one = results.Find(store, StoreBenchmark.ReadSingle, 1);
            md.AppendLine($"| {store} | {S(w?.MedianSeconds)} | {S(r?.MedianSeconds)} | {N(r?.ImagesPerSecond)} | {X(w?.MultipleOfLimit)} | {X(r?.MultipleOfLimit)} | {Mb(w?.DiskAllocated)} | {S(one?.MedianSeconds)} |");
        }
        var lw = results.Find(StoreBenchmark.LimitStore, StoreBenchmark.WriteSequential, top);
        var lr = results.Find(StoreBenchmark.LimitStore, StoreBenchmark.ReadSequential, top);
        var lm = results.Find(StoreBenchmark.LimitStore, StoreBenchmark.Memcpy, top);
        md.AppendLine($"| *limit: one sequential file* | {S(lw?.MedianSeconds)} | {S(lr?.MedianSeconds)} | {N(lr?.ImagesPerSecond)} | 1.00× | 1.00× | {Mb(lw?.DiskAllocated)} | |");
        if (results.Find(StoreBenchmark.LimitStore, StoreBenchmark.CreateFiles, top) is { } lf)
            md.AppendLine($"| *limit: a file per image* | {S(lf.MedianSeconds)} | | | 1.00× | | {Mb(lf.DiskAllocated)} | |");
        md.AppendLine($"| *limit: memcpy* | | {S(lm?.MedianSeconds)} | {N(lm?.ImagesPerSecond)} | | | | |");
        md.AppendLine();
        md.AppendLine("What each limit is:").AppendLine();
        foreach (var (operation, what) in StoreBenchmark.LimitDescriptions)
            if (results.Rows.Any(r => r.Store == StoreBenchmark.LimitStore && r.Operation == operation))
                md.AppendLine($"- `{operation}`: {what}.");
        md.AppendLine();

        foreach (string line in PeerSection(results)) md.AppendLine(line);

        md.AppendLine("## Plots").AppendLine();
        foreach (string png in plotFiles.Where(f => f.EndsWith(".png", StringComparison.Ordinal)))
            md.AppendLine($"![{Path.GetFileNameWithoutExtension(png)}]({Path.GetFileName(png)})").AppendLine();

        md.AppendLine("## All figures").AppendLine();
        md.AppendLine("Times are medians (min–max); × limit divides by the limit row of the same count: for writes create_files for a store that writes a file per image and write_sequential for the others, read_sequential for reads.").AppendLine();
        md.AppendLine("| store | operation | count | time (median) | min–max | images/s | MB/s | × limit | on disk |");
        md.AppendLine("|---|---|---:|---:|---|---:|---:|---:|---:|");
        foreach (var r in BenchTable.Ordered(results).Concat(results.Rows.Where(r => r.Peer)))
            md.AppendLine($"| {r.Store} | {r.Operation} | {r.Count:N0} | {S(r.MedianSeconds)} | {S(r.MinSeconds)}–{S(r.MaxSeconds)} | {N(r.ImagesPerSecond)} | {N(r.MegabytesPerSecond)} | {X(r.MultipleOfLimit)} | {Mb(r.DiskAllocated)} |");
        md.AppendLine();

        var m = results.Machine;
        md.AppendLine("## Machine").AppendLine();
        md.AppendLine($"- CPU: {m.Cpu}, {m.Cores} logical cores");
        md.AppendLine($"- memory: {m.MemoryBytes / (double)(1L << 30):F1} GiB");
        md.AppendLine($"- OS: {m.OperatingSystem}; {m.DotNet}");
        md.AppendLine($"- stores written to: {m.FileSystem}");
        md.AppendLine($"- run started {results.StartedUtc:yyyy-MM-dd HH:mm} UTC");
        return md.ToString();
    }

    /// <summary>Our stores against the peer's same method ("png" against "article-png"), count by count.</summary>
    private static IEnumerable<string> PeerSection(BenchResults results)
    {
        var pairs = results.Peers.Select(p => (Peer: p, Ours: p[(p.IndexOf('-') + 1)..])).Where(p => results.Stores.Contains(p.Ours)).ToList();
        if (pairs.Count == 0) yield break;
        yield return "## Against the peer (the article's Python code, same images, same machine)";
        yield return "";
        yield return "Speed-up = peer's median ÷ ours. Peer figures come from `benchmarks/python/article_peer.py` with the same protocol.";
        yield return "";
        yield return "| store | count | store: ours | store: peer | store speed-up | read: ours | read: peer | read speed-up |";
        yield return "|---|---:|---:|---:|---:|---:|---:|---:|";
        foreach (var (peer, ours) in pairs)
            foreach (int count in results.Counts)
            {
                var ow = results.Find(ours, StoreBenchmark.StoreMany, count); var pw = results.Find(peer, StoreBenchmark.StoreMany, count);
                var or = results.Find(ours, StoreBenchmark.ReadMany, count); var pr = results.Find(peer, StoreBenchmark.ReadMany, count);
                if (ow is null || pw is null) continue;
                yield return $"| {ours} | {count:N0} | {S(ow.MedianSeconds)} | {S(pw.MedianSeconds)} | {Ratio(pw, ow)} | {S(or?.MedianSeconds)} | {S(pr?.MedianSeconds)} | {Ratio(pr, or)} |";
            }
        yield return "";
    }

    private static string Ratio(BenchRow? peer, BenchRow? ours) =>
        peer is null || ours is null || ours.MedianSeconds <= 0 ? "" : Units.Multiple(peer.MedianSeconds / ours.MedianSeconds);

    private static IEnumerable<string> Conclusions(BenchResults results, IReadOnlyList<string> stores, int top)
    {
        BenchRow? Best(string op, Func<BenchRow, double> key) =>
            stores.Select(s => results.Find(s, op, top)).OfType<BenchRow>().OrderBy(key).FirstOrDefault();
        string Next(string op, BenchRow best, Func<BenchRow, double> key)
        {
            var second = stores.Where(s => s != best.Store).Select(s => results.Find(s, op, top)).OfType<BenchRow>().OrderBy(key).FirstOrDefault();
            return second is null ? "" : $", {key(second) / Math.Max(key(best), 1e-12):F1}× ahead of {second.Store}";
        }
        if (Best(StoreBenchmark.ReadMany, r => r.MedianSeconds) is { } read)
            yield return $"**Fastest to read {top:N0} images: {read.Store}**, {S(read.MedianSeconds)} ({N(read.ImagesPerSecond)} images/s{Next(StoreBenchmark.ReadMany, read, r => r.MedianSeconds)}); " +
                         $"that is {X(read.MultipleOfLimit)} the time of reading the same bytes from one sequential file.";
        if (Best(StoreBenchmark.StoreMany, r => r.MedianSeconds) is { } write)
            yield return $"**Fastest to store {top:N0} images: {write.Store}**, {S(write.MedianSeconds)}{Next(StoreBenchmark.StoreMany, write, r => r.MedianSeconds)}; {X(write.MultipleOfLimit)} its write limit.";
        if (Best(StoreBenchmark.StoreMany, r => r.DiskAllocated) is { DiskAllocated: > 0 } small)
            yield return $"**Smallest on disk: {small.Store}**, {Mb(small.DiskAllocated)} for {top:N0} images " +
                         $"({(double)small.DiskAllocated / small.Bytes:P0} of the {(results.Shape is null ? "payload" : "raw pixel")} bytes{Next(StoreBenchmark.StoreMany, small, r => r.DiskAllocated)}).";
        if (results.Find(StoreBenchmark.LimitStore, StoreBenchmark.SourceFiles, top) is { DiskAllocated: > 0 } folder)
            yield return $"Against the source folder's own files ({Mb(folder.DiskAllocated)} for {top:N0} images): " +
                         string.Join(", ", stores.Select(s => results.Find(s, StoreBenchmark.StoreMany, top)).OfType<BenchRow>()
                             .Select(r => $"{r.Store} {X((double)r.DiskAllocated / folder.DiskAllocated)}")) + " the disk.";
        // The article: "LMDB's disk use grows much faster than HDF5's for larger images". One run gives the ratio at
        // one image size; runs at several sizes (benchmarks/results/) say whether it grows.
        if (results.Find("lmdb", StoreBenchmark.StoreMany, top) is { DiskAllocated: > 0 } lmdb && results.Find("hdf5", StoreBenchmark.StoreMany, top) is { DiskAllocated: > 0 } hdf5)
            yield return $"LMDB takes {X((double)lmdb.DiskAllocated / hdf5.DiskAllocated)} the disk of HDF5 for {top:N0} images of {results.Images} " +
                         "(the article says LMDB's disk use grows much faster than HDF5's for larger images: compare this ratio across image sizes).";
        var single = stores.Select(s => results.Find(s, StoreBenchmark.ReadSingle, 1)).OfType<BenchRow>().OrderBy(r => r.MedianSeconds).ToList();
        if (single.Count > 0)
            yield return "Open, read one image and close: " + string.Join(", ", single.Select(r => $"{r.Store} {S(r.MedianSeconds)}")) + ".";
    }

    private static string S(double? seconds) => Units.Time(seconds);

    private static string N(double? value) => Units.Count(value);

    private static string X(double? multiple) => Units.Multiple(multiple);

    private static string Mb(long? bytes) => Units.Size(bytes);
}
