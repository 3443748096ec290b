using System.Reflection;
using System.Runtime.InteropServices;
using LightningDB;

namespace ImageStash.Lmdb.Internal;

/// <summary>
/// Points LightningDB at the system's LMDB 0.9 (Debian: liblmdb0, file liblmdb.so.0). LightningDB's bundled
/// library is LMDB 1.0: its file format is unreadable by py-lmdb and mdb_stat, and on Debian 12 it does not even
/// load (built for glibc 2.38). The project excludes it, so this resolver is the only way LMDB gets loaded.
/// </summary>
internal static class LmdbNative
{
    /// <summary>Set to a library file to load that one instead of searching (also how tests simulate a missing library).</summary>
    public const string OverrideVariable = "IMAGESTASH_LMDB_LIBRARY";

    private static readonly string[] Candidates =
        ["liblmdb.so.0", "liblmdb.so", "liblmdb.0.dylib", "liblmdb.dylib", "lmdb.dll", "liblmdb.dll"];

    private static readonly Lazy<IntPtr> Handle = new(Load);
    private static int _registered, _mallocTuned;

    /// <summary>
    /// Keeps freed heap memory in the process (glibc's M_TRIM_THRESHOLD, M_MMAP_THRESHOLD). LMDB mallocs every dirty
    /// page of a write transaction and frees them at its commit; with glibc's defaults the freed memory is handed back
    /// to the kernel and faulted in again by the next commit, so every batch of photos paid the page faults of its
    /// whole size again. Process-wide, once, for writers only; a no-op where the C library has no mallopt.
    /// </summary>
    public static void KeepFreedMemory()
    {
        if (Interlocked.Exchange(ref _mallocTuned, 1) != 0 || !OperatingSystem.IsLinux()) return;
        const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;
        try
        {
            mallopt(M_TRIM_THRESHOLD, 256 << 20);
            mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's largest: values up to 32 MB come from the heap too
        }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
    }

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);

    /// <summary>Loads LMDB once and routes LightningDB's imports to it.</summary>
    /// <exception cref="ImageStashException">No LMDB library is installed; the message names the package.</exception>
    public static void EnsureLoaded()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, Resolve);
        if (Handle.Value == IntPtr.Zero)
            throw ImageStashException.NativeLibraryMissing(
                Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } o ? $"'{o}' (from {OverrideVariable})" : "liblmdb.so.0 (LMDB 0.9)",
                "liblmdb0");
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == "lmdb" ? Handle.Value : IntPtr.Zero;

    private static IntPtr Load()
    {
        string? chosen = Environment.GetEnvironmentVariable(OverrideVariable);
        foreach (string candidate in chosen is { Length: > 0 } ? [chosen] : Candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
