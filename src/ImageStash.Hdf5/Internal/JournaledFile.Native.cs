using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5.Internal;

/// <summary>The journal's calls into the C library: opening without following links, file identity, reservations.</summary>
internal sealed partial class JournaledFile
{
    private const int FallocKeepSize = 1;

    // The errno values the journal acts on (Linux values: fallocate and O_NOFOLLOW are used on Linux only).
    private const int EPERM = 1, ENOENT = 2, EACCES = 13, ENOSPC = 28, ELOOP = 40;

    /// <summary>
    /// Opens a file the journal may write without following a symbolic link in its last component (O_NOFOLLOW): a link
    /// planted at a store's or journal's name must not turn a write or a rollback into a write somewhere else.
    /// </summary>
    /// <exception cref="SymbolicLinkRefused">The path is a symbolic link.</exception>
    internal static SafeFileHandle OpenNoFollow(string path, FileMode mode, bool writable)
    {
        if (!OperatingSystem.IsLinux())
            return File.OpenHandle(path, mode, writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
        int flags = (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | mode switch
        {
            FileMode.CreateNew => O_CREAT | O_EXCL,
            FileMode.Create => O_CREAT | O_TRUNC,
            FileMode.OpenOrCreate => O_CREAT,
            FileMode.Open => 0,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a mode the journal uses"),
        };
        int fd = open(path, flags, 0x1B6); // 0666, less the umask, as File.OpenHandle creates files
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        int errno = Marshal.GetLastPInvokeError();
        if (errno == ELOOP) throw new SymbolicLinkRefused(path);
        string message = $"'{path}': {Marshal.GetPInvokeErrorMessage(errno)}";
        throw errno switch
        {
            ENOENT => new FileNotFoundException(message, path),
            EACCES or EPERM => new UnauthorizedAccessException(message),
            _ => new IOException(message, errno),
        };
    }

    /// <summary>The open file's device and inode: what a journal records so it is never applied to another file.</summary>
    internal static unsafe (ulong Device, ulong Inode) Identity(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux()) return default;
        // st_dev and st_ino are the first two 64-bit fields of struct stat on x86-64 and arm64 Linux alike.
        byte* buf = stackalloc byte[256];
        if (fstat((int)file.DangerousGetHandle(), buf) != 0) throw new IOException($"fstat failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return (*(ulong*)buf, *(ulong*)(buf + 8));
    }

    /// <summary>A store's or journal's path is a symbolic link, which a writer does not follow.</summary>
    internal sealed class SymbolicLinkRefused(string path) : IOException($"'{path}' is a symbolic link; a store is written only through its real path.")
    {
        public string LinkPath { get; } = path;
    }

    /// <summary>A hot journal that cannot be applied to the file beside it.</summary>
    internal sealed class JournalMismatch(string path, string why) : IOException($"'{path}': its journal cannot be applied: {why}.")
    {
        public string Why { get; } = why;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int fstat(int fd, byte* buf);

    [DllImport("libc", SetLastError = true)]
    private static extern int fallocate(int fd, int mode, long offset, long length);
}
