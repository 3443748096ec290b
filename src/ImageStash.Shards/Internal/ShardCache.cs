using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Shards.Internal;

/// <summary>
/// A folder of downloaded shards with a size limit, shared by every process on the machine that reads the same
/// set. A shard is downloaded to a private temporary file, checked against the index's size and CRC, and renamed
/// into place, so a file under its own name is always whole. Readers hold a shared flock on each shard they have
/// open; eviction (oldest use first) deletes only files it can lock exclusively, so it never removes a shard
/// another process is reading. Two processes needing one shard download it once: the second waits on the first's
/// download lock and then finds the file.
/// </summary>
internal sealed class ShardCache(string directory, long limitBytes)
{
    public string Directory { get; } = System.IO.Directory.CreateDirectory(directory).FullName;

    /// <summary>Opens shard <paramref name="name"/> for reading under a shared lock, downloading it first when it is not here.</summary>
    /// <param name="name">The shard's file name.</param>
    /// <param name="fetch">Writes the shard into the new file it is given, checks it, and throws if it is damaged.</param>
    public CachedShard Open(string name, Action<string> fetch)
    {
        string path = Path.Combine(Directory, name);
        if (TryOpen(path) is { } hit) return hit;
        using (var downloading = Lock(path + ".lock", exclusive: true, wait: true))
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

    /// <summary>Deletes the least recently used shards no process has open until the cache is within its limit.</summary>
    public void Evict()
    {
        var files = new DirectoryInfo(Directory).GetFiles("*.tar");
        long total = files.Sum(f => f.Length);
        foreach (var file in files.OrderBy(f => f.LastWriteTimeUtc))
        {
            if (total <= limitBytes) break;
            using var victim = Lock(file.FullName, exclusive: true, wait: false);
            if (victim is null) continue; // open in some process
            try
            {
                File.Delete(file.FullName);
                total -= file.Length;
            }
            catch (IOException) { }
        }
    }

    private static CachedShard? TryOpen(string path)
    {
        var handle = Lock(path, exclusive: false, wait: true);
        if (handle is null) return null;
        // The file's time is its last use: eviction goes oldest first.
        try { File.SetLastWriteTimeUtc(handle, DateTime.UtcNow); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new CachedShard(handle, path);
    }

    /// <summary>Opens <paramref name="path"/> and flocks it; null when it does not exist, or is locked and <paramref name="wait"/> is false.</summary>
    private static SafeFileHandle? Lock(string path, bool exclusive, bool wait)
    {
        SafeFileHandle handle;
        try
        {
            handle = exclusive && path.EndsWith(".lock", StringComparison.Ordinal)
                ? File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete)
                : File.OpenHandle(path, FileMode.Open, exclusive ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return handle;
        int operation = (exclusive ? LockExclusive : LockShared) | (wait ? 0 : LockNonBlocking);
        while (flock((int)handle.DangerousGetHandle(), operation) != 0)
        {
            if (Marshal.GetLastPInvokeError() == EINTR) continue;
            handle.Dispose();
            return null;
        }
        return handle;
    }

    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4, EINTR = 4;

    [DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);
}

/// <summary>A shard file open for reading; while it is, no process evicts it.</summary>
internal sealed class CachedShard(SafeFileHandle handle, string path) : IDisposable
{
    public SafeFileHandle Handle { get; } = handle;

    public string Path { get; } = path;

    public void Dispose() => Handle.Dispose(); // closing the file releases its flock
}
