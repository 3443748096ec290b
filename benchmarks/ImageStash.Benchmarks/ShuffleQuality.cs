using System.Globalization;
using ImageStash;
using ImageStash.Loading;
using ImageStash.Shards;
using ImageStash.Tools;

/// <summary>
/// How well the shard loader shuffles: a store whose ids are sorted by class (the worst case, e.g. an ImageFolder
/// imported class by class) written as shards in id order (<c>--no-shuffle</c>) and in the writer's seeded order
/// (the default), then one loader epoch per shuffle window. For the epoch's order it reports the share of
/// neighbours with the same label (a full shuffle: 1/classes), the rank correlation between a sample's place in the
/// epoch and its place in the source (a full shuffle: 0), and how far apart neighbours were in the source, as a
/// share of the set (a full shuffle: 1/3).
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/ImageStash.Benchmarks -- shuffle-quality [images] [classes]</remarks>
internal static class ShuffleQuality
{
    public static void Run(string[] args)
    {
        int images = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        int classes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        string dir = Directory.CreateTempSubdirectory("imagestash-shuffle-").FullName;
        try
        {
            var stores = new StoreRegistry(ImageStash.Lmdb.LmdbStore.Provider);
            using var source = stores.Open(Path.Combine(dir, "sorted.lmdb"));
            var shape = new ImageShape(8, 8, 3);
            for (int first = 0; first < images; first += 1000)
            {
                using var batch = new ImageBatch();
                for (int id = first; id < Math.Min(images, first + 1000); id++)
                    batch.AddUninitialized(new ImageHeader(id, shape, (int)((long)id * classes / images))).Fill((byte)id);
                source.Put(batch);
            }
            Console.WriteLine($"{images:N0} images of 8x8, {classes} classes, ids sorted by class; shards of 64 KiB; one loader epoch, rank 0 of 1, seed 3");
            Console.WriteLine();
            Console.WriteLine("| written | shuffle window (shards) | same-label neighbours | rank correlation with the source | neighbours' distance in the source |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (bool shuffled in new[] { false, true })
            {
                string set = Path.Combine(dir, shuffled ? "shuffled" : "in-order");
                var written = ShardWriter.Write(source, set, new ShardWriterOptions { ShardSize = 64 << 10, Shuffle = shuffled, Seed = 1 });
                foreach (int window in new[] { 1, 2, 4, 8, 16, 64 })
                {
                    using var shards = new ShardSetStore(set, new ShardSetOptions { ShuffleShards = window });
                    using var loader = new ImageLoader(shards, new LoaderOptions { BatchSize = 256, Shuffle = true, Seed = 3, Workers = 1 });
                    var order = loader.NextEpoch().SelectMany(b => b.Ids.ToArray()).ToArray();
                    var (same, correlation, distance) = Measure(order, id => (int)(id * classes / images), images);
                    Console.WriteLine($"| {(shuffled ? "seeded order (default)" : "id order (--no-shuffle)")}, {written.Shards} shards | {window} | {same:P1} | {correlation:F3} | {distance:F3} |");
                }
            }
            var random = Enumerable.Range(0, images).Select(i => (long)i).OrderBy(_ => Random.Shared.Next()).ToArray();
            var (s, c, d) = Measure(random, id => (int)(id * classes / images), images);
            Console.WriteLine($"| a full random permutation, for reference | – | {s:P1} | {c:F3} | {d:F3} |");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static (double Same, double Correlation, double Distance) Measure(long[] order, Func<long, int> label, int images)
    {
        int same = 0;
        double distance = 0;
        for (int i = 1; i < order.Length; i++)
        {
            if (label(order[i]) == label(order[i - 1])) same++;
            distance += Math.Abs(order[i] - order[i - 1]);
        }
        // Spearman: positions in the epoch against ids (the source's order); both are permutations of 0..n-1.
        double n = order.Length, sumSquares = 0;
        for (int i = 0; i < order.Length; i++) sumSquares += Math.Pow(i - order[i], 2);
        double rho = 1 - 6 * sumSquares / (n * (n * n - 1));
        return (same / (n - 1), rho, distance / (n - 1) / images);
    }
}
