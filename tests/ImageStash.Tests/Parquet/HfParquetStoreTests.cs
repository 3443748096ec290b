using ImageStash.Loading;
using ImageStash.Lmdb;
using ImageStash.Parquet;
using ImageStash.Shards;
using ImageStash.Tests.Cli;
using ImageStash.Tools;

namespace ImageStash.Tests.Parquet;

/// <summary>
/// A Hugging Face Parquet dataset (written by DuckDB) read in place as a store: the registry opens it read-only, and
/// info, verify, get, export, convert, shard and the loader work on it unchanged.
/// </summary>
[Collection("Console")]
public sealed class HfParquetStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly StoreRegistry Registry = new(ShardSetStore.Provider, LmdbStore.Provider, HfParquetStore.Provider);

    private string Fixture(string name = "train.parquet")
    {
        string parquet = _dir.File(name);
        HfFixtures.WriteFolder(TestData.ImageFolder, parquet);
        return parquet;
    }

    [Fact]
    public void The_registry_opens_a_parquet_file_read_only_with_bytes_labels_names_and_class_names_exact()
    {
        string parquet = Fixture();
        var rows = HfFixtures.ReadRows(parquet);
        using var store = Registry.OpenRead(parquet);
        var hf = Assert.IsType<HfParquetStore>(store);
        Assert.Equal("hf", store.Format);
        Assert.Equal(rows.Count, store.Count);
        Assert.Equal(Directory.GetDirectories(TestData.ImageFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal), store.ClassNames);
        Assert.Equal(Enumerable.Range(0, rows.Count).Select(i => (long)i), store.EnumerateIds());
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.True(store.TryGetHeader(i, out var header));
            Assert.Equal((int)rows[i].Label, header.Label);
            Assert.Equal(rows[i].Path, header.Name);
            Assert.Equal("a photo of a " + rows[i].Path![..rows[i].Path!.IndexOf('/')], header.Fields?.GetString("text"));
            Assert.False(header.IsRaw);
            var payload = new byte[header.PayloadLength];
            store.Read(i, payload);
            Assert.Equal(rows[i].Bytes, payload);
        }
        Assert.False(store.TryGetHeader(rows.Count, out _));
        var e = Assert.Throws<ImageStashException>(() => store.Put(TestData.Batch(1, new ImageShape(2, 2, 3))));
        Assert.Equal(ImageStashError.ReadOnly, e.Error);
        Assert.Equal(ImageStashError.ReadOnly, Assert.Throws<ImageStashException>(() => Registry.Open(parquet, new StoreOptions { Mode = StoreOpenMode.CreateNew })).Error);
        Assert.Equal(1, hf.RowGroupCount);
    }

    [Fact]
    public void Info_verify_get_export_convert_and_shard_work_on_it_unchanged()
    {
        string parquet = Fixture();
        var rows = HfFixtures.ReadRows(parquet);

        var info = CliRunner.Run("info", parquet);
        Assert.True(info.Exit == 0, info.Err);
        Assert.Contains("kind:     hf", info.Out);
        Assert.Contains($"images:   {rows.Count}", info.Out);
        Assert.Contains("camera", info.Out);

        var verify = CliRunner.Run("verify", parquet, "--deep");
        Assert.True(verify.Exit == 0, verify.Err + verify.Out);

        string file = _dir.File("5" + ImageStash.Codecs.ImageCodecs.Detect(rows[5].Bytes)!.Extension);
        var get = CliRunner.Run("get", parquet, "5", "-o", file);
        Assert.True(get.Exit == 0, get.Err);
        Assert.Equal(rows[5].Bytes, File.ReadAllBytes(file));

        var export = CliRunner.Run("export", parquet, _dir.File("exported"));
        Assert.True(export.Exit == 0, export.Err);
        Assert.Equal(rows.Count, Directory.GetFiles(_dir.File("exported"), "*", SearchOption.AllDirectories).Count(f => !f.EndsWith(".jsonl", StringComparison.Ordinal)));

        var convert = CliRunner.Run("convert", parquet, _dir.File("x.lmdb"));
        Assert.True(convert.Exit == 0, convert.Err);
        var shard = CliRunner.Run("shard", parquet, _dir.File("shards"), "--shard-size", "200KiB");
        Assert.True(shard.Exit == 0, shard.Err);
        using var store = Registry.OpenRead(parquet);
        using var lmdb = Registry.OpenRead(_dir.File("x.lmdb"));
        using var shards = Registry.OpenRead(_dir.File("shards"));
        Assert.Null(StoreConverter.FindDifference(store, lmdb));
        Assert.Null(StoreConverter.FindDifference(store, shards));
        Assert.Equal(store.ClassNames, shards.ClassNames);
    }

    [Fact]
    public void A_folder_or_a_pattern_reads_one_split_and_a_folder_of_several_splits_is_refused_naming_them()
    {
        string data = Directory.CreateDirectory(_dir.File("ds/data")).FullName;
        HfFixtures.WriteFolder(TestData.ImageFolder, Path.Combine(data, "train-00000-of-00002.parquet"));
        HfFixtures.WriteFolder(TestData.ImageFolder, Path.Combine(data, "train-00001-of-00002.parquet"), labelOverride: 3);
        using (var folder = Registry.OpenRead(data))
        {
            Assert.Equal(80, folder.Count);
            Assert.True(folder.TryGetHeader(79, out var last));
            Assert.Equal(3, last.Label); // the second file's rows follow the first's
        }
        HfFixtures.WriteFolder(TestData.ImageFolder, Path.Combine(data, "test-00000-of-00001.parquet"));
        string pattern = Path.Combine(data, "train-*.parquet");
        using (var train = Assert.IsType<HfParquetStore>(Registry.OpenRead(pattern)))
            Assert.Equal(["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"], train.Files.Select(Path.GetFileName));
        var (exit, _, err) = CliRunner.Run("info", _dir.File("ds"));
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{_dir.File("ds")}' holds the splits test, train; a store is one split: open '{Path.Combine(data, "test*.parquet")}' or '{Path.Combine(data, "train*.parquet")}' (quoted, so the shell leaves the * alone).", err.Trim());
    }

    /// <summary>Two tiny PNGs repeated 2,100 times: DuckDB writes row groups of 2,048 rows, so several of them.</summary>
    private string ManyRowGroups()
    {
        string folder = Directory.CreateDirectory(_dir.File("tiny/a")).Parent!.FullName;
        Directory.CreateDirectory(_dir.File("tiny/b"));
        for (int c = 0; c < 2; c++)
        {
            var shape = new ImageShape(4, 5, 3);
            using var batch = TestData.Batch(1, shape, seed: c + 3);
            File.WriteAllBytes(_dir.File($"tiny/{(char)('a' + c)}/x.png"), TestImages.Png(batch.GetPixels(0), shape));
        }
        string parquet = _dir.File("groups.parquet");
        HfFixtures.WriteFolder(folder, parquet, repeat: 2100, rowGroupSize: 2048);
        return parquet;
    }

    [Fact]
    public void The_loader_streams_row_groups_every_image_once_per_epoch_across_ranks()
    {
        string parquet = ManyRowGroups();
        var provider = HfParquetStore.ProviderWith(new HfParquetStoreOptions { ShuffleRowGroups = 1, PrefetchRowGroups = 1 });
        using var store = (HfParquetStore)provider.Open(parquet, new StoreOptions { Mode = StoreOpenMode.ReadOnly });
        Assert.True(store.RowGroupCount >= 2, $"{store.RowGroupCount} row groups");
        var seen = new List<long>();
        for (int rank = 0; rank < 2; rank++)
        {
            using var loader = new ImageLoader(store, new LoaderOptions { BatchSize = 100, Size = 4, Seed = 5, Rank = rank, WorldSize = 2, Workers = 2 });
            var order = loader.EpochOrder(0);
            seen.AddRange(order);
            // A window of one row group: the first 1,000 ids handed out all come from one row group of 2,048 rows.
            Assert.True(order.Take(1000).Max() / 2048 == order.Take(1000).Min() / 2048, "the first ids span row groups");
            int batches = 0;
            long k = 0;
            foreach (var batch in loader.NextEpoch())
            {
                for (int i = 0; i < batch.Count; i++, k++) Assert.Equal((int)(order[k] % 2), batch.Labels[i]);
                batches++;
            }
            Assert.Equal(loader.BatchesPerEpoch, batches);
        }
        Assert.Equal(Enumerable.Range(0, (int)store.Count).Select(i => (long)i), seen.Order());
    }

    [Fact]
    public void A_label_out_of_range_and_bytes_that_are_not_an_image_are_named_by_file_and_row()
    {
        string parquet = _dir.File("bad.parquet");
        HfFixtures.Execute($$"""
            COPY (SELECT {'bytes': (CASE WHEN i = 1 THEN 'not an image'::BLOB ELSE b.content END), 'path': 'x' || i} AS image,
                         (CASE WHEN i = 2 THEN 7 ELSE 0 END)::BIGINT AS label
                  FROM range(3) AS r(i), read_blob({{HfFixtures.Q(Directory.GetFiles(Path.Combine(TestData.ImageFolder, "cat")).Order(StringComparer.Ordinal).First())}}) AS b)
            TO {{HfFixtures.Q(parquet)}} (FORMAT PARQUET, KV_METADATA {huggingface: {{HfFixtures.Q(HfFixtures.Features(["a", "b"]))}}})
            """);
        var verify = CliRunner.Run("verify", parquet);
        Assert.Equal(1, verify.Exit);
        Assert.Contains($"'{parquet}' row 1: not an image ImageStash reads", verify.Out + verify.Err);
        Assert.Contains($"'{parquet}' row 2: label 7 is out of range for the 2 ClassLabel names of 'label' (0–1, or -1 for none).", verify.Out + verify.Err);
        var get = CliRunner.Run("get", parquet, "0", "-o", _dir.File("0.jpg"));
        Assert.True(get.Exit == 0, get.Err); // the good row reads
        var convert = CliRunner.Run("convert", parquet, _dir.File("x.lmdb"));
        Assert.Equal(1, convert.Exit);
        Assert.StartsWith($"imagestash: error: '{parquet}' row 1: not an image ImageStash reads", convert.Err.Trim());
        Assert.Single(convert.Err.Trim().Split('\n'));
    }

    [Fact]
    public void A_truncated_file_or_one_without_an_image_column_is_refused_in_one_line()
    {
        string parquet = Fixture();
        byte[] all = File.ReadAllBytes(parquet);
        string cut = _dir.File("cut.parquet");
        File.WriteAllBytes(cut, all[..(all.Length / 2)]);
        var (exit, _, err) = CliRunner.Run("info", cut);
        Assert.Equal(1, exit);
        Assert.StartsWith($"imagestash: error: '{cut}' is not a Parquet file or is truncated: ", err);
        Assert.Single(err.Trim().Split('\n'));

        string text = _dir.File("text.parquet");
        HfFixtures.Execute($"COPY (SELECT 1::BIGINT AS label, 'x' AS text) TO {HfFixtures.Q(text)} (FORMAT PARQUET)");
        var noImage = CliRunner.Run("verify", text);
        Assert.Equal(1, noImage.Exit);
        Assert.Equal($"imagestash: error: '{text}': has no image column (a struct {{bytes, path}} like Hugging Face's Image feature); its columns are label, text.", noImage.Err.Trim());
    }
}
