using ImageStash.Lmdb;

namespace ImageStash.Tests.Stores;

public sealed class LmdbStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string StorePath => _dir.File("s.lmdb");

    [Fact]
    public void The_map_grows_from_its_small_start_without_losing_committed_data()
    {
        var shape = new ImageShape(64, 64, 3); // 12 KiB each
        using var store = LmdbStore.Provider.Open(StorePath, new StoreOptions());
        long start = ((LmdbStore)store).MapSize;
        Assert.Equal(LmdbStore.InitialMapSize, start);
        var kept = new List<byte[]>();
        for (int b = 0; b < 8; b++)
        {
            using var batch = TestData.Batch(400, shape, firstId: b * 400, seed: b); // ~4.7 MiB a batch
            store.Put(batch);
            kept.Add(batch.GetPixels(399).ToArray());
        }
        Assert.Equal(3200, store.Count);
        Assert.True(((LmdbStore)store).MapSize > start, "the map should have grown");
        var buffer = new byte[shape.ByteCount];
        for (int b = 0; b < 8; b++)
        {
            store.Read(b * 400 + 399, buffer);
            Assert.Equal(kept[b], buffer);
        }
        // The file holds the data, not the map: 3200 × 12 KiB of pixels ≈ 38 MiB.
        long file = new FileInfo(Path.Combine(StorePath, "data.mdb")).Length;
        Assert.InRange(file, 3200L * shape.ByteCount, 3200L * shape.ByteCount * 3 / 2);
    }

    [Fact]
    public void One_batch_bigger_than_the_whole_initial_map_still_goes_in()
    {
        var shape = new ImageShape(128, 128, 4); // 64 KiB each; 600 of them = 37.5 MiB > 16 MiB
        using var store = LmdbStore.Provider.Open(StorePath, new StoreOptions());
        using var batch = TestData.Batch(600, shape);
        store.Put(batch);
        Assert.Equal(600, store.Count);
    }

    [Fact]
    public void Png_encoded_records_keep_their_bytes_and_are_smaller_on_disk()
    {
        using var rawSource = new ImageStash.Sources.CifarBinarySource(TestData.CifarTarGz, new ImageStash.Sources.SourceOptions { Limit = 300 });
        using var pngSource = new ImageStash.Sources.CifarBinarySource(TestData.CifarTarGz, new ImageStash.Sources.SourceOptions { Limit = 300, Encode = ImageStash.Sources.EncodeAs.Png });
        var images = TestData.Collect(rawSource);
        var pngs = TestData.Collect(pngSource);
        using var raw = LmdbStore.Provider.Open(_dir.File("raw.lmdb"), new StoreOptions());
        using var png = LmdbStore.Provider.Open(_dir.File("png.lmdb"), new StoreOptions());
        using (var batch = new ImageBatch()) { foreach (var (h, p) in images) batch.Add(h, p); raw.Put(batch); }
        using (var batch = new ImageBatch()) { foreach (var (h, p) in pngs) batch.Add(h, p); png.Put(batch); }
        for (int i = 0; i < 300; i++)
        {
            Assert.True(png.TryGetHeader(i, out var header));
            Assert.Equal(ImageEncoding.Png, header.Encoding);
            var bytes = new byte[header.PayloadLength];
            png.Read(i, bytes);
            Assert.Equal(pngs[i].Pixels, bytes);
            Assert.Equal(images[i].Pixels, TestImages.Decode(bytes).Pixels);
        }
        Assert.True(DiskUsage.Of(png.Path).Apparent < DiskUsage.Of(raw.Path).Apparent);
    }

    [Fact]
    public void A_corrupted_pixel_byte_is_caught_by_the_crc_and_names_the_id()
    {
        var shape = new ImageShape(16, 16, 3);
        using var batch = TestData.Batch(20, shape, seed: 9);
        using (var store = LmdbStore.Provider.Open(StorePath, new StoreOptions())) store.Put(batch);
        string data = Path.Combine(StorePath, "data.mdb");
        byte[] bytes = File.ReadAllBytes(data);
        int at = bytes.AsSpan().IndexOf(batch.GetPixels(13)[..64]);
        Assert.True(at > 0, "image 13's pixels should be in data.mdb as they are");
        bytes[at + 10] ^= 0xFF;
        File.WriteAllBytes(data, bytes);

        using var reopened = StoreKinds.Registry.OpenRead(StorePath);
        var e = Assert.Throws<InvalidDataException>(() => reopened.Read(13, new byte[shape.ByteCount]));
        Assert.StartsWith($"store '{StorePath}': image 13 is damaged (pixel CRC32 is ", e.Message);
        Assert.EndsWith($"run 'imagestash verify {StorePath}'.", e.Message);
        reopened.Read(12, new byte[shape.ByteCount]);
    }

    [Trait("Tier", "Full")]
    [Fact]
    public void A_second_writer_process_gets_a_clear_error_not_a_hang()
    {
        using var store = LmdbStore.Provider.Open(StorePath, new StoreOptions());
        using var batch = TestData.Batch(5, new ImageShape(8, 8, 3));
        store.Put(batch);
        var (exit, _, err) = ChildProcess.Cli(null, "import", "synthetic:3", StorePath);
        Assert.Equal(1, exit);
        Assert.Equal($"imagestash: error: store '{StorePath}' is being written by another process; wait for it to finish or write to another store.", err.Trim());
        Assert.Equal(5, store.Count);
    }

    [Trait("Tier", "Full")]
    [Fact]
    public void A_reader_process_sees_committed_batches_while_a_writer_appends()
    {
        using var store = LmdbStore.Provider.Open(StorePath, new StoreOptions());
        var shape = new ImageShape(32, 32, 3);
        using (var first = TestData.Batch(100, shape)) store.Put(first);
        for (int round = 1; round <= 3; round++)
        {
            var (exit, output, err) = ChildProcess.Cli(null, "info", StorePath);
            Assert.True(exit == 0, err);
            Assert.Contains($"images:   {round * 100}", output);
            using var more = TestData.Batch(100, shape, firstId: round * 100, seed: round);
            store.Put(more);
        }
    }

    [Trait("Tier", "Full")]
    [Fact]
    public void A_missing_native_library_names_the_package_to_install()
    {
        var env = new Dictionary<string, string> { ["IMAGESTASH_LMDB_LIBRARY"] = "/nonexistent/liblmdb.so.0" };
        var (exit, _, err) = ChildProcess.Cli(env, "import", "synthetic:3", StorePath);
        Assert.Equal(1, exit);
        Assert.Equal("imagestash: error: the native library '/nonexistent/liblmdb.so.0' (from IMAGESTASH_LMDB_LIBRARY) was not found; install it (Debian/Ubuntu: apt-get install liblmdb0).", err.Trim());
    }

    [Fact]
    public void A_folder_that_is_not_an_lmdb_store_is_refused()
    {
        Directory.CreateDirectory(StorePath);
        File.WriteAllText(Path.Combine(StorePath, "notes.txt"), "hello");
        var e = Assert.Throws<ImageStashException>(() => LmdbStore.Provider.Open(StorePath, new StoreOptions()));
        Assert.Contains("is not a LMDB (the folder is not empty and has no data.mdb) store", e.Message);
    }

    [Fact]
    public void A_store_that_fails_to_open_leaves_nothing_for_the_finalizer_to_crash_on()
    {
        using (var store = LmdbStore.Provider.Open(StorePath, new StoreOptions()))
        {
            using var batch = TestData.Batch(3, new ImageShape(4, 4, 3));
            store.Put(batch);
        }
        string data = Path.Combine(StorePath, "data.mdb");
        byte[] bytes = File.ReadAllBytes(data);
        int at = bytes.AsSpan().IndexOf("imagestash-lmdb"u8);
        Assert.True(at > 0);
        "imagestash-xxxx"u8.CopyTo(bytes.AsSpan(at));
        File.WriteAllBytes(data, bytes);
        for (int i = 0; i < 5; i++)
            Assert.Throws<ImageStashException>(() => StoreKinds.Registry.OpenRead(StorePath));
        // LightningDB's finalizer throws for an environment never disposed, which would end this process.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
