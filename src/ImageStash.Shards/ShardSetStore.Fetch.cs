using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using ImageStash.Shards.Internal;

namespace ImageStash.Shards;

// ShardSetStore: shards fetched (from the cache or object storage), opened, shared between readers and closed when idle.
public sealed partial class ShardSetStore
{
    /// <summary>The open shard holding <paramref name="id"/> (dispose the lease to release it) and the id's sample there.</summary>
    /// <exception cref="ImageStashException">No sample has that id.</exception>
    private ChunkWindow<OpenShard>.Lease Acquire(long id, out ShardTable.Sample sample) =>
        TryAcquire(id, out sample) ?? throw ImageStashException.MissingId(Path, id);

    /// <summary>As <see cref="Acquire(long, out ShardTable.Sample)"/>; null (and a default sample) when no sample has that id.</summary>
    private ChunkWindow<OpenShard>.Lease? TryAcquire(long id, out ShardTable.Sample sample)
    {
        sample = default;
        if (RowOf(id) is not { } row) return null;
        var shard = _shards.Acquire(ShardOf(row));
        try { sample = shard.Chunk.Sample(row - _shardRows[shard.Index], id); }
        catch
        {
            shard.Dispose();
            throw;
        }
        return shard;
    }

    /// <summary>Opens shard <paramref name="index"/>: in place for a local set, through the cache for object storage; its table read.</summary>
    private OpenShard Load(int index)
    {
        var entry = new OpenShard(this, index);
        var info = _index.Shards[index];
        _fetching.Wait();
        try
        {
            if (_location.LocalPath(info.Name) is { } local)
            {
                Microsoft.Win32.SafeHandles.SafeFileHandle handle;
                try { handle = File.OpenHandle(local, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    throw new InvalidDataException($"shard '{info.Name}' of '{Path}' is missing: the set is incomplete; write it again with 'imagestash shard'.", e);
                }
                entry.Handle = handle;
                CheckLength(info, RandomAccess.GetLength(handle));
                entry.Table = ScanChecked(handle, info);
            }
            else
            {
                ShardTable? fetched = null; // scanned and checked in one pass as it enters the cache
                void Fetch(string temp)
                {
                    CheckLength(info, _location.Download(info.Name, info.Bytes, temp, CancellationToken.None));
                    using var file = File.OpenHandle(temp);
                    fetched = ScanChecked(file, info);
                }
                entry.Cached = _cache!.Open(info.Name, Fetch);
                if (fetched is null && CheckedHit(entry.Cached, info) is { } table) fetched = table;
                else if (fetched is null)
                {
                    // Someone changed the cached file (or the disk did): the index and the server decide, not the cache.
                    entry.Cached.Dispose();
                    entry.Cached = null;
                    entry.Cached = _cache.Replace(info.Name, Fetch);
                }
                entry.Handle = entry.Cached.Handle;
                entry.Table = fetched;
            }
            return entry;
        }
        catch
        {
            entry.Dispose(); // what was opened before the failure
            throw;
        }
        finally { _fetching.Release(); }
    }
}
