using ImageStash.Lmdb;
using ImageStash.Tests.Parquet;

namespace ImageStash.Tests.Cli;

/// <summary><c>imagestash import</c> of datasets as people download them: WebDataset tar sets written by others.</summary>
[Collection("Console")]
public sealed class DatasetImportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_webdataset_pattern_imports_into_lmdb_with_bytes_kept()
    {
        string store = _dir.File("x.lmdb");
        var (exit, output, err) = CliRunner.Run("import", TestData.Path("webdataset/wds-{000000..000001}.tar"), store);
        Assert.True(exit == 0, err);
        Assert.Contains("imported 6 images from WebDataset", output);
        var get = CliRunner.Run("get", store, "0");
        Assert.Equal(0, get.Exit);
        Assert.Contains("train/000000.jpg", get.Out);
    }

    [Fact]
    public void A_sample_without_an_image_fails_in_one_line_and_keeps_what_the_store_held()
    {
        string store = _dir.File("x.lmdb");
        Assert.Equal(0, CliRunner.Run("import", TestData.Path("webdataset/wds-000000.tar"), store).Exit);
        string bad = TestData.Path("webdataset/bad-no-image.tar");
        var (exit, _, err) = CliRunner.Run("import", bad, store, "--batch", "1");
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: '{bad}' key 'train/000001' has no image (.jpg, .jpeg, .png, .webp) among its members (.cls, .txt, .json); fix or remove it, or pass --on-error skip.", err.Trim());
        Assert.Contains("images:   4", CliRunner.Run("info", store).Out); // 3 before, and train/000000 committed in its own batch
    }

    /// <summary>
    /// WebDataset (tar set by make.py) → LMDB → shard set → LMDB: bytes, labels and names exact, and each record's
    /// fields (its .txt and .json) as the WebDataset source gives them.
    /// </summary>
    [Fact]
    public void Webdataset_to_store_to_shards_to_store_keeps_bytes_labels_names_and_fields()
    {
        string pattern = TestData.Path("webdataset/wds-{000000..000001}.tar");
        List<RecordFields?> fields;
        using (var source = new ImageStash.Sources.WebDatasetSource(pattern))
            fields = [.. TestData.Collect(source).Select(r => r.Header.Fields)];
        Assert.Equal(6, fields.Count);
        Assert.All(fields, f => Assert.NotNull(f?.GetString("text"))); // every sample has a caption: the check below has teeth
        string first = _dir.File("a.lmdb"), set = _dir.File("set"), last = _dir.File("b.lmdb");
        Assert.Equal(0, CliRunner.Run("import", pattern, first).Exit);
        var shard = CliRunner.Run("shard", first, set, "--shard-size", "40KiB");
        Assert.True(shard.Exit == 0, shard.Err);
        var convert = CliRunner.Run("convert", set, last);
        Assert.True(convert.Exit == 0, convert.Err);
        Assert.Equal(Payloads(first), Payloads(last)); // bytes exact (before the stores are opened below: LMDB opens an environment once per process)
        var registry = new ImageStash.Tools.StoreRegistry(ImageStash.Shards.ShardSetStore.Provider, LmdbStore.Provider);
        using var a = registry.OpenRead(first);
        using var shards = registry.OpenRead(set);
        using var b = registry.OpenRead(last);
        Assert.True(((ImageStash.Shards.ShardSetStore)shards).Index.Shards.Count >= 2);
        Assert.Null(ImageStash.Tools.StoreConverter.FindDifference(a, shards));
        Assert.Null(ImageStash.Tools.StoreConverter.FindDifference(a, b));
        for (long id = 0; id < 6; id++)
        {
            Assert.True(a.TryGetHeader(id, out var x));
            Assert.True(shards.TryGetHeader(id, out var s));
            Assert.True(b.TryGetHeader(id, out var y));
            Assert.Equal((x.Label, x.Name), (y.Label, y.Name));
            Assert.Equal(fields[(int)id], x.Fields);
            Assert.Equal(fields[(int)id], s.Fields);
            Assert.Equal(fields[(int)id], y.Fields);
        }
    }

    /// <summary>
    /// Issue 20's bad inputs, each imported into a store that already holds images: one line naming the file and the
    /// row or key, exit 1, and every image stored before still there, byte for byte.
    /// </summary>
    [Theory]
    [InlineData("parquet-no-image-column", "': has no image column (a struct {bytes, path} like Hugging Face's Image feature); its columns are label, text.")]
    [InlineData("parquet-not-an-image", "' row 1: not an image ImageStash reads")]
    [InlineData("parquet-truncated", "' is not a Parquet file or is truncated: ")]
    [InlineData("parquet-label-out-of-range", "' row 0: label 99 is out of range for the 9 ClassLabel names of 'label' (0–8, or -1 for none).")]
    [InlineData("tar-truncated", "' is truncated")]
    [InlineData("tar-member-without-key", "' member 'train/.jpg' has no key")]
    public void Bad_input_fails_in_one_line_naming_it_and_keeps_what_the_store_held(string kind, string expected)
    {
        string store = _dir.File("x.lmdb");
        Assert.Equal(0, CliRunner.Run("import", TestData.Path("webdataset/wds-000000.tar"), store).Exit);
        var before = Payloads(store);
        string bad = MakeBad(kind);
        var (exit, output, err) = CliRunner.Run("import", bad, store, "--batch", "1");
        Assert.True(exit == 1, $"exit {exit}: {output} {err}");
        string line = Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith($"imagestash: error: '{bad}", line);
        Assert.Contains(expected, line);
        var after = Payloads(store);
        foreach (var (id, bytes) in before) Assert.Equal(bytes, after[id]);
    }

    private static Dictionary<long, byte[]> Payloads(string path)
    {
        using var store = LmdbStore.Provider.Open(path, new StoreOptions { Mode = StoreOpenMode.ReadOnly });
        var payloads = new Dictionary<long, byte[]>();
        foreach (long id in store.EnumerateIds())
        {
            store.TryGetHeader(id, out var header);
            var payload = new byte[header.PayloadLength];
            store.Read(id, payload);
            payloads[id] = payload;
        }
        return payloads;
    }

    private string MakeBad(string kind)
    {
        string parquet = _dir.File(kind + ".parquet");
        switch (kind)
        {
            case "parquet-no-image-column":
                HfFixtures.Execute($"COPY (SELECT 1::BIGINT AS label, 'x' AS text) TO {HfFixtures.Q(parquet)} (FORMAT PARQUET)");
                return parquet;
            case "parquet-not-an-image":
                string jpeg = Directory.GetFiles(Path.Combine(TestData.ImageFolder, "camera"), "*.jpg").Order(StringComparer.Ordinal).First();
                HfFixtures.Execute($$"""
                    COPY (SELECT {'bytes': (CASE WHEN i = 1 THEN 'not an image'::BLOB ELSE b.content END), 'path': 'x' || i} AS image, 0::BIGINT AS label
                          FROM range(3) AS r(i), read_blob({{HfFixtures.Q(jpeg)}}) AS b ORDER BY i)
                    TO {{HfFixtures.Q(parquet)}} (FORMAT PARQUET)
                    """);
                return parquet;
            case "parquet-truncated":
                HfFixtures.WriteFolder(TestData.ImageFolder, parquet);
                byte[] all = File.ReadAllBytes(parquet);
                File.WriteAllBytes(parquet, all[..(all.Length / 2)]);
                return parquet;
            case "parquet-label-out-of-range":
                HfFixtures.WriteFolder(TestData.ImageFolder, parquet, labelOverride: 99);
                return parquet;
            case "tar-truncated":
                string tar = _dir.File("cut.tar");
                byte[] whole = File.ReadAllBytes(TestData.Path("webdataset/wds-000001.tar"));
                File.WriteAllBytes(tar, whole[..(whole.Length / 2)]);
                return tar;
            case "tar-member-without-key":
                return TestData.Path("webdataset/bad-no-key.tar");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
