using System.Diagnostics;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Reliability;

/// <summary>
/// A full disk and a read-only file system, for real: a 3 MB tmpfs mounted for the test (CI runs as root).
/// The import runs as a child process, as a user's would; afterwards the store must hold whole committed batches
/// and verify clean.
/// </summary>
[Trait("Tier", "Full")]
public sealed class FileSystemFailureTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _mount;

    public FileSystemFailureTests()
    {
        _mount = _dir.File("mnt");
        Directory.CreateDirectory(_mount);
        Run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", _mount);
    }

    public void Dispose()
    {
        // Lazy: a child that has just been killed may still hold a file on it for a moment.
        try { Run("umount", "-l", _mount); } catch (InvalidOperationException) { }
        _dir.Dispose();
    }

    private static void Run(string file, params string[] args)
    {
        var (exit, _, err) = ChildProcess.Run(file, args);
        if (exit != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {err}");
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void A_full_disk_fails_with_one_line_and_keeps_every_committed_batch(string kind)
    {
        string path = StoreKinds.PathFor(kind, _mount);
        var (exit, _, err) = ChildProcess.Cli(null, "import", "synthetic:5000", path, "--batch", "200");
        Assert.Equal(1, exit);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"imagestash: error: writing to store '{path}' failed", line);
        Assert.Contains("images committed before this batch are kept", line);
        using var store = StoreKinds.Registry.OpenRead(path);
        Assert.True(store.Count > 0, "some batches fit before the disk filled");
        Assert.Equal(0, store.Count % 200);
        var report = StoreVerifier.Verify(store, deep: true);
        Assert.True(report.Clean, string.Join("; ", report.Problems.Take(3)));
    }

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void A_read_only_location_says_so(string kind)
    {
        Run("mount", "-o", "remount,ro", _mount);
        string path = StoreKinds.PathFor(kind, _mount);
        var (exit, _, err) = ChildProcess.Cli(null, "import", "synthetic:10", path);
        Assert.Equal(1, exit);
        string line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"imagestash: error: cannot write store '{path}': Read-only file system", line);
        Assert.EndsWith("choose a writable location, or open the store read-only.", line);
    }
}
