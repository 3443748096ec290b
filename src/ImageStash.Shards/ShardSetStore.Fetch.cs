using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using ImageStash.Shards.Internal;

namespace ImageStash.Shards;

// ShardSetStore: shards fetched (from the cache or object storage), opened, shared between readers and closed when idle.
public sealed partial class ShardSetStore
{
    /// <summary>Starts fetching shard <paramref name="shard"/> into the cache (and reading its table) if it is not open or on its way.</summary>
    internal void Prefetch(int shard)
    {
        lock (_gate)
        {
            if (_disposed || _open.ContainsKey(shard)) return;
            var entry = new OpenShard(this, shard) { LastUse = ++_clock };
            _open[shard] = entry;
            // A thread of its own: a load blocks on the network, and blocking pool threads starves the readers.
            entry.Loading = Task.Factory.StartNew(() => Load(entry), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            Trim(keep: entry);
        }
    }

    /// <summary>The open shard holding <paramref name="id"/> (dispose it to release it) and the id's sample there.</summary>
    /// <exception cref="ImageStashException">No sample has that id.</exception>
    private OpenShard Acquire(long id, out ShardTable.Sample sample) =>
        TryAcquire(id, out sample) ?? throw ImageStashException.MissingId(Path, id);

    /// <summary>As <see cref="Acquire(long, out ShardTable.Sample)"/>; null (and a default sample) when no sample has that id.</summary>
    private OpenShard? TryAcquire(long id, out ShardTable.Sample sample)
    {
        sample = default;
        if (RowOf(id) is not { } row) return null;
        var shard = Acquire(ShardOf(row));
        try { sample = shard.Sample(row - _shardRows[shard.Index], id); }
        catch
        {
            shard.Dispose();
            throw;
        }
        return shard;
    }

    private OpenShard Acquire(int shard)
    {
        OpenShard? entry;
        TaskCompletionSource? loading = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_open.TryGetValue(shard, out entry))
            {
                // Loaded on this thread (readers of the same shard wait for it), not queued to the thread pool:
                // readers blocking on pool work starve the pool.
                loading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                entry = new OpenShard(this, shard) { Loading = loading.Task };
                _open[shard] = entry;
            }
            // Counted before trimming: a shard being loaded must not look idle to Trim.
            entry.References++;
            entry.LastUse = ++_clock;
            if (loading is not null) Trim(keep: entry);
        }
        try
        {
            if (loading is not null)
            {
                try
                {
                    Load(entry);
                    loading.SetResult();
                }
                catch (Exception e)
                {
                    loading.SetException(e);
                }
            }
            entry.Loading!.GetAwaiter().GetResult();
        }
        catch
        {
            entry.Dispose();
            throw;
        }
        return entry;
    }

    /// <summary>
    /// Closes the least recently used shards nobody reads beyond the window, prefetch and a little slack, never
    /// <paramref name="keep"/> (the one just opened). Under <see cref="_gate"/>.
    /// </summary>
    private void Trim(OpenShard keep)
    {
        int limit = Options.ShuffleShards + Options.PrefetchShards + 2;
        while (_open.Count > limit)
        {
            var idle = _open.Values.Where(e => e != keep && e.References == 0 && e.Loading!.IsCompleted).MinBy(e => e.LastUse);
            if (idle is null) return;
            _open.Remove(idle.Index);
            idle.Close();
        }
    }

    /// <summary>Makes shard <paramref name="entry"/> readable: in place for a local set, through the cache for object storage; its table read.</summary>
    private void Load(OpenShard entry)
    {
        var info = _index.Shards[entry.Index];
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
                var cached = _cache!.Open(info.Name, temp =>
                {
                    CheckLength(info, _location.Download(info.Name, info.Bytes, temp, CancellationToken.None));
                    using var file = File.OpenHandle(temp);
                    fetched = ScanChecked(file, info);
                });
                entry.Cached = cached;
                entry.Handle = cached.Handle;
                entry.Table = fetched ?? Checked(info, ShardTable.Scan(cached.Handle, info.Name, computeCrc: false));
            }
        }
        finally { _fetching.Release(); }
    }
}
