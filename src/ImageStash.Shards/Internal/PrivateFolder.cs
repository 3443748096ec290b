using System.Runtime.InteropServices;

namespace ImageStash.Shards.Internal;

/// <summary>
/// A folder only this user can use (0700), for the shard cache: another user who could write it could swap a cached
/// shard, and one who could read it could read shards of a private bucket. A folder someone else owns is refused.
/// </summary>
internal static class PrivateFolder
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> (0700) or checks the one there, and its parent.</summary>
    /// <exception cref="ImageStashException">The folder or its parent belongs to another user, or the folder is a symbolic link (<see cref="ImageStashError.NotWritable"/>).</exception>
    public static string Ensure(string path)
    {
        path = Path.GetFullPath(path);
        if (!OperatingSystem.IsLinux()) return Directory.CreateDirectory(path).FullName;
        string parent = Path.GetDirectoryName(path.TrimEnd('/')) ?? "/";
        Directory.CreateDirectory(parent, OwnerOnly); // new parents are private too; existing ones are left as they are
        try { Directory.CreateDirectory(path, OwnerOnly); }
        catch (IOException) when (File.Exists(path)) { throw Refused(path, "is a file, not a folder"); }
        uint me = geteuid();
        // The parent may be root's (a shared /var/cache) but not another user's, nor writable by all without the
        // sticky bit: either would let someone rename this folder away and put their own in its place.
        var (parentOwner, parentMode) = Stat(parent);
        if (parentOwner != me && parentOwner != 0) throw Refused(parent, $"belongs to another user (uid {parentOwner})");
        if ((parentMode & 0x2) != 0 && (parentMode & 0x200) == 0 && parentOwner != me) throw Refused(parent, "can be written by every user");
        var (owner, mode) = Stat(path);
        if ((mode & 0xF000) != 0x4000) throw Refused(path, "is a symbolic link or not a folder");
        if (owner != me) throw Refused(path, $"belongs to another user (uid {owner})");
        if ((mode & 0x1FF) != (int)OwnerOnly) File.SetUnixFileMode(path, OwnerOnly); // a cache made before it was kept private
        return path;
    }

    private static ImageStashException Refused(string path, string why) =>
        new($"the shard cache folder '{path}' {why}; use a cache folder of your own (IMAGESTASH_CACHE, or ShardSetOptions.CacheDirectory).", ImageStashError.NotWritable);

    /// <summary>The owner and mode of <paramref name="path"/> itself (lstat: a symbolic link is not followed).</summary>
    private static unsafe (uint Owner, int Mode) Stat(string path)
    {
        byte* buf = stackalloc byte[256];
        if (lstat(path, buf) != 0) throw new IOException($"'{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        // struct stat: x86-64 has st_nlink (8 bytes) before st_mode, arm64 has st_mode first and a 4-byte st_nlink.
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        int mode = *(int*)(buf + (x64 ? 24 : 16));
        uint owner = *(uint*)(buf + (x64 ? 28 : 24));
        return (owner, mode);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int lstat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buf);

    [DllImport("libc")]
    private static extern uint geteuid();
}
