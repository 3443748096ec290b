using ImageStash.Shards.Internal;

namespace ImageStash.Tests.Shards;

/// <summary>
/// The shard cache's promises, with two cache objects on one folder standing for two processes (flock locks belong
/// to each open file, so two handles in one process contend as two processes do).
/// </summary>
public sealed class ShardCacheTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Action<string> Bytes(int count, byte value) => temp => File.WriteAllBytes(temp, Enumerable.Repeat(value, count).ToArray());

    [Fact]
    public void Eviction_never_deletes_a_shard_another_reader_has_open_and_takes_it_once_released()
    {
        string folder = _dir.File("cache");
        var first = new ShardCache(folder, 1L << 20);
        var second = new ShardCache(folder, 1L << 20);
        var held = first.Open("a.tar", Bytes(700_000, 1));
        File.SetLastWriteTimeUtc(held.Path, DateTime.UtcNow.AddMinutes(-5)); // the oldest: eviction's first choice
        using (second.Open("b.tar", Bytes(700_000, 2)))
        {
            Assert.True(File.Exists(held.Path), "a shard another reader has open was evicted");
            var buffer = new byte[10];
            RandomAccess.Read(held.Handle, buffer, 500_000);
            Assert.All(buffer, b => Assert.Equal(1, b));
        }
        held.Dispose();
        second.Evict();
        Assert.False(File.Exists(held.Path), "released and least recently used: it goes");
        Assert.True(File.Exists(Path.Combine(folder, "b.tar")));
    }

    [Fact]
    public async Task A_shard_wanted_by_two_readers_at_once_is_fetched_once_and_a_failed_fetch_leaves_nothing()
    {
        string folder = _dir.File("cache");
        int fetches = 0;
        var gate = new ManualResetEventSlim();
        Action<string> slow = temp =>
        {
            Interlocked.Increment(ref fetches);
            gate.Wait(TimeSpan.FromSeconds(10));
            File.WriteAllBytes(temp, [1, 2, 3]);
        };
        var readers = new[] { new ShardCache(folder, 1L << 30), new ShardCache(folder, 1L << 30) }
            .Select(cache => Task.Run(() => cache.Open("s.tar", slow))).ToArray();
        await Task.Delay(300);
        gate.Set();
        foreach (var shard in await Task.WhenAll(readers)) shard.Dispose();
        Assert.Equal(1, fetches);

        var cache = new ShardCache(folder, 1L << 30);
        Assert.Throws<InvalidDataException>(() => cache.Open("bad.tar", temp =>
        {
            File.WriteAllBytes(temp, [9, 9]);
            throw new InvalidDataException("damaged");
        }));
        Assert.Equal(new[] { "bad.tar.lock", "s.tar", "s.tar.lock" }, Directory.GetFiles(folder).Select(Path.GetFileName).Order());
    }
}
