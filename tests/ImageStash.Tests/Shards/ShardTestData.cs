using ImageStash.Loading;
using ImageStash.Shards;
using ImageStash.Tests.Bench;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Shards;

/// <summary>Stores to shard and helpers to read shard sets back, for the local and the S3 tests.</summary>
internal static class ShardTestData
{
    /// <summary>An LMDB store of <paramref name="count"/> raw 8×8 RGB images with ids 0…count−1 and ten classes.</summary>
    public static IImageStore RawStore(string dir, int count, string name = "source")
    {
        var store = StoreKinds.Create("lmdb", dir, name);
        for (int first = 0; first < count; first += 500)
        {
            using var batch = TestData.Batch(Math.Min(500, count - first), new ImageShape(8, 8, 3), firstId: first, seed: first + 3);
            store.Put(batch);
        }
        store.SetClassNames([.. Enumerable.Range(0, 10).Select(i => $"class-{i}")]);
        return store;
    }

    /// <summary>One loader epoch's ids, per batch.</summary>
    public static List<long[]> Epoch(ImageLoader loader, int? batches = null)
    {
        var seen = new List<long[]>();
        foreach (var batch in loader.NextEpoch())
        {
            seen.Add(batch.Ids.ToArray());
            if (seen.Count == batches) break;
        }
        return seen;
    }

    public static LoaderOptions Options(int rank, int world, int batch = 16, int seed = 7) =>
        new() { BatchSize = batch, Rank = rank, WorldSize = world, Seed = seed, Workers = 1, Prefetch = 1 };

    /// <summary>A store whose reads fail after <paramref name="reads"/> of them: a write that dies midway. Disposing it disposes <paramref name="inner"/>.</summary>
    public sealed class FailingStore(IImageStore inner, int reads) : DelegatingStore(inner, "failing")
    {
        private int _reads;

        public override ImageHeader Read(long id, Span<byte> pixels) =>
            Interlocked.Increment(ref _reads) > reads ? throw new IOException("the source disk went away") : base.Read(id, pixels);
    }

    public static ShardWriterOptions Small(long shardSize = 64 << 10, S3Options? s3 = null) =>
        new() { ShardSize = shardSize, S3 = s3 ?? new S3Options() };
}
