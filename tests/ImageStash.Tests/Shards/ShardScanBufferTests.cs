using ImageStash.Shards.Internal;

namespace ImageStash.Tests.Shards;

/// <summary>
/// A shard scan's 1 MiB read buffer is reused by the next scan even when each runs on a thread of its own that then
/// ends, as shards fetched ahead are: a fresh large array per shard means a full GC every few shards.
/// </summary>
public sealed class ShardScanBufferTests
{
    [Fact]
    public void Scans_on_threads_that_end_reuse_one_read_buffer()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[1024]); // an empty archive: its two zero blocks
            var allocated = new List<long>();
            for (int i = 0; i < 6; i++)
            {
                var thread = new Thread(() =>
                {
                    using var handle = File.OpenHandle(path);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    Assert.Empty(ShardTable.Scan(handle, "empty.tar", computeCrc: true).Samples);
                    allocated.Add(GC.GetAllocatedBytesForCurrentThread() - before);
                });
                thread.Start();
                thread.Join();
            }
            // The first scan may make the buffer; the others find it (a scan's own objects are a few hundred bytes).
            Assert.All(allocated.Skip(1), bytes => Assert.True(bytes < 64 << 10, $"a scan on a new thread allocated {bytes:N0} bytes: [{string.Join(", ", allocated)}]"));
        }
        finally { File.Delete(path); }
    }
}
