using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using ImageStash.Shards.Internal;

namespace ImageStash.Shards;

// ShardSetStore: what benchmarks need — an empty cache, and the plain-GET speed that is the loader's limit.
public sealed partial class ShardSetStore
{
    /// <summary>
    /// For benchmarks: closes every shard nobody reads and deletes this set's downloaded shards, so the next epoch
    /// reads from object storage again. Another process reading the same cache would lose its shards too.
    /// </summary>
    public void EmptyCache()
    {
        if (_cache is null) return;
        _shards.CloseIdle();
        foreach (string file in Directory.GetFiles(_cache.Directory, "*.tar")) File.Delete(file);
    }

    /// <summary>
    /// For benchmarks: every shard of the set fetched with plain whole-object GETs, <see cref="S3Options.ParallelRequests"/>
    /// at a time, the bytes thrown away: how fast the server and the network deliver the set, the loader's limit.
    /// </summary>
    /// <returns>Bytes read and seconds taken; null for a local set.</returns>
    /// <param name="cancellationToken">Stops the GETs.</param>
    public (long Bytes, double Seconds)? MeasureRawGets(CancellationToken cancellationToken = default)
    {
        if (_location is not S3Location s3) return null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long bytes = 0;
        int next = -1;
        Exception? failure = null;
        var threads = Enumerable.Range(0, Options.S3.ParallelRequests).Select(_ => new Thread(() =>
        {
            try
            {
                for (int k; failure is null && (k = Interlocked.Increment(ref next)) < _index.Shards.Count;)
                    Interlocked.Add(ref bytes, s3.GetAndDiscard(_index.Shards[k].Name, cancellationToken));
            }
            catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return (bytes, clock.Elapsed.TotalSeconds);
    }
}
