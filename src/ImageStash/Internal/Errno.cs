namespace ImageStash.Internal;

/// <summary>
/// The operating-system error codes ImageStash acts on, named in one place. .NET on Linux and macOS puts the errno of
/// a failed call into <see cref="Exception.HResult"/>; Windows puts 0x8007xxxx with the Win32 code in the low bits.
/// </summary>
internal static class Errno
{
    public const int EPERM = 1, ENOENT = 2, EIO = 5, EACCES = 13, ENOSPC = 28, EROFS = 30;

    /// <summary>EWOULDBLOCK (EAGAIN): 11 on Linux, 35 on macOS.</summary>
    public static readonly int EWOULDBLOCK = OperatingSystem.IsMacOS() ? 35 : 11;
    private const int ErrorHandleDiskFull = 39, ErrorDiskFull = 112, ErrorLockViolation = 33, ErrorSharingViolation = 32;

    /// <summary>The disk (or quota) is full.</summary>
    public static bool IsDiskFull(Exception e) =>
        e.HResult == ENOSPC || (e.HResult & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000) && (e.HResult & 0xFFFF) is ErrorDiskFull or ErrorHandleDiskFull;

    /// <summary>The device reported an I/O error (a failing disk; also what a full tmpfs returns through some writes).</summary>
    public static bool IsIoError(Exception e) => e.HResult == EIO;

    /// <summary>Another process holds the file's lock (flock: EWOULDBLOCK; Windows: a sharing or lock violation).</summary>
    public static bool IsLockedElsewhere(Exception e) =>
        e.HResult == EWOULDBLOCK || (e.HResult & 0xFFFF) is ErrorSharingViolation or ErrorLockViolation && e.HResult < 0;

    /// <summary>
    /// The exception for a C library call on <paramref name="path"/> that failed with <paramref name="errno"/>, as
    /// .NET's own file APIs throw it: FileNotFoundException for ENOENT, UnauthorizedAccessException for EACCES and
    /// EPERM, else an IOException whose HResult is the errno (so the checks above work on it).
    /// </summary>
    public static Exception ToException(string path, int errno)
    {
        string message = $"'{path}': {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}";
        return errno switch
        {
            ENOENT => new FileNotFoundException(message, path),
            EACCES or EPERM => new UnauthorizedAccessException(message),
            _ => new IOException(message, errno),
        };
    }
}
