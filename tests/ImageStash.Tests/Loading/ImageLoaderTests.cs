using ImageStash.Loading;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Loading;

public sealed class ImageLoaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A store of <paramref name="count"/> 8×8 RGB images whose first pixel byte encodes (id mod 256).</summary>
    private IImageStore Store(string kind, int count, int firstId = 0)
    {
        var store = StoreKinds.Create(kind, _dir.Path, $"{kind}-{count}");
        using var batch = new ImageBatch();
        var shape = new ImageShape(8, 8, 3);
        for (int i = 0; i < count; i++)
        {
            var pixels = batch.AddUninitialized(new ImageHeader(firstId + i, shape, i % 10));
            for (int p = 0; p < pixels.Length; p++) pixels[p] = (byte)(i * 7 + p);
        }
        store.Put(batch);
        return store;
    }

    private static List<(long[] Ids, byte[] Pixels, int[] Labels)> Epoch(ImageLoader loader) =>
        [.. loader.NextEpoch().Select(b => (b.Ids.ToArray(), b.Pixels.ToArray(), b.Labels.ToArray()))];

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void Every_id_comes_exactly_once_per_epoch_with_its_own_pixels(string kind)
    {
        using var store = Store(kind, 300, firstId: 1000);
        using var loader = new ImageLoader(store, new LoaderOptions { BatchSize = 64, Seed = 3 });
        var batches = Epoch(loader);
        Assert.Equal(5, batches.Count);
        Assert.Equal([64, 64, 64, 64, 44], batches.Select(b => b.Ids.Length));
        var ids = batches.SelectMany(b => b.Ids).ToList();
        Assert.Equal(Enumerable.Range(1000, 300).Select(i => (long)i), ids.Order());
        foreach (var (batchIds, pixels, labels) in batches)
            for (int i = 0; i < batchIds.Length; i++)
            {
                int index = (int)batchIds[i] - 1000;
                Assert.Equal((byte)(index * 7), pixels[i * 192]);
                Assert.Equal(index % 10, labels[i]);
            }
        Assert.Equal(new LoaderState(1, 0, 3, BatchSize: 64, WorldSize: 1), loader.State);
    }

    [Fact]
    public void Drop_last_drops_the_partial_batch()
    {
        using var store = Store("lmdb", 300);
        using var loader = new ImageLoader(store, new LoaderOptions { BatchSize = 64, DropLast = true });
        var batches = Epoch(loader);
        Assert.Equal(4, batches.Count);
        Assert.Equal(256, batches.SelectMany(b => b.Ids).Distinct().Count());
    }

    public static TheoryData<string, int, bool> RankCases => new()
    {
        { "lmdb", 2, false }, { "lmdb", 3, false }, { "lmdb", 4, false }, { "lmdb", 3, true }, { "lmdb", 4, true },
        { "tarset", 3, false }, { "tarset", 4, true },
    };

    [Theory]
    [MemberData(nameof(RankCases))]
    public void Ranks_get_disjoint_equal_shards_that_cover_the_epoch(string kind, int worldSize, bool dropLast)
    {
        const int n = 1003;
        using var store = Store(kind, n);
        var shards = Enumerable.Range(0, worldSize).Select(rank =>
        {
            using var loader = new ImageLoader(store, new LoaderOptions { BatchSize = 50, Rank = rank, WorldSize = worldSize, DropLast = dropLast, Seed = 9 });
            return Epoch(loader).SelectMany(b => b.Ids).ToList();
        }).ToList();
        Assert.Single(shards.Select(s => s.Count).Distinct());
        var all = shards.SelectMany(s => s).ToList();
        if (dropLast)
        {
            Assert.Equal(all.Count, all.Distinct().Count()); // disjoint
            Assert.True(all.Count > n - worldSize * 50 - worldSize, "only the remainder is dropped");
        }
        else
        {
            Assert.Equal(n, all.Distinct().Count()); // every id is in some shard
            Assert.Equal(shards[0].Count * worldSize - n, all.Count - n); // the padding, and nothing else, repeats
            Assert.Equal((n + worldSize - 1) / worldSize, shards[0].Count);
        }
    }

    [Fact]
    public void Same_seed_same_order_new_epoch_new_order_no_shuffle_id_order()
    {
        using var store = Store("hdf5", 200);
        using var a = new ImageLoader(store, new LoaderOptions { Seed = 5 });
        using var b = new ImageLoader(store, new LoaderOptions { Seed = 5 });
        using var c = new ImageLoader(store, new LoaderOptions { Seed = 6 });
        Assert.Equal(a.EpochOrder(0), b.EpochOrder(0));
        Assert.NotEqual(a.EpochOrder(0), a.EpochOrder(1));
        Assert.NotEqual(a.EpochOrder(0), c.EpochOrder(0));
        using var ordered = new ImageLoader(store, new LoaderOptions { Shuffle = false });
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), ordered.EpochOrder(0));
    }

    [Theory]
    [InlineData("lmdb", 0)]
    [InlineData("lmdb", 3)]
    [InlineData("lmdb", 7)]
    [InlineData("tarset", 0)]
    [InlineData("tarset", 7)]
    public void Resuming_from_a_saved_state_continues_exactly(string kind, int stopAfter)
    {
        using var store = Store(kind, 500);
        var options = new LoaderOptions { BatchSize = 32, Seed = 11, RandomCropPadding = 4, RandomHorizontalFlip = true };
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
        Assert.Equal(new LoaderState(0, stopAfter + 1, 11, BatchSize: 32, WorldSize: 1), saved);
        string json = System.Text.Json.JsonSerializer.Serialize(saved);
        using var resumed = new ImageLoader(store, options, System.Text.Json.JsonSerializer.Deserialize<LoaderState>(json));
        var rest = Epoch(resumed).Concat(Epoch(resumed)).ToList();
        Assert.Equal(full.Count - (stopAfter + 1), rest.Count);
        for (int i = 0; i < rest.Count; i++)
        {
            Assert.Equal(full[stopAfter + 1 + i].Ids, rest[i].Ids);
            Assert.Equal(full[stopAfter + 1 + i].Pixels, rest[i].Pixels);
        }
    }

    [Fact]
    public void Transforms_are_deterministic_and_flip_or_shift_the_image()
    {
        using var store = Store("png", 64);
        var plain = new LoaderOptions { Shuffle = false, BatchSize = 64 };
        var flip = new LoaderOptions { Shuffle = false, BatchSize = 64, RandomHorizontalFlip = true, Seed = 2 };
        using var a = new ImageLoader(store, plain);
        using var b = new ImageLoader(store, flip);
        using var b2 = new ImageLoader(store, flip);
        var original = Epoch(a)[0].Pixels;
        var flipped = Epoch(b)[0].Pixels;
        Assert.Equal(flipped, Epoch(b2)[0].Pixels);
        int mirrored = 0;
        for (int i = 0; i < 64; i++)
        {
            var o = original.AsSpan(i * 192, 192);
            var f = flipped.AsSpan(i * 192, 192);
            if (o.SequenceEqual(f)) continue;
            mirrored++;
            for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) for (int k = 0; k < 3; k++)
                Assert.Equal(o[(y * 8 + x) * 3 + k], f[(y * 8 + 7 - x) * 3 + k]);
        }
        Assert.InRange(mirrored, 16, 48); // about half
    }

    [Fact]
    public void Normalised_chw_floats_follow_the_formula()
    {
        using var store = Store("lmdb", 2);
        using var loader = new ImageLoader(store, new LoaderOptions { Shuffle = false });
        var batch = loader.NextEpoch().First();
        var floats = new float[2 * 3 * 64];
        float[] mean = [0.5f, 0.4f, 0.3f], std = [0.2f, 0.25f, 0.5f];
        batch.ToNormalizedChw(floats, mean, std);
        // image 1, channel 2, pixel (3, 5): HWC byte at (3*8+5)*3+2 of image 1.
        byte value = batch.Pixels[192 + (3 * 8 + 5) * 3 + 2];
        Assert.Equal((value / 255f - 0.3f) / 0.5f, floats[192 + 2 * 64 + 3 * 8 + 5], 5);
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        using var store = Store("lmdb", 5);
        Assert.Throws<ArgumentException>(() => new ImageLoader(store, new LoaderOptions { Rank = 2, WorldSize = 2 }));
        Assert.Throws<ArgumentException>(() => new ImageLoader(store, new LoaderOptions { Seed = 1 }, new LoaderState(0, 1, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoaderOptions { BatchSize = 0 });
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Fields_come_with_each_batch_only_when_asked_on_the_raw_and_the_photo_path(string kind)
    {
        using var raw = StoreKinds.Create(kind, _dir.Path, "raw");
        using (var batch = RecordKinds.Make("raw-fixed")) raw.Put(batch);
        using var photos = StoreKinds.Create(kind, _dir.Path, "photos");
        using (var batch = RecordKinds.Make("jpeg")) photos.Put(batch);
        foreach (var (store, size) in new[] { (raw, (int?)null), (photos, (int?)16) })
        {
            var options = new LoaderOptions { BatchSize = 7, Seed = 5, Size = size, Workers = 2, WithFields = true };
            using var loader = new ImageLoader(store, options);
            int seen = 0;
            foreach (var batch in loader.NextEpoch())
            {
                for (int i = 0; i < batch.Count; i++) Assert.Equal(RecordKinds.FieldsFor(batch.Ids[i]), batch.Fields[i]);
                seen += batch.Count;
            }
            Assert.Equal(store.Count, seen);
            // The same pixels as a loader not asked for fields, which refuses to hand them out.
            using var plain = new ImageLoader(store, new LoaderOptions { BatchSize = 7, Seed = 5, Size = size, Workers = 2 });
            using var asked = new ImageLoader(store, options);
            foreach (var (a, b) in plain.NextEpoch().Select(b => (b.Ids.ToArray(), b.Pixels.ToArray(), b)).Zip(asked.NextEpoch().Select(b => (b.Ids.ToArray(), b.Pixels.ToArray()))))
            {
                Assert.Equal(a.Item1, b.Item1);
                Assert.Equal(a.Item2, b.Item2);
                var e = Assert.Throws<InvalidOperationException>(() => a.b.Fields.Length);
                Assert.Contains("LoaderOptions.WithFields", e.Message);
            }
        }
    }
}
