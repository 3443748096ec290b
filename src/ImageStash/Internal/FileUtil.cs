using System.Runtime.InteropServices;

namespace ImageStash.Internal;

/// <summary>Small file-system helpers shared by the stores: atomic replace, pooled reads, disk use.</summary>
internal static class FileUtil
{
    /// <summary>Writes a whole file through a temporary file and a rename, so readers never see half of it.</summary>
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
    public static void WriteNew(string path, ReadOnlySpan<byte> bytes, bool sync)
    {
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None);
        RandomAccess.Write(handle, bytes, 0);
        if (sync) RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Reads a whole file into a pooled array; the caller returns it to <see cref="System.Buffers.ArrayPool{T}.Shared"/>.</summary>
    public static byte[] ReadPooled(string path, out int length)
    {
        using var handle = File.OpenHandle(path);
        long size = RandomAccess.GetLength(handle);
        if (size > int.MaxValue) throw new InvalidDataException($"'{path}' is {size} bytes, too large for one image.");
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)size);
        int read = 0;
        while (read < size)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(read, (int)size - read), read);
            if (n == 0) break;
            read += n;
        }
        length = read;
        return buffer;
    }

    /// <summary>fsync a directory so a rename or a new file name in it is durable.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return;
        fsync(fd);
        close(fd);
    }

    /// <summary>Bytes allocated on disk (as du counts them) and apparent bytes, for a file or a whole folder.</summary>
    public static (long Allocated, long Apparent) DiskUsage(string path)
    {
        if (File.Exists(path)) return (Allocated(path, new FileInfo(path).Length), new FileInfo(path).Length);
        if (!Directory.Exists(path)) return (0, 0);
        long allocated = 0, apparent = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            apparent += file.Length;
            allocated += Allocated(file.FullName, file.Length);
        }
        return (allocated, apparent);
    }

    private static long Allocated(string file, long length)
    {
        if (!OperatingSystem.IsLinux()) return length;
        // In struct stat on both x86-64 and arm64 Linux, st_blocks (512-byte units) sits at byte offset 64.
        Span<byte> buf = stackalloc byte[256];
        unsafe
        {
            fixed (byte* p = buf)
                if (stat(file, p) != 0) return length;
        }
        return BitConverter.ToInt64(buf[64..]) * 512;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);
}
