using System.Text.Json;
using ImageStash.Bench;
using ImageStash.FolderStore;
using ImageStash.Reporting;
using ImageStash.Sources;
using ImageStash.Tools;

namespace ImageStash.Tests.Bench;

public sealed class StoreBenchmarkTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private BenchResults RunSmall(StoreRegistry registry, params string[] stores)
    {
        using var source = new SyntheticSource(30, new ImageShape(16, 16, 3));
        return StoreBenchmark.Run(source, registry, new BenchOptions
        {
            Stores = stores,
            Counts = [1, 10, 50], // 50 > 30 images: the source is cycled
            Repeat = 2,
            SkipWarmup = true,
            WorkDirectory = _dir.File("work"),
        });
    }

    [Fact]
    public void Every_store_operation_and_count_has_a_row_and_the_limit_rows_are_there()
    {
        var results = RunSmall(Stores.StoreKinds.Builtin, "png", "lmdb", "hdf5");
        foreach (string store in new[] { "png", "lmdb", "hdf5" })
        {
            Assert.NotNull(results.Find(store, StoreBenchmark.StoreSingle, 1));
            Assert.NotNull(results.Find(store, StoreBenchmark.ReadSingle, 1));
            foreach (int count in new[] { 1, 10, 50 })
            {
                var write = results.Find(store, StoreBenchmark.StoreMany, count)!;
                var read = results.Find(store, StoreBenchmark.ReadMany, count)!;
                Assert.True(write.DiskAllocated > 0 && write.DiskApparent > 0, $"{store} {count}: disk use measured");
                Assert.Equal(count * 768L, write.Bytes);
                Assert.Equal(2, read.Runs);
                Assert.True(read.MinSeconds <= read.MedianSeconds && read.MedianSeconds <= read.MaxSeconds);
                Assert.NotNull(write.MultipleOfLimit);
                Assert.NotNull(read.MultipleOfLimit);
            }
        }
        foreach (int count in new[] { 1, 10, 50 })
            foreach (string op in new[] { StoreBenchmark.WriteSequential, StoreBenchmark.ReadSequential, StoreBenchmark.Memcpy })
                Assert.NotNull(results.Find(StoreBenchmark.LimitStore, op, count));
        // The folder store writes a file per image: its writes are compared with creating as many files of the same
        // sizes; the one-file stores' with the sequential write.
        foreach (int count in new[] { 1, 10, 50 })
        {
            var files = results.Find(StoreBenchmark.LimitStore, StoreBenchmark.CreateFiles, count)!;
            Assert.True(files.DiskAllocated > 0, $"create_files {count}: disk use measured");
            Assert.Equal(results.Find("png", StoreBenchmark.StoreMany, count)!.MedianSeconds / files.MedianSeconds, results.Find("png", StoreBenchmark.StoreMany, count)!.MultipleOfLimit!.Value, 9);
            var sequential = results.Find(StoreBenchmark.LimitStore, StoreBenchmark.WriteSequential, count)!;
            foreach (string store in new[] { "lmdb", "hdf5" })
                Assert.Equal(results.Find(store, StoreBenchmark.StoreMany, count)!.MedianSeconds / sequential.MedianSeconds, results.Find(store, StoreBenchmark.StoreMany, count)!.MultipleOfLimit!.Value, 9);
        }
        Assert.Equal(3 * 2 + 3 * 3 * 2 + 3 * 3 + 3, results.Rows.Count);
        Assert.False(Directory.Exists(_dir.File("work")), "the bench removes the stores it made");
    }

    [Theory]
    [InlineData(16, 4)]     // streamed as an import does: 16 + 16 + 16 + 2
    [InlineData(1024, 1)]   // the default: 50 images fit one batch, as the article's one call
    public void Store_many_puts_the_images_in_batches_of_the_batch_size(int batchSize, int putsFor50)
    {
        var provider = new CountingProvider();
        using var source = new SyntheticSource(30, new ImageShape(16, 16, 3));
        var results = StoreBenchmark.Run(source, new StoreRegistry(provider), new BenchOptions
        {
            Stores = ["counting"],
            Counts = [50],
            Repeat = 1,
            SkipWarmup = true,
            BatchSize = batchSize,
            WorkDirectory = _dir.File("work"),
        });
        Assert.Equal(batchSize, results.BatchSize);
        Assert.Equal([1, putsFor50], provider.PutsPerStore.Values.Order()); // store_single, then store_many of 50
        BenchReport.WriteAll(results, _dir.File("out"));
        string report = File.ReadAllText(Path.Combine(_dir.File("out"), "report.md"));
        Assert.Contains($"store many puts the images in batches of {batchSize:N0}, one commit each", report);
    }

    [Fact]
    public void A_store_returning_wrong_pixels_fails_the_bench()
    {
        var registry = new StoreRegistry(BrokenStore.Provider);
        var e = Assert.Throws<ImageStashException>(() => RunSmall(registry, "broken"));
        Assert.StartsWith("bench: the broken store returned wrong pixels or label for image ", e.Message);
        Assert.Contains("in read_many of 10", e.Message);
    }

    [Fact]
    public void An_unknown_store_fails_before_any_work()
    {
        var e = Assert.Throws<ImageStashException>(() => RunSmall(Stores.StoreKinds.Builtin, "png", "parquet"));
        Assert.Equal("unknown store format 'parquet'; use one of: lmdb, hdf5, png.", e.Message);
    }

    [Fact]
    public void Report_files_have_the_documented_schema_and_plots_carry_their_labels()
    {
        var results = RunSmall(Stores.StoreKinds.Builtin, "png", "lmdb");
        string outDir = _dir.File("out");
        var files = BenchReport.WriteAll(results, outDir);

        string[] csv = File.ReadAllLines(Path.Combine(outDir, "results.csv"));
        Assert.Equal("store,operation,count,median_s,min_s,max_s,runs,images_per_s,mb_per_s,bytes,disk_allocated,disk_apparent,multiple_of_limit", csv[0]);
        Assert.Equal(results.Rows.Count + 1, csv.Length);
        Assert.Contains(csv, l => l.StartsWith("lmdb,read_many,50,", StringComparison.Ordinal));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        var root = json.RootElement;
        Assert.Equal(16, root.GetProperty("shape").GetProperty("height").GetInt32());
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("machine").GetProperty("cores").GetInt32());
        var row = root.GetProperty("rows")[0];
        foreach (string field in new[] { "store", "operation", "count", "median_seconds", "min_seconds", "max_seconds", "images_per_second", "megabytes_per_second", "disk_allocated", "multiple_of_limit" })
            Assert.True(row.TryGetProperty(field, out _), $"results.json rows have '{field}'");

        foreach (string name in new[] { "store_many-time-linear", "store_many-time-log", "read_many-time-linear", "read_many-time-log", "read_vs_write-png", "read_vs_write-lmdb", "store_many-disk" })
        {
            string png = Path.Combine(outDir, name + ".png"), svg = Path.Combine(outDir, name + ".svg");
            Assert.Contains(png, files);
            Assert.True(File.ReadAllBytes(png).AsSpan(0, 8).SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }), $"{name}.png is a PNG");
            Assert.True(DarkPixelsInTitleBand(png) > 50, $"{name}.png: the title is drawn (fonts found)");
            string text = File.ReadAllText(svg);
            Assert.StartsWith("<?xml", text);
            Assert.Contains("images (log scale)", text);
            Assert.Contains(name.Contains("disk") ? "megabytes" : "seconds", text);
        }
        string report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("## Conclusion", report);
        Assert.Contains("**Fastest to read 50 images:", report);
        Assert.Contains("![read_many-time-log](read_many-time-log.png)", report);
    }

    /// <summary>Counts dark pixels in the top band where only the title is drawn; blank text leaves none.</summary>
    private static int DarkPixelsInTitleBand(string png)
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(png);
        int dark = 0;
        for (int y = 0; y < 35; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 300) dark++;
            }
        return dark;
    }

    /// <summary>A PNG folder store that counts the Puts each store receives.</summary>
    private sealed class CountingProvider : IStoreProvider
    {
        public Dictionary<string, int> PutsPerStore { get; } = [];

        public string Format => "counting";

        public bool Matches(string path) => false;

        public IImageStore Open(string path, StoreOptions options) => new Counting(PngFolderStore.Provider.Open(path, options), this);

        private sealed class Counting(IImageStore inner, CountingProvider owner) : DelegatingStore(inner, "counting")
        {
            public override void Put(ImageBatch batch, bool overwrite = false)
            {
                owner.PutsPerStore[Path] = owner.PutsPerStore.GetValueOrDefault(Path) + 1;
                base.Put(batch, overwrite);
            }
        }
    }
}
