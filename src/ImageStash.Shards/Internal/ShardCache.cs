using Microsoft.Win32.SafeHandles;

namespace ImageStash.Shards.Internal;

/// <summary>
/// A folder of downloaded shards with a size limit, shared by every process on the machine that reads the same
/// set. A shard is downloaded to a private temporary file, checked against the index's size and CRC, and renamed
/// into place, so a file under its own name is always whole. Two processes needing one shard download it once: the
/// second waits on the first's download lock and then finds the file. Eviction (oldest use first) deletes only
/// files no process has open, so it never removes a shard another process is reading.
/// </summary>
/// <remarks>
/// The locks are .NET's own: on Unix, opening a file takes a shared flock unless it is opened with
/// <see cref="FileShare.None"/>, which takes an exclusive one, both without waiting. Readers open shards shared;
/// eviction and the download lock open exclusively, and waiting is a retry. (A flock of our own on top would fight
/// .NET's; with DOTNET_SYSTEM_IO_DISABLEFILELOCKING set there are no locks, and a shard may be fetched twice or
/// evicted while open: Linux keeps an open file readable after it is deleted, so readers still read it whole.)
/// </remarks>
internal sealed class ShardCache(string directory, long limitBytes)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public string Directory { get; } = System.IO.Directory.CreateDirectory(directory).FullName;

    /// <summary>Opens shard <paramref name="name"/> for reading under a shared lock, downloading it first when it is not here.</summary>
    /// <param name="name">The shard's file name.</param>
    /// <param name="fetch">Writes the shard into the new file it is given, checks it, and throws if it is damaged.</param>
    public CachedShard Open(string name, Action<string> fetch)
    {
        string path = Path.Combine(Directory, name);
        if (TryOpen(path) is { } hit) return hit;
        using (var downloading = LockForDownload(path + ".lock"))
        {
            if (TryOpen(path) is { } other) return other; // another process fetched it while we waited
            string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.part";
            try
            {
                fetch(temp);
                File.Move(temp, path, overwrite: true);
            }
            finally { File.Delete(temp); }
        }
        var opened = TryOpen(path) ?? throw new IOException($"shard '{name}' vanished from the cache '{Directory}' as it was stored");
        Evict();
        return opened;
    }

    /// <summary>
    /// Deletes the least recently used shards no process has open until the cache is within its limit. Other
    /// processes evict at the same time: a file gone since the listing is skipped.
    /// </summary>
    public void Evict()
    {
        var files = new List<(string Path, long Length, DateTime Used)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, "*.tar"))
        {
            try
            {
                var info = new FileInfo(path);
                files.Add((path, info.Length, info.LastWriteTimeUtc));
            }
            catch (FileNotFoundException) { }
        }
        long total = files.Sum(f => f.Length);
        foreach (var file in files.OrderBy(f => f.Used))
        {
            if (total <= limitBytes) break;
            SafeFileHandle victim;
            try { victim = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Read, FileShare.None); }
            catch (IOException e) when (StoreWriterLock.IsLockedElsewhere(e) || e is FileNotFoundException) { continue; } // open in some process, or gone already
            using (victim)
            {
                File.Delete(file.Path);
                total -= file.Length;
            }
        }
    }

    /// <summary>The shard under a shared lock, or null when it is not in the cache. Waits out an eviction that holds it.</summary>
    private static CachedShard? TryOpen(string path)
    {
        while (true)
        {
            SafeFileHandle handle;
            try { handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
            catch (IOException e) when (StoreWriterLock.IsLockedElsewhere(e))
            {
                Thread.Sleep(Poll); // an eviction holds it for a moment: it is deleted next, or kept
                continue;
            }
            // The file's time is its last use: eviction goes oldest first.
            try { File.SetLastWriteTimeUtc(handle, DateTime.UtcNow); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return new CachedShard(handle, path);
        }
    }

    /// <summary>The download lock of one shard, waiting while another process holds it (a download of that shard is under way).</summary>
    private static SafeFileHandle LockForDownload(string path)
    {
        while (true)
        {
            try { return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException e) when (StoreWriterLock.IsLockedElsewhere(e))
            {
                Thread.Sleep(Poll);
            }
        }
    }
}

/// <summary>A shard file open for reading; while it is, no process evicts it.</summary>
internal sealed class CachedShard(SafeFileHandle handle, string path) : IDisposable
{
    public SafeFileHandle Handle { get; } = handle;

    public string Path { get; } = path;

    public void Dispose() => Handle.Dispose(); // closing the file releases its flock
}
