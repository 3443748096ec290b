using ImageStash.Internal;

namespace ImageStash;

/// <summary>
/// Writing a store's files safely, for anyone writing a store: a whole file replaced atomically, a new file written
/// fast, a folder's entries made durable. The folder store commits through these.
/// </summary>
public static class StoreFiles
{
    /// <summary>Writes a whole file through a temporary file and a rename, so readers never see half of it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="bytes">Its whole contents.</param>
    /// <param name="sync">Flush the file and its folder to the device before returning (survives power loss).</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> bytes, bool sync)
    {
        string temp = path + ".tmp";
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, bytes, 0);
            if (sync) RandomAccess.FlushToDisk(handle);
        }
        File.Move(temp, path, overwrite: true);
        if (sync) SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Writes a whole file in place (for files nobody can see yet).</summary>
    /// <remarks>
    /// On Linux this is open(O_CREAT|O_TRUNC) + write + close through libc: .NET's own open adds an ftruncate and
    /// flock calls that cost more than the small file's write itself (benchmarks/results/2026-12-03-house/from-comments.md).
    /// </remarks>
    /// <param name="path">The file (created or truncated).</param>
    /// <param name="bytes">Its whole contents.</param>
    /// <param name="sync">Flush it to the device before returning.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static unsafe void WriteNew(string path, ReadOnlySpan<byte> bytes, bool sync)
    {
        if (!OperatingSystem.IsLinux())
        {
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None);
            RandomAccess.Write(handle, bytes, 0);
            if (sync) RandomAccess.FlushToDisk(handle);
            return;
        }
        const int O_WRONLY = 1, O_CREAT = 0x40, O_TRUNC = 0x200, O_CLOEXEC = 0x80000;
        int fd = FileUtil.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 420 /* 0644 */);
        if (fd < 0) throw FileUtil.Error(path);
        try
        {
            fixed (byte* p = bytes)
                for (int done = 0; done < bytes.Length;)
                {
                    nint n = FileUtil.write(fd, p + done, bytes.Length - done);
                    if (n < 0) throw FileUtil.Error(path);
                    done += (int)n;
                }
            if (sync && FileUtil.fsync(fd) != 0) throw FileUtil.Error(path);
        }
        finally { FileUtil.close(fd); }
    }

    /// <summary>fsync a directory so a rename or a new file name in it is durable.</summary>
    /// <param name="directory">The folder.</param>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = FileUtil.open(directory, 0 /* O_RDONLY */, 0);
        if (fd < 0) return;
        FileUtil.fsync(fd);
        FileUtil.close(fd);
    }
}
