namespace ImageStash.Tests.Interop;

/// <summary>
/// The Python world reads what we write: examples/python/read_store.py over the <c>imagestash</c> package (python/:
/// py-lmdb, h5py, PIL, numpy only, following docs/formats/) must give exactly our pixels and labels. Needs Debian's python3-lmdb, python3-h5py,
/// python3-numpy and python3-pil, which scripts/deps.sh installs.
/// </summary>
[Trait("Tier", "Full")]
public sealed class PythonInteropTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string ReadStoreScript =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../examples/python/read_store.py"));

    /// <summary>What read_store.py saved: every image's decoded pixels back to back, labels, ids, and per image its pixel offset and the SHA-256 of its stored bytes.</summary>
    private sealed record PythonRead(byte[] Images, long[] Labels, long[] Ids, long[] Offsets, string[] Sha256, string[] Fields)
    {
        public ReadOnlySpan<byte> Image(int i) => Images.AsSpan((int)Offsets[i], (int)(Offsets[i + 1] - Offsets[i]));

        public void Deconstruct(out byte[] images, out long[] labels, out long[] ids) => (images, labels, ids) = (Images, Labels, Ids);
    }

    /// <summary>Runs read_store.py and returns what it saved, flattened by a second tiny numpy call.</summary>
    private PythonRead ReadWithPython(string store)
    {
        string npz = _dir.File("out.npz");
        var (exit, _, err) = ChildProcess.Run(ChildProcess.Python, [ReadStoreScript, store, npz], ChildProcess.WithPackage());
        Assert.True(exit == 0, err);
        string prefix = _dir.File("flat");
        (exit, _, err) = ChildProcess.Run(ChildProcess.Python, ["-c",
            $"import numpy as np; d=np.load('{npz}'); d['pixels'].tofile('{prefix}.images'); d['labels'].astype('<i8').tofile('{prefix}.labels'); " +
            $"d['ids'].astype('<i8').tofile('{prefix}.ids'); d['offsets'].astype('<i8').tofile('{prefix}.offsets'); open('{prefix}.sha', 'w').write('\\n'.join(d['payload_sha256'])); " +
            $"import json; open('{prefix}.fields', 'w', encoding='utf-8').write(json.dumps([str(f) for f in d['fields']]))"]);
        Assert.True(exit == 0, err);
        static long[] Longs(string f) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(f)).ToArray();
        return new PythonRead(File.ReadAllBytes(prefix + ".images"), Longs(prefix + ".labels"), Longs(prefix + ".ids"), Longs(prefix + ".offsets"),
            File.ReadAllText(prefix + ".sha").Split('\n', StringSplitOptions.RemoveEmptyEntries),
            System.Text.Json.JsonSerializer.Deserialize<string[]>(File.ReadAllText(prefix + ".fields"))!);
    }

    [Theory]
    [MemberData(nameof(Stores.RecordKinds.BuiltinStoresAndKinds), MemberType = typeof(Stores.RecordKinds))]
    public void Python_reads_every_layout_and_record_kind_we_write(string kind, string records)
    {
        string path = Stores.StoreKinds.PathFor(kind, _dir.Path);
        using var batch = Stores.RecordKinds.Make(records);
        using (var store = Stores.StoreKinds.Create(kind, _dir.Path)) store.Put(batch);
        var read = ReadWithPython(path);
        Assert.Equal(Enumerable.Range(0, batch.Count).Select(i => batch[i].Id), read.Ids);
        Assert.Equal(Enumerable.Range(0, batch.Count).Select(i => (long)batch[i].Label), read.Labels);
        for (int i = 0; i < batch.Count; i++)
        {
            var header = batch[i];
            // Raw payloads are their pixels; encoded ones keep their bytes exactly, and decode with PIL as with ours.
            string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(batch.GetPayload(i)));
            Assert.Equal(sha, read.Sha256[i]);
            var ours = header.IsRaw ? batch.GetPayload(i).ToArray() : TestImages.Decode(batch.GetPayload(i).ToArray(), header.Shape.Channels).Pixels;
            Assert.True(ours.AsSpan().SequenceEqual(read.Image(i)), $"{kind}/{records}: image {header.Id} ({header.Encoding}, {header.Name}) decodes differently in PIL");
            // Fields: the same JSON object (numbers compared by value: Python reads 1e3 as 1000.0).
            if (header.Fields is null) Assert.Equal("", read.Fields[i]);
            else
            {
                using var theirs = System.Text.Json.JsonDocument.Parse(read.Fields[i]);
                using var mine = System.Text.Json.JsonDocument.Parse(header.Fields.Utf8);
                Assert.True(System.Text.Json.JsonElement.DeepEquals(mine.RootElement, theirs.RootElement), $"{kind}/{records}: fields of {header.Id}: ours {header.Fields}, Python's {read.Fields[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Stores.StoreKinds.All), MemberType = typeof(Stores.StoreKinds))]
    public void Python_reads_our_store_with_the_standard_modules(string kind)
    {
        var records = TestData.CifarRecords().Take(300).ToList();
        string path = Stores.StoreKinds.PathFor(kind, _dir.Path);
        using (var store = Stores.StoreKinds.Create(kind, _dir.Path))
        {
            using var batch = new ImageBatch();
            for (int i = 0; i < records.Count; i++) batch.Add(new ImageHeader(i, new ImageShape(32, 32, 3), records[i].Label, $"r{i}"), records[i].Pixels);
            store.Put(batch);
        }
        var (images, labels, ids) = ReadWithPython(path);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), ids);
        Assert.Equal(records.Select(r => (long)r.Label), labels);
        Assert.Equal(records.SelectMany(r => r.Pixels), images);
    }

    [Fact]
    public void Python_reads_png_encoded_records_of_an_lmdb_store()
    {
        string path = _dir.File("png.lmdb");
        var shape = new ImageShape(10, 12, 4);
        using var raw = TestData.Batch(20, shape);
        using var batch = new ImageBatch();
        for (int i = 0; i < raw.Count; i++) batch.Add(raw[i] with { Encoding = ImageEncoding.Png }, TestImages.Png(raw.GetPixels(i), shape));
        using (var store = ImageStash.Lmdb.LmdbStore.Provider.Open(path, new StoreOptions())) store.Put(batch);
        var (images, _, _) = ReadWithPython(path);
        Assert.Equal(Enumerable.Range(0, 20).SelectMany(i => raw.GetPixels(i).ToArray()), images);
    }

    [Fact]
    public void Mdb_stat_accepts_our_lmdb_file()
    {
        string path = _dir.File("s.lmdb");
        using (var store = ImageStash.Lmdb.LmdbStore.Provider.Open(path, new StoreOptions()))
        {
            using var batch = TestData.Batch(50, new ImageShape(32, 32, 3));
            store.Put(batch);
        }
        var (exit, output, err) = ChildProcess.Run("mdb_stat", ["-a", path]);
        Assert.True(exit == 0, err);
        Assert.Contains("Status of images", output);
        Assert.Contains("Entries: 50", output);
    }
}

/// <summary>h5py, with the Real Python article's own read code, reads our HDF5 files; h5dump accepts them.</summary>
[Trait("Tier", "Full")]
public sealed class Hdf5InteropTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_articles_read_code_gets_our_pixels_and_labels()
    {
        string path = _dir.File("cifar.h5");
        var (exit, _, err) = Cli.CliRunnerProcess.Import(TestData.CifarTarGz, path, "--split", "all");
        Assert.True(exit == 0, err);
        string images = _dir.File("images.bin"), labels = _dir.File("labels.bin");
        // Verbatim from the article's read_many_hdf5, then dumped for comparison.
        string script = string.Join('\n',
            "import h5py, numpy as np",
            $"file = h5py.File('{path}', 'r+')",
            "images = np.array(file[\"/images\"]).astype(\"uint8\")",
            "labels = np.array(file[\"/meta\"]).astype(\"uint8\")",
            $"images.tofile('{images}'); labels.tofile('{labels}')");
        (exit, _, err) = ChildProcess.Run(ChildProcess.Python, ["-c", script]);
        Assert.True(exit == 0, err);
        var records = TestData.CifarRecords();
        Assert.Equal(records.SelectMany(r => r.Pixels), File.ReadAllBytes(images));
        Assert.Equal(records.Select(r => (byte)r.Label), File.ReadAllBytes(labels));
    }

    [Fact]
    public void We_append_to_an_extendible_file_h5py_wrote_and_h5py_reads_the_result()
    {
        // h5py's chunked, extendible datasets allocate chunks as they are written (not at extension, as ours do), so
        // appending takes the store's path through libhdf5 for the pixels.
        string path = _dir.File("theirs.h5"), images = _dir.File("images.bin"), labels = _dir.File("labels.bin");
        var first = TestData.Batch(300, new ImageShape(32, 32, 3), seed: 3);
        File.WriteAllBytes(images, first.Payloads.ToArray());
        File.WriteAllBytes(labels, [.. Enumerable.Range(0, first.Count).Select(i => (byte)first[i].Label)]);
        var (exit, _, err) = ChildProcess.Run(ChildProcess.Python, ["-c", string.Join('\n',
            "import h5py, numpy as np",
            $"images = np.fromfile('{images}', dtype=np.uint8).reshape(-1, 32, 32, 3)",
            $"labels = np.fromfile('{labels}', dtype=np.uint8)",
            $"with h5py.File('{path}', 'w') as f:",
            "    f.create_dataset('images', data=images, maxshape=(None, 32, 32, 3), chunks=(100, 32, 32, 3))",
            "    f.create_dataset('meta', data=labels.astype(np.int32), maxshape=(None,), chunks=(100,))")]);
        Assert.True(exit == 0, err);
        var more = TestData.Batch(250, new ImageShape(32, 32, 3), firstId: 300, seed: 4);
        using (var store = ImageStash.Hdf5.Hdf5Store.Provider.Open(path, new StoreOptions()))
            store.Put(more);
        using (var store = ImageStash.Hdf5.Hdf5Store.Provider.Open(path, new StoreOptions { Mode = StoreOpenMode.ReadOnly }))
        {
            Assert.Equal(550, store.Count);
            var pixels = new byte[550 * 3072];
            store.ReadMany([.. Enumerable.Range(0, 550).Select(i => (long)i)], pixels, new int[550]);
            Assert.Equal(first.Payloads.ToArray().Concat(more.Payloads.ToArray()), pixels);
        }
        (exit, var output, err) = ChildProcess.Run(ChildProcess.Python, ["-c", string.Join('\n',
            "import h5py, numpy as np",
            $"f = h5py.File('{path}', 'r')",
            "images = np.array(f['/images']).astype('uint8'); labels = np.array(f['/meta']).astype('uint8')",
            $"images.tofile('{images}'); print(images.shape[0], labels.shape[0])")]);
        Assert.True(exit == 0, err);
        Assert.Equal("550 550", output.Trim());
        Assert.Equal(first.Payloads.ToArray().Concat(more.Payloads.ToArray()), File.ReadAllBytes(images));
        first.Dispose();
        more.Dispose();
    }

    [Fact]
    public void H5dump_accepts_our_file()
    {
        string path = _dir.File("s.h5");
        using (var store = ImageStash.Hdf5.Hdf5Store.Provider.Open(path, new StoreOptions()))
        {
            using var batch = TestData.Batch(40, new ImageShape(32, 32, 3));
            store.Put(batch);
            store.SetClassNames(["a", "b"]);
        }
        var (exit, output, err) = ChildProcess.Run("h5dump", ["-H", path]);
        Assert.True(exit == 0, err);
        Assert.Contains("DATASET \"images\"", output);
        Assert.Contains("( 40, 32, 32, 3 ) / ( H5S_UNLIMITED, 32, 32, 3 )", output);
        Assert.Contains("DATASET \"meta\"", output);
    }
}
