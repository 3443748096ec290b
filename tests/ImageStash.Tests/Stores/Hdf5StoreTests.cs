using ImageStash.Hdf5;

namespace ImageStash.Tests.Stores;

public sealed class Hdf5StoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_h5py_written_article_file_reads_as_the_first_100_cifar_records()
    {
        var records = TestData.CifarRecords();
        using var store = Hdf5Store.Provider.Open(TestData.ArticleH5, new StoreOptions { Mode = StoreOpenMode.ReadOnly });
        Assert.Equal(100, store.Count);
        Assert.Equal(new ImageShape(32, 32, 3), store.FixedShape);
        Assert.True(((Hdf5Store)store).DirectReads, "h5py's contiguous /images should be read straight from the file");
        var pixels = new byte[100 * 3072];
        var labels = new int[100];
        store.ReadMany([.. store.EnumerateIds()], pixels, labels);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(records[i].Label, labels[i]);
            Assert.True(records[i].Pixels.AsSpan().SequenceEqual(pixels.AsSpan(i * 3072, 3072)), $"image {i}");
        }
        var one = new byte[3072];
        Assert.Equal(records[57].Label, store.Read(57, one).Label);
        Assert.Equal(records[57].Pixels, one);
    }

    [Fact]
    public void The_article_file_cannot_grow_and_says_what_to_do_instead()
    {
        string copy = _dir.File("article.h5");
        File.Copy(TestData.ArticleH5, copy);
        using var store = Hdf5Store.Provider.Open(copy, new StoreOptions());
        using var batch = TestData.Batch(2, new ImageShape(32, 32, 3), firstId: 100);
        var e = Assert.Throws<ImageStashException>(() => store.Put(batch));
        Assert.Equal($"store '{copy}': /images was written with a fixed size (100 images, as h5py does by default), so it cannot grow; copy it into an appendable store with 'imagestash convert {copy} NEW.h5' and append there.", e.Message);
        Assert.Equal(100, store.Count);
    }

    [Fact]
    public void Our_chunked_file_is_read_straight_from_the_file_after_each_append()
    {
        string path = _dir.File("s.h5");
        var shape = new ImageShape(20, 20, 3); // 1200 bytes: 873 rows a chunk
        var all = new List<byte[]>();
        using (var store = Hdf5Store.Provider.Open(path, new StoreOptions()))
            for (int b = 0; b < 5; b++)
            {
                using var batch = TestData.Batch(700, shape, firstId: b * 700, seed: b);
                store.Put(batch);
                all.AddRange(Enumerable.Range(0, 700).Select(i => batch.GetPixels(i).ToArray()));
                Assert.True(((Hdf5Store)store).DirectReads);
                var buffer = new byte[shape.ByteCount];
                store.Read(b * 700 + 699, buffer);
                Assert.Equal(all[^1], buffer);
            }
        using var reopened = StoreKinds.Registry.OpenRead(path);
        var pixels = new byte[3500 * shape.ByteCount];
        reopened.ReadMany([.. Enumerable.Range(0, 3500).Select(i => (long)i)], pixels, new int[3500]);
        for (int i = 0; i < 3500; i += 97)
            Assert.True(all[i].AsSpan().SequenceEqual(pixels.AsSpan(i * shape.Length, shape.Length)), $"row {i}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void A_small_store_takes_about_its_pixels_on_disk_not_a_whole_reserved_chunk(int images)
    {
        // /images chunks are 256 images (768 KiB), allocated early; space reserved inside the file stays allocated,
        // which once made even a one-image store take 800 KB.
        string path = _dir.File("small.h5");
        using (var store = Hdf5Store.Provider.Open(path, new StoreOptions { Mode = StoreOpenMode.CreateNew }))
        using (var batch = TestData.Batch(images, new ImageShape(32, 32, 3)))
            store.Put(batch);
        long allocated = ImageStash.Internal.FileUtil.DiskUsage(path).Allocated;
        Assert.True(allocated < images * 3072L + 128 * 1024, $"{images} image(s) take {allocated:N0} bytes on disk");
    }

    [Fact]
    public void A_corrupted_pixel_is_caught_by_the_crc_dataset()
    {
        string path = _dir.File("s.h5");
        var shape = new ImageShape(16, 16, 3);
        using var batch = TestData.Batch(30, shape, seed: 4);
        using (var store = Hdf5Store.Provider.Open(path, new StoreOptions())) store.Put(batch);
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(batch.GetPixels(21)[..64]);
        Assert.True(at > 0);
        bytes[at + 3] ^= 0x55;
        File.WriteAllBytes(path, bytes);
        using var reopened = StoreKinds.Registry.OpenRead(path);
        var e = Assert.Throws<InvalidDataException>(() => reopened.Read(21, new byte[shape.ByteCount]));
        Assert.StartsWith($"store '{path}': image 21 is damaged (pixel CRC32 is ", e.Message);
    }

    [Trait("Tier", "Full")]
    [Fact]
    public void A_second_writer_process_is_refused_while_a_reader_process_can_read()
    {
        string path = _dir.File("s.h5");
        using var store = Hdf5Store.Provider.Open(path, new StoreOptions());
        using var batch = TestData.Batch(10, new ImageShape(8, 8, 3));
        store.Put(batch);
        var (exit, _, err) = ChildProcess.Cli(null, "import", "synthetic:3:8x8", path);
        Assert.Equal(1, exit);
        Assert.Contains("is being written by another process", err);
        (exit, var output, err) = ChildProcess.Cli(null, "info", path);
        Assert.True(exit == 0, err);
        Assert.Contains("images:   10", output);
    }
}
