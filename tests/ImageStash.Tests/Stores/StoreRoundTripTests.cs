using ImageStash.Tools;
namespace ImageStash.Tests.Stores;

/// <summary>The contract every store must keep: one theory per behaviour, run over all store kinds.</summary>
public sealed class StoreRoundTripTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Pixels_labels_and_names_round_trip_for_1_3_and_4_channels(string kind)
    {
        foreach (int channels in new[] { 1, 3, 4 })
        {
            var shape = new ImageShape(7, 5, channels);
            using var batch = TestData.Batch(20, shape, seed: channels);
            using (var store = StoreKinds.Create(kind, _dir.Path, $"c{channels}"))
                store.Put(batch);
            using var reopened = StoreKinds.Registry.OpenRead(StoreKinds.PathFor(kind, _dir.Path, $"c{channels}"));
            Assert.Equal(20, reopened.Count);
            var buffer = new byte[shape.ByteCount];
            for (int i = 0; i < batch.Count; i++)
            {
                var header = reopened.Read(batch[i].Id, buffer);
                Assert.Equal(batch[i], header);
                Assert.True(batch.GetPixels(i).SequenceEqual(buffer), $"{kind}: pixels of id {batch[i].Id} ({channels} channels) differ");
            }
        }
    }

    [Theory]
    [MemberData(nameof(RecordKinds.StoresAndKinds), MemberType = typeof(RecordKinds))]
    public void Every_record_kind_round_trips_bit_exact_and_takes_appends(string store, string records)
    {
        using var first = RecordKinds.Make(records);
        using var second = RecordKinds.Make(records, firstId: first.Count, seed: 2);
        string path = StoreKinds.PathFor(store, _dir.Path);
        using (var created = StoreKinds.Create(store, _dir.Path)) created.Put(first);
        using (var reopened = StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open })) reopened.Put(second);
        using var reader = StoreKinds.Registry.OpenRead(path);
        Assert.Equal(first.Count + second.Count, reader.Count);
        foreach (var batch in new[] { first, second })
            for (int i = 0; i < batch.Count; i++)
            {
                var expected = batch[i];
                Assert.True(reader.TryGetHeader(expected.Id, out var header), $"{store}/{records}: no header for {expected.Id}");
                Assert.Equal(expected, header);
                var payload = new byte[header.PayloadLength];
                Assert.Equal(expected, reader.Read(expected.Id, payload));
                Assert.True(batch.GetPayload(i).SequenceEqual(payload), $"{store}/{records}: the payload of {expected.Id} ({expected.Encoding}) differs");
                if (!header.IsRaw) Assert.Equal(header.Shape, TestImages.Decode(payload, header.Shape.Channels).Shape);
            }
        long[] ids = [.. reader.EnumerateIds()];
        var all = new[] { first, second }.SelectMany(b => Enumerable.Range(0, b.Count).Select(i => b[i])).ToList();
        if (all.All(h => h.IsRaw && h.Shape == all[0].Shape))
        {
            var pixels = new byte[ids.Length * all[0].Shape.ByteCount];
            reader.ReadMany(ids, pixels, new int[ids.Length]);
        }
        else if (all.FirstOrDefault(h => !h.IsRaw) is { Encoding: not ImageEncoding.Raw } encoded)
        {
            var e = Assert.Throws<ImageStashException>(() => reader.ReadMany([encoded.Id], new byte[encoded.Shape.ByteCount], new int[1]));
            Assert.Equal(ImageStashError.DoesNotFit, e.Error);
            Assert.Contains($"image {encoded.Id} is", e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void A_big_read_many_in_any_order_is_exact(string kind)
    {
        // 6,000 images of 3 KB (18 MB): past the size where LMDB and HDF5 read in blocks on every core.
        var shape = new ImageShape(32, 32, 3);
        using var batch = TestData.Batch(6000, shape, seed: 9);
        using (var store = StoreKinds.Create(kind, _dir.Path)) store.Put(batch);
        using var reopened = StoreKinds.Registry.OpenRead(StoreKinds.PathFor(kind, _dir.Path));
        var pixels = new byte[6000 * shape.ByteCount];
        var labels = new int[6000];
        foreach (long[] ids in new[] { [.. Enumerable.Range(0, 6000).Select(i => (long)i)], Shuffled(6000, seed: 2) })
        {
            reopened.ReadMany(ids, pixels, labels);
            for (int i = 0; i < ids.Length; i++)
            {
                Assert.Equal(batch[(int)ids[i]].Label, labels[i]);
                Assert.True(batch.GetPixels((int)ids[i]).SequenceEqual(pixels.AsSpan(i * shape.Length, shape.Length)), $"{kind}: image {ids[i]} at {i}");
            }
        }
    }

    [Theory]
    [InlineData("lmdb", "data.mdb")]
    [InlineData("hdf5", "")]
    public void A_big_read_many_names_the_earliest_damaged_image(string kind, string dataFile)
    {
        var shape = new ImageShape(32, 32, 3);
        using var batch = TestData.Batch(8000, shape, seed: 9);
        using (var store = StoreKinds.Create(kind, _dir.Path)) store.Put(batch);
        string path = StoreKinds.PathFor(kind, _dir.Path), file = Path.Combine(path, dataFile);
        byte[] bytes = File.ReadAllBytes(file);
        foreach (int damaged in new[] { 7100, 5000 }) // in different 4 MB blocks
            bytes[bytes.AsSpan().IndexOf(batch.GetPixels(damaged)[..64]) + 3] ^= 0x55;
        File.WriteAllBytes(file, bytes);
        using var reopened = StoreKinds.Registry.OpenRead(path);
        long[] ids = [.. Enumerable.Range(0, 8000).Select(i => (long)i)];
        for (int attempt = 0; attempt < 5; attempt++) // whichever block a thread reaches first, the earliest is named
        {
            var e = Assert.Throws<InvalidDataException>(() => reopened.ReadMany(ids, new byte[8000 * shape.ByteCount], new int[8000]));
            Assert.StartsWith($"store '{path}': image 5000 is damaged (pixel CRC32 is ", e.Message);
        }
    }

    private static long[] Shuffled(int count, int seed)
    {
        long[] ids = [.. Enumerable.Range(0, count).Select(i => (long)i)];
        new Random(seed).Shuffle(ids);
        return ids;
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Read_many_fills_the_callers_contiguous_buffer_in_the_order_asked(string kind)
    {
        var shape = new ImageShape(32, 32, 3);
        using var batch = TestData.Batch(50, shape);
        using var store = StoreKinds.Create(kind, _dir.Path);
        store.Put(batch);
        long[] ids = [49, 0, 17, 17, 3];
        var pixels = new byte[ids.Length * shape.ByteCount];
        var labels = new int[ids.Length];
        store.ReadMany(ids, pixels, labels);
        for (int i = 0; i < ids.Length; i++)
        {
            int index = (int)ids[i];
            Assert.Equal(batch[index].Label, labels[i]);
            Assert.True(batch.GetPixels(index).SequenceEqual(pixels.AsSpan(i * shape.Length, shape.Length)));
        }
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Read_many_into_a_small_buffer_is_an_argument_error(string kind)
    {
        var shape = new ImageShape(4, 4, 3);
        using var batch = TestData.Batch(3, shape);
        using var store = StoreKinds.Create(kind, _dir.Path);
        store.Put(batch);
        var e = Assert.Throws<ArgumentException>(() => store.ReadMany([0, 1, 2], new byte[2 * shape.ByteCount], new int[3]));
        Assert.Contains("needs 144 bytes", e.Message);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Appending_after_reopen_keeps_the_old_images(string kind)
    {
        var shape = new ImageShape(8, 8, 3);
        string path = StoreKinds.PathFor(kind, _dir.Path);
        using var first = TestData.Batch(10, shape, firstId: 0, seed: 1);
        using var second = TestData.Batch(15, shape, firstId: 10, seed: 2);
        using (var store = StoreKinds.Create(kind, _dir.Path)) store.Put(first);
        using (var store = StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open })) store.Put(second);
        using var reopened = StoreKinds.Registry.OpenRead(path);
        Assert.Equal(25, reopened.Count);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), reopened.EnumerateIds());
        var buffer = new byte[shape.ByteCount];
        reopened.Read(3, buffer);
        Assert.True(first.GetPixels(3).SequenceEqual(buffer));
        reopened.Read(24, buffer);
        Assert.True(second.GetPixels(14).SequenceEqual(buffer));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Putting_an_existing_id_is_refused_and_writes_nothing_unless_overwrite(string kind)
    {
        var shape = new ImageShape(6, 6, 3);
        using var store = StoreKinds.Create(kind, _dir.Path);
        using var original = TestData.Batch(5, shape, seed: 1);
        store.Put(original);
        using var clash = TestData.Batch(3, shape, firstId: 4, seed: 2); // ids 4, 5, 6: 4 exists
        var e = Assert.Throws<ImageStashException>(() => store.Put(clash));
        Assert.Contains("already holds id 4", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(5, store.Count);
        Assert.False(store.TryGetHeader(5, out _));

        store.Put(clash, overwrite: true);
        Assert.Equal(7, store.Count);
        var buffer = new byte[shape.ByteCount];
        var header = store.Read(4, buffer);
        Assert.Equal(clash[0].Label, header.Label);
        Assert.True(clash.GetPixels(0).SequenceEqual(buffer));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void A_missing_id_names_the_store_and_the_id(string kind)
    {
        using var store = StoreKinds.Create(kind, _dir.Path);
        using var batch = TestData.Batch(2, new ImageShape(4, 4, 3));
        store.Put(batch);
        var e = Assert.Throws<ImageStashException>(() => store.Read(7, new byte[48]));
        Assert.Equal($"store '{store.Path}' has no image with id 7; list ids with 'imagestash info {store.Path}'.", e.Message);
        Assert.Throws<ImageStashException>(() => store.ReadMany([0, 7], new byte[96], new int[2]));
        Assert.False(store.TryGetHeader(7, out _));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Class_names_persist(string kind)
    {
        string path = StoreKinds.PathFor(kind, _dir.Path);
        using (var store = StoreKinds.Create(kind, _dir.Path))
        {
            using var batch = TestData.Batch(2, new ImageShape(4, 4, 3));
            store.Put(batch);
            store.SetClassNames(["cat", "dog, \"big\"", "émeu"]);
        }
        using var reopened = StoreKinds.Registry.OpenRead(path);
        Assert.Equal(["cat", "dog, \"big\"", "émeu"], reopened.ClassNames);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void A_read_only_store_refuses_writes(string kind)
    {
        using (var store = StoreKinds.Create(kind, _dir.Path))
        {
            using var batch = TestData.Batch(2, new ImageShape(4, 4, 3));
            store.Put(batch);
        }
        using var reader = StoreKinds.Registry.OpenRead(StoreKinds.PathFor(kind, _dir.Path));
        using var more = TestData.Batch(1, new ImageShape(4, 4, 3), firstId: 9);
        var e = Assert.Throws<ImageStashException>(() => reader.Put(more));
        Assert.Contains("read-only", e.Message);
        Assert.Equal(2, reader.Count);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void A_second_writer_is_told_the_store_is_busy(string kind)
    {
        using var store = StoreKinds.Create(kind, _dir.Path);
        var e = Assert.Throws<ImageStashException>(() => StoreKinds.Registry.Open(store.Path));
        Assert.Contains("is being written by another process", e.Message);
        using var reader = StoreKinds.Registry.OpenRead(store.Path);
        Assert.Equal(0, reader.Count);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Opening_a_missing_store_read_only_says_how_to_create_it(string kind)
    {
        string path = StoreKinds.PathFor(kind, _dir.Path, "nothing-here");
        var e = Assert.Throws<ImageStashException>(() => StoreKinds.Registry.OpenRead(path));
        Assert.Contains($"store '{path}' does not exist", e.Message);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Creating_over_an_existing_store_is_refused(string kind)
    {
        using (StoreKinds.Create(kind, _dir.Path)) { }
        var e = Assert.Throws<ImageStashException>(() => StoreKinds.Create(kind, _dir.Path));
        Assert.Contains("already exists", e.Message);
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Images_of_another_shape_are_refused_or_kept_apart(string kind)
    {
        using var store = StoreKinds.Create(kind, _dir.Path);
        using var small = TestData.Batch(2, new ImageShape(4, 4, 3));
        using var large = TestData.Batch(1, new ImageShape(8, 6, 3), firstId: 2);
        store.Put(small);
        if (store.FixedShape is { } fixedShape)
        {
            var e = Assert.Throws<ImageStashException>(() => store.Put(large));
            Assert.Contains($"holds {fixedShape} raw images in the article's fixed layout; image 2 is 8×6×3", e.Message);
            Assert.Contains("--resize 4x4", e.Message);
            Assert.Equal(2, store.Count);
        }
        else
        {
            store.Put(large);
            var buffer = new byte[large[0].Shape.ByteCount];
            Assert.Equal(large[0].Shape, store.Read(2, buffer).Shape);
            Assert.True(large.GetPixels(0).SequenceEqual(buffer));
            var e = Assert.Throws<ImageStashException>(() => store.ReadMany([0, 2], new byte[1000], new int[2]));
            Assert.Contains("reading many needs one shape", e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Ids_enumerate_ascending_whatever_the_insertion_order(string kind)
    {
        using var store = StoreKinds.Create(kind, _dir.Path);
        var shape = new ImageShape(2, 2, 1);
        using var batch = new ImageBatch();
        foreach (long id in new long[] { 500, 3, 70_000_000_000, 42 })
            batch.Add(new ImageHeader(id, shape, 1), new byte[4]);
        store.Put(batch);
        Assert.Equal([3L, 42, 500, 70_000_000_000], store.EnumerateIds());
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Readers_on_several_threads_see_the_right_pixels(string kind)
    {
        var shape = new ImageShape(16, 16, 3);
        using var batch = TestData.Batch(200, shape);
        using var store = StoreKinds.Create(kind, _dir.Path);
        store.Put(batch);
        Parallel.For(0, 8, t =>
        {
            var rng = new Random(t);
            var pixels = new byte[10 * shape.ByteCount];
            var labels = new int[10];
            for (int round = 0; round < 20; round++)
            {
                long[] ids = [.. Enumerable.Range(0, 10).Select(_ => (long)rng.Next(200))];
                store.ReadMany(ids, pixels, labels);
                for (int i = 0; i < ids.Length; i++)
                    Assert.True(batch.GetPixels((int)ids[i]).SequenceEqual(pixels.AsSpan(i * shape.Length, shape.Length)));
            }
        });
    }

    [Theory]
    [MemberData(nameof(StoreKinds.AllWithTestStores), MemberType = typeof(StoreKinds))]
    public void Durable_writes_round_trip_and_append(string kind)
    {
        var shape = new ImageShape(8, 8, 3);
        string path = StoreKinds.PathFor(kind, _dir.Path);
        using var first = TestData.Batch(30, shape, seed: 8);
        using var second = TestData.Batch(20, shape, firstId: 30, seed: 9);
        using (var store = StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.CreateNew, SyncWrites = true }))
            store.Put(first);
        using var replaced = TestData.Batch(5, shape, firstId: 3, seed: 10);
        using (var store = StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open, SyncWrites = true }))
        {
            store.Put(second);
            store.Put(replaced, overwrite: true); // rewrites committed rows
        }
        using var reopened = StoreKinds.Registry.OpenRead(path);
        Assert.Equal(50, reopened.Count);
        var pixels = new byte[shape.ByteCount];
        reopened.Read(3, pixels);
        Assert.Equal(replaced.GetPixels(0).ToArray(), pixels);
        reopened.Read(40, pixels);
        Assert.Equal(second.GetPixels(10).ToArray(), pixels);
        Assert.True(StoreVerifier.Verify(reopened, deep: true).Clean);
    }

    [Trait("Tier", "Full")]
    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public async Task During_an_append_reader_threads_and_a_reader_process_see_whole_committed_batches(string kind)
    {
        var shape = new ImageShape(16, 16, 3);
        const int per = 100;
        string path = StoreKinds.PathFor(kind, _dir.Path);
        var expected = new System.Collections.Concurrent.ConcurrentDictionary<long, (byte[] Pixels, int Label)>();
        ImageBatch Round(int r)
        {
            var batch = TestData.Batch(per, shape, firstId: r * per, seed: r + 1);
            for (int i = 0; i < batch.Count; i++) expected[batch[i].Id] = (batch.GetPixels(i).ToArray(), batch[i].Label);
            return batch;
        }
        using var store = StoreKinds.Create(kind, _dir.Path);
        using (var first = Round(0)) store.Put(first);
        int overlapped = 0, rounds = 1;
        // Threads of their own: on the thread pool, the readers could wait out the whole append (the pool busy with
        // the writer's parallel encoding and this test's blocking child runs), and the test passed without a reader.
        var writer = Task.Factory.StartNew(() =>
        {
            // Appends until the reader process has verified the store while a commit landed, twice (or 200 rounds).
            // The pause only paces the rounds: the test counts the overlaps it needs instead of trusting timing.
            for (; Volatile.Read(ref overlapped) < 2 && rounds < 200; rounds++)
            {
                using var batch = Round(rounds);
                store.Put(batch);
                Thread.Sleep(25);
            }
        }, TaskCreationOptions.LongRunning);
        var countsSeen = new System.Collections.Concurrent.ConcurrentDictionary<long, bool>();
        var readers = Enumerable.Range(0, 3).Select(t => Task.Factory.StartNew(() =>
        {
            var rng = new Random(t);
            var pixels = new byte[shape.ByteCount];
            while (!writer.IsCompleted)
            {
                long count = store.Count;
                Assert.Equal(0, count % per);
                countsSeen[count] = true;
                long id = rng.NextInt64(count);
                var header = store.Read(id, pixels);
                Assert.Equal(expected[id].Label, header.Label);
                Assert.True(expected[id].Pixels.AsSpan().SequenceEqual(pixels), $"{kind}: image {id} read during an append differs");
                Thread.Sleep(1); // leave the cores to the writer and the reader process
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        while (!writer.IsCompleted)
        {
            long before = store.Count;
            var (exit, output, err) = ChildProcess.Cli(null, "verify", path, "--deep");
            long after = store.Count;
            Assert.True(exit == 0, $"{kind}: verify in another process during the append: exit {exit}: {err}{output}");
            long verified = long.Parse(System.Text.RegularExpressions.Regex.Match(output, @"([\d,]+) images").Groups[1].Value.Replace(",", ""));
            Assert.True(verified % per == 0 && verified >= before && verified <= after, $"{kind}: the reader process saw {verified} images; the store held {before} before and {after} after");
            if (after > before) Interlocked.Increment(ref overlapped);
        }
        await writer;
        await Task.WhenAll(readers);
        Assert.Equal(rounds * per, store.Count);
        // Twice is what the writer waits for; once is the proof (a PNG store's deep verify grows slow as it grows).
        Assert.True(overlapped >= 1, $"{kind}: no verify run overlapped a commit in {rounds} rounds");
        Assert.True(countsSeen.Count >= 2, $"{kind}: the reader threads saw {countsSeen.Count} store sizes ({string.Join(", ", countsSeen.Keys.Order().Take(5))}): they never read during the append");
    }
}
