using ImageStash.Codecs;
using ImageStash.Loading;
using ImageStash.Pixels;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Loading;

/// <summary>The loader's photo pipeline: any record, decoded on the loader's threads into a fixed-size crop.</summary>
public sealed class PhotoPipelineTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private IImageStore Store(string kind, string records, string name = "store")
    {
        using var batch = RecordKinds.Make(records);
        var store = StoreKinds.Create(kind, _dir.Path, name);
        store.Put(batch);
        return store;
    }

    private static List<(long[] Ids, byte[] Pixels, int[] Labels)> Epoch(ImageLoader loader) =>
        [.. loader.NextEpoch().Select(b => (b.Ids.ToArray(), b.Pixels.ToArray(), b.Labels.ToArray()))];

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void Photos_of_every_kind_come_out_as_crops_of_one_size_each_exactly_once(string kind)
    {
        using var store = Store(kind, "mixed");
        using var loader = new ImageLoader(store, new LoaderOptions { Size = 32, BatchSize = 5, RandomHorizontalFlip = true, Seed = 4 });
        Assert.Equal(new ImageShape(32, 32, 3), loader.Shape);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var batches = Epoch(loader);
            Assert.Equal(store.EnumerateIds().Order(), batches.SelectMany(b => b.Ids).Order());
            foreach (var (ids, pixels, labels) in batches)
            {
                Assert.Equal(ids.Length * 32 * 32 * 3, pixels.Length);
                for (int i = 0; i < ids.Length; i++)
                {
                    Assert.True(store.TryGetHeader(ids[i], out var header));
                    Assert.Equal(header.Label, labels[i]);
                }
            }
        }
    }

    [Fact]
    public void Bytes_hwc_bytes_chw_and_normalised_floats_hold_the_same_crops()
    {
        using var store = Store("lmdb", "jpeg");
        LoaderOptions Options(LoaderOutput output) => new() { Size = 40, BatchSize = 3, Seed = 7, RandomHorizontalFlip = true, Output = output };
        using var hwc = new ImageLoader(store, Options(LoaderOutput.BytesHwc));
        using var chw = new ImageLoader(store, Options(LoaderOutput.BytesChw));
        using var floats = new ImageLoader(store, Options(LoaderOutput.FloatsChw));
        var a = hwc.NextEpoch().Select(b => b.Pixels.ToArray()).ToList();
        var b = chw.NextEpoch().Select(b => b.Pixels.ToArray()).ToList();
        var f = floats.NextEpoch().Select(b => b.Floats.ToArray()).ToList();
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        const int plane = 40 * 40;
        for (int k = 0; k < a.Count; k++)
            for (int n = 0; n < a[k].Length / (plane * 3); n++)
                for (int p = 0; p < plane; p++)
                    for (int c = 0; c < 3; c++)
                    {
                        byte value = a[k][n * plane * 3 + p * 3 + c];
                        Assert.Equal(value, b[k][n * plane * 3 + c * plane + p]);
                        Assert.Equal((value / 255f - mean[c]) / std[c], f[k][n * plane * 3 + c * plane + p], 4);
                    }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Resuming_mid_epoch_gives_the_same_random_crops_pixel_for_pixel(int stopAfter)
    {
        using var store = Store("hdf5", "jpeg");
        var options = new LoaderOptions { Size = 48, BatchSize = 3, Seed = 5, RandomHorizontalFlip = true };
        using var reference = new ImageLoader(store, options);
        var full = Epoch(reference).Concat(Epoch(reference)).ToList();
        LoaderState saved;
        using (var first = new ImageLoader(store, options))
        {
            int seen = 0;
            foreach (var _ in first.NextEpoch())
                if (++seen > stopAfter) break;
            saved = first.State;
        }
        string json = System.Text.Json.JsonSerializer.Serialize(saved);
        using var resumed = new ImageLoader(store, options, System.Text.Json.JsonSerializer.Deserialize<LoaderState>(json));
        var rest = Epoch(resumed).Concat(Epoch(resumed)).ToList();
        Assert.Equal(full.Count - (stopAfter + 1), rest.Count);
        for (int i = 0; i < rest.Count; i++)
        {
            Assert.Equal(full[stopAfter + 1 + i].Ids, rest[i].Ids);
            Assert.True(full[stopAfter + 1 + i].Pixels.AsSpan().SequenceEqual(rest[i].Pixels), $"batch {i} after resuming differs");
        }
    }

    [Fact]
    public void A_photo_with_an_exif_orientation_is_cropped_upright()
    {
        byte[] file = File.ReadAllBytes(TestData.Path("photo-oddities/exif-orientation-6.jpg"));
        var info = ImageCodecs.Get(ImageEncoding.Jpeg).ReadInfo(file);
        Assert.Equal(ImageOrientation.Rotate90, info.Orientation);
        Assert.Equal(new ImageShape(320, 213, 3), info.Shape); // stored 320 wide, shown 213 wide
        using var store = StoreKinds.Create("lmdb", _dir.Path);
        using (var batch = new ImageBatch())
        {
            batch.Add(new ImageHeader(0, info.Shape, 1) { Encoding = ImageEncoding.Jpeg }, file);
            store.Put(batch);
        }
        // 100 px from a 186 px square: under twice the output, so the loader decodes at full size, as done here by hand.
        using var loader = new ImageLoader(store, new LoaderOptions { Size = 100, Crop = LoaderCrop.Center, Shuffle = false });
        var crop = loader.NextEpoch().Single().Pixels.ToArray();
        // The same crop of the upright image, made by hand: decoded upright, the centre square cut, resized.
        var (shape, upright) = TestImages.Decode(file);
        double side = Math.Min(shape.Width, shape.Height) * 0.875;
        var expected = new byte[100 * 100 * 3];
        new Resampler().Resize(upright, shape.Width, shape.Height, 3, (shape.Width - side) / 2, (shape.Height - side) / 2, side, side, expected, 100, 100);
        Assert.Equal(expected, crop);
    }

    [Fact]
    public void Greyscale_photos_come_out_with_three_equal_channels()
    {
        using var store = StoreKinds.Create("png", _dir.Path);
        using (var batch = new ImageBatch())
        {
            foreach (string file in new[] { "photos/camera/0000018.jpg", "photos/gravel/0000157.jpg" })
            {
                byte[] bytes = File.ReadAllBytes(TestData.Path(file));
                var info = ImageCodecs.Get(ImageEncoding.Jpeg).ReadInfo(bytes);
                Assert.Equal(1, info.Channels);
                batch.Add(new ImageHeader(batch.Count, info.Shape, 0) { Encoding = ImageEncoding.Jpeg }, bytes);
            }
            store.Put(batch);
        }
        using var loader = new ImageLoader(store, new LoaderOptions { Size = 24, BatchSize = 2 });
        var pixels = loader.NextEpoch().Single().Pixels.ToArray();
        for (int p = 0; p < pixels.Length; p += 3)
        {
            Assert.Equal(pixels[p], pixels[p + 1]);
            Assert.Equal(pixels[p], pixels[p + 2]);
        }
        Assert.True(pixels.Distinct().Count() > 20, "the crops are photos, not a flat colour");
    }

    [Fact]
    public void A_damaged_photo_names_store_and_id_or_is_skipped_and_counted()
    {
        using var store = StoreKinds.Create("lmdb", _dir.Path);
        byte[] truncated = File.ReadAllBytes(TestData.Path("photo-oddities/truncated.jpg"));
        using (var batch = RecordKinds.Make("jpeg"))
        {
            // The header reads fine (so import with --check none would take it); the data ends half-way.
            batch.Add(new ImageHeader(100, ImageCodecs.Get(ImageEncoding.Jpeg).ReadInfo(truncated).Shape, 3) { Encoding = ImageEncoding.Jpeg }, truncated);
            store.Put(batch);
        }
        using (var strict = new ImageLoader(store, new LoaderOptions { Size = 16, BatchSize = 4 }))
        {
            var e = Assert.Throws<InvalidDataException>(() => strict.NextEpoch().Sum(b => b.Count));
            Assert.StartsWith($"store '{store.Path}': image 100 is damaged (cannot decode JPEG (Premature end of JPEG file)", e.Message);
        }
        using var lenient = new ImageLoader(store, new LoaderOptions { Size = 16, BatchSize = 4, SkipDamaged = true });
        var batches = lenient.NextEpoch().Select(b => (b.Ids.ToArray(), b.Skipped)).ToList();
        Assert.Equal(store.EnumerateIds().Where(id => id != 100).Order(), batches.SelectMany(b => b.Item1).Order());
        Assert.Equal(1, batches.Sum(b => b.Skipped));
        Assert.Equal([100L], lenient.Skipped);
    }

    [Fact]
    public void Encoded_images_without_an_output_size_are_refused_with_the_option_to_give()
    {
        using var store = Store("lmdb", "jpeg");
        var e = Assert.Throws<ImageStashException>(() => new ImageLoader(store));
        Assert.Equal($"store '{store.Path}' holds encoded images (image 0 is jpeg); give the loader an output size (LoaderOptions.Size, --size 224) to decode and crop them.", e.Message);
    }

}

/// <summary>Counts every thread's allocations: run alone, so no other test's allocations are counted.</summary>
[CollectionDefinition("Alone", DisableParallelization = true)]
public sealed class AloneCollection;

[Collection("Alone")]
public sealed class AllocationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("lmdb")]
    [InlineData("hdf5")]
    public void The_photo_loader_allocates_nothing_per_batch_in_steady_state(string kind) => LoaderSteadyState(_dir, kind);

    internal static void LoaderSteadyState(TempDir dir, string kind)
    {
        using var batch = RecordKinds.Make("jpeg");
        using var store = StoreKinds.Create(kind, dir.Path);
        store.Put(batch);
        using var loader = new ImageLoader(store, new LoaderOptions { Size = 32, BatchSize = 1, Output = LoaderOutput.FloatsChw });
        // Warm: buffers grown to the largest photo, and the code compiled (the runtime's compiler allocates as it goes).
        for (int epoch = 0; epoch < 40; epoch++) foreach (var _ in loader.NextEpoch()) { }
        // The count is the whole process's: other threads (the runtime's timers, an HTTP client's connection pool
        // left by other tests) add to it at random. That noise only adds, so the least of three windows is the
        // loader's own.
        long perBatch = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            int batches = 0;
            for (int epoch = 0; epoch < 10; epoch++) foreach (var _ in loader.NextEpoch()) batches++;
            perBatch = Math.Min(perBatch, (GC.GetTotalAllocatedBytes(precise: true) - before) / batches);
        }
        // What is left is per epoch (the epoch's order, its enumerator), shared out over its batches.
        Assert.True(perBatch < 256, $"{perBatch} bytes allocated per batch");
    }
}
