using System.Runtime.InteropServices;

namespace ImageStash.Internal;

/// <summary>Small file-system helpers shared by the stores: atomic replace, pooled reads, disk use.</summary>
internal static class FileUtil
{
    /// <summary>Reads a whole file into a pooled array; the caller returns it to <see cref="System.Buffers.ArrayPool{T}.Shared"/>.</summary>
    public static unsafe byte[] ReadPooled(string path, out int length)
    {
        if (!OperatingSystem.IsLinux())
        {
            using var handle = File.OpenHandle(path);
            long size = RandomAccess.GetLength(handle);
            if (size > int.MaxValue) throw new InvalidDataException($"'{path}' is {size} bytes, too large for one image.");
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
            int read = 0;
            for (int n; read < size && (n = RandomAccess.Read(handle, buffer.AsSpan(read, (int)size - read), read)) > 0;) read += n;
            length = read;
            return buffer;
        }
        const int O_RDONLY = 0, O_CLOEXEC = 0x80000;
        int fd = open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) throw Error(path);
        var data = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int total = 0;
            while (true)
            {
                if (total == data.Length)
                {
                    if (data.Length >= int.MaxValue / 2) throw new InvalidDataException($"'{path}' is too large for one image.");
                    var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(data.Length * 2);
                    data.AsSpan(0, total).CopyTo(bigger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(data);
                    data = bigger;
                }
                nint n;
                fixed (byte* p = data) n = read(fd, p + total, data.Length - total);
                if (n < 0) throw Error(path);
                if (n == 0) break;
                total += (int)n;
            }
            length = total;
            return data;
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(data);
            throw;
        }
        finally { close(fd); }
    }

    /// <summary>
    /// Reads a whole file into <paramref name="slot"/>, sized for it when it was listed. A file that has grown since
    /// is read into <paramref name="own"/> instead, allocated for it (null otherwise).
    /// </summary>
    /// <returns>The file's length.</returns>
    public static unsafe int ReadInto(string path, Span<byte> slot, ref byte[]? own)
    {
        own = null;
        if (!OperatingSystem.IsLinux())
        {
            using var handle = File.OpenHandle(path);
            long size = RandomAccess.GetLength(handle);
            if (size > MaxImageFileBytes) throw TooLarge(path, size);
            var target = size <= slot.Length ? slot : (own = new byte[size]);
            int got = 0;
            for (int n; got < size && (n = RandomAccess.Read(handle, target[got..(int)size], got)) > 0;) got += n;
            return got;
        }
        int fd = OpenRegular(path);
        try
        {
            int total = 0;
            fixed (byte* p = slot)
                while (total < slot.Length)
                {
                    nint n = read(fd, p + total, slot.Length - total);
                    if (n < 0) throw Error(path);
                    if (n == 0) return total;
                    total += (int)n;
                }
            // The slot is full: the file may have grown since it was listed (one byte more says so).
            byte probe;
            nint more = read(fd, &probe, 1);
            if (more < 0) throw Error(path);
            if (more == 0) return total;
            byte[] buffer = new byte[Math.Max(64 * 1024, slot.Length * 2L)];
            slot.CopyTo(buffer);
            buffer[total++] = probe;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length >= MaxImageFileBytes) throw TooLarge(path, total);
                    Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, MaxImageFileBytes + 1));
                }
                nint n;
                fixed (byte* p = buffer) n = read(fd, p + total, buffer.Length - total);
                if (n < 0) throw Error(path);
                if (n == 0) break;
                total += (int)n;
            }
            if (total > slot.Length) own = buffer;
            return total;
        }
        finally { close(fd); }
    }

    /// <summary>
    /// The largest image file import reads (1 GiB, the most pixel bytes one image may have): anything larger is not an
    /// image ImageStash can store, and reading it would only fill memory.
    /// </summary>
    public const long MaxImageFileBytes = 1L << 30;

    private static IOException TooLarge(string path, long bytes) =>
        new($"'{path}' holds at least {bytes:N0} bytes, more than the {MaxImageFileBytes:N0} an image file may have: not an image ImageStash can store");

    /// <summary>
    /// Opens <paramref name="path"/> for reading if it is a regular file (or a symbolic link to one) of at most
    /// <see cref="MaxImageFileBytes"/>. A FIFO, device or socket is refused without being read: O_NONBLOCK keeps
    /// the open itself from waiting for a FIFO's writer, and fstat on the open descriptor sees what was opened.
    /// </summary>
    /// <exception cref="IOException">The path is not a regular file, is too large, or cannot be opened.</exception>
    private static unsafe int OpenRegular(string path)
    {
        const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0) throw Error(path);
        byte* buf = stackalloc byte[256];
        if (fstat(fd, buf) != 0)
        {
            var e = Error(path);
            close(fd);
            throw e;
        }
        // struct stat: st_mode at 24 on x86-64 (after an 8-byte st_nlink), at 16 on arm64; st_size at 48 on both.
        int mode = *(int*)(buf + (RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16));
        long size = *(long*)(buf + 48);
        string? kind = (mode & 0xF000) switch
        {
            0x8000 => null,
            0x1000 => "a FIFO",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            0x4000 => "a folder",
            _ => "not a regular file",
        };
        if (kind is null && size <= MaxImageFileBytes) return fd;
        close(fd);
        throw kind is null ? TooLarge(path, size) : new IOException($"'{path}' is {kind}, not a regular file: import reads regular files (and symbolic links to them) only");
    }

    internal static Exception Error(string path) => Errno.ToException(path, Marshal.GetLastPInvokeError());

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

    /// <summary>
    /// Reserves disk blocks for [<paramref name="offset"/>, +<paramref name="length"/>) without changing the file's
    /// length (fallocate FALLOC_FL_KEEP_SIZE), as a writer that allocates ahead does; false where unsupported.
    /// </summary>
    public static bool TryReserve(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return false;
        try { return fallocate((int)file.DangerousGetHandle(), 1, offset, length) == 0; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fallocate(int fd, int mode, long offset, long length);

    [DllImport("libc", SetLastError = true)]
    internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    internal static extern unsafe nint write(int fd, byte* buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe nint read(int fd, byte* buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    internal static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    internal static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int fstat(int fd, byte* buf);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);
}
