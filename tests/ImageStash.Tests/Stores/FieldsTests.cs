using System.Text;
using ImageStash.Shards;
using ImageStash.Tests.Cli;
using ImageStash.Tests.Shards;
using ImageStash.Tools;

namespace ImageStash.Tests.Stores;

/// <summary>Fields per record: kept by every store across appends and overwrites, versioned on disk, exported where Hugging Face looks.</summary>
public sealed class FieldsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ImageBatch Raw(long first, int count, Func<long, RecordFields?> fields, string prefix = "r", ImageShape? shapeOf = null)
    {
        var batch = new ImageBatch();
        var shape = shapeOf ?? new ImageShape(4, 3, 3);
        for (long id = first; id < first + count; id++)
            batch.AddUninitialized(new ImageHeader(id, shape, (int)(id % 4), $"{prefix}-{id}") { Fields = fields(id) }).Fill((byte)id);
        return batch;
    }

    private static RecordFields Caption(long id) => RecordFields.Parse($$"""{"text":"caption {{id}}","n":{{id}}}""");

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Fields_arrive_after_records_without_and_overwrites_replace_or_drop_them(string kind)
    {
        string path = StoreKinds.PathFor(kind, _dir.Path);
        using (var store = StoreKinds.Create(kind, _dir.Path))
        {
            using (var plain = Raw(0, 5, _ => null)) store.Put(plain);
            using (var with = Raw(5, 5, Caption)) store.Put(with);
            using (var plainAgain = Raw(10, 3, _ => null)) store.Put(plainAgain);
        }
        using (var store = StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open }))
        {
            // id 1 gains fields, id 6 loses them.
            using var replace = new ImageBatch();
            var shape = new ImageShape(4, 3, 3);
            replace.AddUninitialized(new ImageHeader(1, shape, 1, "r-1") { Fields = Caption(101) }).Fill(1);
            replace.AddUninitialized(new ImageHeader(6, shape, 2, "r-6")).Fill(6);
            store.Put(replace, overwrite: true);
        }
        using var reader = StoreKinds.Registry.OpenRead(path);
        for (long id = 0; id < 13; id++)
        {
            Assert.True(reader.TryGetHeader(id, out var header));
            var expected = id == 1 ? Caption(101) : id is >= 5 and < 10 and not 6 ? Caption(id) : null;
            Assert.Equal(expected, header.Fields);
            Assert.Equal(expected, reader.Read(id, new byte[header.PayloadLength]).Fields);
            Assert.True(reader.TryReadPayload(id, new byte[header.PayloadLength], out var bare));
            Assert.Null(bare.Fields);
        }
    }

    [Fact]
    public void Lmdb_records_without_fields_stay_version_2_and_a_newer_record_is_refused_in_one_line()
    {
        string path = _dir.File("v.lmdb");
        using (var store = StoreKinds.Registry.Open(path, new StoreOptions()))
        {
            using var batch = new ImageBatch();
            var shape = new ImageShape(2, 2, 1);
            batch.Add(new ImageHeader(0, shape, 0, "needle-plain"), new byte[4]);
            batch.Add(new ImageHeader(1, shape, 0, "needle-field") { Fields = Caption(1) }, new byte[4]);
            store.Put(batch);
        }
        string data = Path.Combine(path, "data.mdb");
        byte[] bytes = File.ReadAllBytes(data);
        int plain = bytes.AsSpan().IndexOf("needle-plain"u8), field = bytes.AsSpan().IndexOf("needle-field"u8);
        Assert.Equal(2, bytes[plain - 24]); // byte for byte as before fields: older readers read it
        Assert.Equal(3, bytes[field - 24]);
        bytes[plain - 24] = 4;
        File.WriteAllBytes(data, bytes);
        using var reader = StoreKinds.Registry.OpenRead(path);
        var e = Assert.Throws<ImageStashException>(() => reader.TryGetHeader(0, out _));
        Assert.Equal(ImageStashError.NewerLayout, e.Error);
        Assert.Equal($"store '{path}' has LMDB layout version 4, newer than this ImageStash reads (up to 3); upgrade ImageStash to read it.", e.Message);
        Assert.True(reader.TryGetHeader(1, out var h) && h.Fields == Caption(1));
    }

    [Fact]
    public void A_folder_store_from_before_fields_reads_and_its_first_writer_upgrades_it()
    {
        string path = _dir.File("old");
        using (var store = StoreKinds.Create("png", _dir.Path, "old"))
        using (var batch = Raw(0, 3, _ => null)) store.Put(batch);
        // Make it what the code before fields wrote: version 2, no fields column.
        string labels = Path.Combine(path, "labels.csv"), marker = Path.Combine(path, "imagestash.json");
        File.WriteAllText(labels, string.Concat(File.ReadAllLines(labels).Select(l => (l.EndsWith(",fields", StringComparison.Ordinal) ? l[..^7] : l[..^1]) + "\n")));
        File.WriteAllText(marker, File.ReadAllText(marker).Replace("\"version\": 3", "\"version\": 2"));
        Assert.StartsWith("id,label,name,height,width,channels,encoding,length,crc32\n", File.ReadAllText(labels));
        using (var reader = StoreKinds.Registry.OpenRead(path))
        {
            Assert.Equal(3, reader.Count);
            Assert.True(reader.TryGetHeader(2, out var h) && h.Fields is null && h.Name == "r-2");
        }
        using (var writer = StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open }))
        using (var batch = Raw(3, 2, Caption)) writer.Put(batch);
        Assert.StartsWith("id,label,name,height,width,channels,encoding,length,crc32,fields\n", File.ReadAllText(labels));
        Assert.Contains("\"version\": 3", File.ReadAllText(marker));
        using (var reader = StoreKinds.Registry.OpenRead(path))
        {
            Assert.Equal(5, reader.Count);
            Assert.True(reader.TryGetHeader(4, out var h) && h.Fields == Caption(4));
            Assert.True(reader.TryGetHeader(0, out h) && h.Fields is null);
        }
        File.WriteAllText(marker, File.ReadAllText(marker).Replace("\"version\": 3", "\"version\": 4"));
        var e = Assert.Throws<ImageStashException>(() => StoreKinds.Registry.OpenRead(path));
        Assert.Equal(ImageStashError.NewerLayout, e.Error);
        Assert.Contains("has PNG folder layout version 4, newer than this ImageStash reads (up to 3)", e.Message);
    }

    [Fact]
    public void A_shard_set_is_version_2_only_when_a_sample_has_fields_and_keeps_them()
    {
        using var plain = StoreKinds.Create("lmdb", _dir.Path, "plain");
        using (var batch = Raw(0, 10, _ => null)) plain.Put(batch);
        ShardWriter.Write(plain, _dir.File("plain-set"), ShardTestData.Small());
        using (var set = new ShardSetStore(_dir.File("plain-set"))) Assert.Equal(1, set.Index.Version);

        using var with = StoreKinds.Create("lmdb", _dir.Path, "with");
        using (var batch = Raw(0, 10, id => id % 2 == 0 ? Caption(id) : null)) with.Put(batch);
        ShardWriter.Write(with, _dir.File("with-set"), ShardTestData.Small());
        using var shards = new ShardSetStore(_dir.File("with-set"));
        Assert.Equal(2, shards.Index.Version);
        Assert.Null(StoreConverter.FindDifference(with, shards));
        Assert.True(shards.TryGetHeader(4, out var h) && h.Fields == Caption(4));
        // The index counts the field names, so `info` summarises them without reading a shard.
        Assert.Equal([new("text", 5), new("n", 5)], shards.Index.FieldCounts);
        var (exit, output, err) = CliRunner.Run("info", _dir.File("with-set"));
        Assert.True(exit == 0, err);
        Assert.Contains("fields:   text (5), n (5)", output);
        (exit, output, _) = CliRunner.Run("info", _dir.File("plain-set"));
        Assert.Contains("fields:   (none)", output);
    }

    [Fact]
    public void Export_writes_metadata_jsonl_and_importing_the_folder_reads_it_back()
    {
        using (var store = StoreKinds.Create("lmdb", _dir.Path, "src"))
        {
            using var batch = RecordKinds.Make("mixed");
            store.Put(batch);
            store.SetClassNames(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        }
        string src = StoreKinds.PathFor("lmdb", _dir.Path, "src"), export = _dir.File("out");
        var (exit, _, err) = CliRunner.Run("export", src, export);
        Assert.True(exit == 0, err);
        string[] lines = File.ReadAllLines(Path.Combine(export, "metadata.jsonl"));
        using var source = StoreKinds.Registry.OpenRead(src);
        Assert.Equal(source.Count, lines.Length);
        Assert.False(File.Exists(Path.Combine(export, "metadata.jsonl.partial")));
        Assert.True(source.TryGetHeader(0, out var first));
        Assert.Equal($$"""{"file_name":"{{source.ClassNames[first.Label]}}/0{{StoreExporter.FileExtension(first)}}","label":{{first.Label}},"""
            + first.Fields!.Json[1..], lines[0]);

        string back = StoreKinds.PathFor("hdf5", _dir.Path, "back");
        (exit, _, err) = CliRunner.Run("import", export, back);
        Assert.True(exit == 0, err);
        using var imported = StoreKinds.Registry.OpenRead(back);
        Assert.Equal(source.Count, imported.Count);
        var byName = imported.EnumerateIds().Select(id => imported.TryGetHeader(id, out var h) ? h : default).ToDictionary(h => h.Name!);
        foreach (long id in source.EnumerateIds())
        {
            Assert.True(source.TryGetHeader(id, out var h));
            var again = byName[$"{source.ClassNames[h.Label]}/{id}{StoreExporter.FileExtension(h)}"];
            Assert.Equal(h.Label, again.Label);
            Assert.Equal(h.Fields, again.Fields);
        }
    }

    [Fact]
    public void A_flat_hugging_face_image_folder_with_metadata_imports_with_its_captions()
    {
        string folder = _dir.File("hf");
        Directory.CreateDirectory(folder);
        var photos = Directory.GetFiles(TestData.Path("photos"), "*.jpg", SearchOption.AllDirectories).Order().Take(2).ToArray();
        File.Copy(photos[0], Path.Combine(folder, "0001.jpg"));
        File.Copy(photos[1], Path.Combine(folder, "0002.jpg"));
        File.WriteAllText(Path.Combine(folder, "metadata.jsonl"),
            "{\"file_name\": \"0001.jpg\", \"text\": \"a dog on a beach\"}\n{\"file_name\": \"0002.jpg\", \"label\": 3, \"text\": \"a cat\", \"tags\": [\"pet\"]}\n");
        string store = _dir.File("hf.lmdb");
        var (exit, _, err) = CliRunner.Run("import", folder, store);
        Assert.True(exit == 0, err);
        using var reader = StoreKinds.Registry.OpenRead(store);
        Assert.True(reader.TryGetHeader(0, out var a));
        Assert.Equal(("0001.jpg", 0, """{"text":"a dog on a beach"}"""), (a.Name, a.Label, a.Fields?.Json));
        Assert.True(reader.TryGetHeader(1, out var b));
        Assert.Equal(("0002.jpg", 3, """{"text":"a cat","tags":["pet"]}"""), (b.Name, b.Label, b.Fields?.Json));

        (exit, string output, _) = CliRunner.Run("info", store);
        Assert.Equal(0, exit);
        Assert.Contains("fields:   text (2), tags (1)", output);
        (exit, output, _) = CliRunner.Run("get", store, "1", "-o", _dir.File("one.jpg"));
        Assert.Equal(0, exit);
        Assert.Contains("""fields: {"text":"a cat","tags":["pet"]}""", output);
    }

    [Fact]
    public void A_bad_metadata_line_is_one_line_naming_the_file_and_line()
    {
        string folder = _dir.File("bad");
        Directory.CreateDirectory(Path.Combine(folder, "cat"));
        File.Copy(Directory.GetFiles(TestData.Path("photos"), "*.jpg", SearchOption.AllDirectories).Order().First(), Path.Combine(folder, "cat", "1.jpg"));
        File.WriteAllText(Path.Combine(folder, "metadata.jsonl"), "{\"file_name\": \"cat/1.jpg\", \"text\": \"ok\"}\n[1, 2]\n");
        var (exit, _, err) = CliRunner.Run("import", folder, _dir.File("bad.lmdb"));
        Assert.Equal(1, exit);
        Assert.Contains("metadata.jsonl': line 2 has no \"file_name\" string", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    private static void CopyTree(string from, string to)
    {
        if (File.Exists(from))
        {
            File.Copy(from, to);
            return;
        }
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>
    /// Stores the code before fields wrote (TestData/before-fields: the CLI at main before step 2, `imagestash import
    /// synthetic:12:8x6` into each kind, batches of 5) read as they are, and take records with fields after them.
    /// </summary>
    [Theory]
    [InlineData("old.lmdb")]
    [InlineData("old.h5")]
    [InlineData("old-folder")]
    public void A_store_written_before_fields_reads_and_takes_records_with_fields(string name)
    {
        string path = _dir.File(name);
        CopyTree(TestData.Path(Path.Combine("before-fields", name)), path);
        var shape = new ImageShape(6, 8, 3);
        var before = new Dictionary<long, byte[]>();
        using (var reader = StoreKinds.Registry.OpenRead(path))
        {
            Assert.Equal(12, reader.Count);
            foreach (long id in reader.EnumerateIds())
            {
                Assert.True(reader.TryGetHeader(id, out var h));
                Assert.Null(h.Fields);
                Assert.Equal(shape, h.Shape);
                before[id] = new byte[h.PayloadLength];
                reader.Read(id, before[id]);
            }
        }
        using (var writer = StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open }))
        using (var batch = Raw(12, 4, id => id == 13 ? null : Caption(id), shapeOf: shape))
            writer.Put(batch);
        using var again = StoreKinds.Registry.OpenRead(path);
        Assert.Equal(16, again.Count);
        foreach (long id in again.EnumerateIds())
        {
            Assert.True(again.TryGetHeader(id, out var h));
            Assert.Equal(id < 12 || id == 13 ? null : Caption(id), h.Fields);
            if (id >= 12) continue;
            var pixels = new byte[h.PayloadLength];
            again.Read(id, pixels);
            Assert.Equal(before[id], pixels);
        }
    }

    [Fact]
    public void A_shard_set_written_before_fields_reads_and_its_loader_hands_out_no_fields()
    {
        using var set = new ShardSetStore(TestData.Path(Path.Combine("before-fields", "old-shards")));
        Assert.Equal(1, set.Index.Version);
        Assert.Empty(set.Index.FieldCounts);
        using var loader = new ImageStash.Loading.ImageLoader(set, new ImageStash.Loading.LoaderOptions { BatchSize = 5, WithFields = true, Workers = 0 });
        int seen = 0;
        foreach (var batch in loader.NextEpoch())
        {
            foreach (var fields in batch.Fields) Assert.Null(fields);
            seen += batch.Count;
        }
        Assert.Equal(12, seen);
    }
}
