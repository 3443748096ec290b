using ImageStash.Tests.Cli;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 7: another user's LMDB store, which we may read but not write (LMDB wants to write lock.mdb even to
/// read), opens for reading without the lock table; writing to it says plainly that it is not writable.
/// Root reads anything, so the test runs the CLI as "nobody" (uid 65534) through setpriv; elsewhere it is skipped.
/// </summary>
public sealed class LmdbReadOnlyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Exit, string Out, string Err) AsNobody(params string[] args) =>
        ChildProcess.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp", "dotnet", ChildProcess.CliDll, .. args], timeoutMs: 60_000);

    [Fact]
    [Trait("Tier", "Full")]
    public void Another_users_store_reads_without_its_lock_file_and_refuses_writes_plainly()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv")) return; // needs root to become another user
        string store = _dir.File("s.lmdb");
        Assert.Equal(0, CliRunner.Run("import", "synthetic:10:8x8", store).Exit);
        foreach (bool withLockFile in new[] { true, false })
        {
            if (!withLockFile) File.Delete(Path.Combine(store, "lock.mdb"));
            var (exit, output, err) = AsNobody("info", store);
            Assert.True(exit == 0, err);
            Assert.Contains("images:   10", output);
            string copy = $"/tmp/imagestash-readonly-{Guid.NewGuid():N}.png"; // somewhere nobody may write
            try { Assert.Equal(0, AsNobody("get", store, "3", "-o", copy).Exit); }
            finally { File.Delete(copy); }
        }
        var write = AsNobody("import", "synthetic:1:8x8", store);
        Assert.Equal(1, write.Exit);
        string line = Assert.Single(write.Err.Split('\n'), l => l.StartsWith("imagestash: error: ", StringComparison.Ordinal)).TrimEnd();
        Assert.DoesNotContain("is it an LMDB store", line);
        Assert.StartsWith($"imagestash: error: cannot write store '{store}': ", line);
        Assert.EndsWith("choose a writable location, or open the store read-only.", line);
    }
}
