using System.Diagnostics;
using System.Globalization;

namespace ImageStash.Tests.Security;

/// <summary>
/// Issue 23, part 7: `imagestash verify` checks a store in a child process; killing the verify must not leave that
/// child running (it asks the kernel for SIGKILL when its parent dies, PR_SET_PDEATHSIG).
/// </summary>
[Trait("Tier", "Full")]
public sealed class VerifyChildTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Killing_verify_kills_its_child()
    {
        if (!OperatingSystem.IsLinux()) return;
        string store = _dir.File("s.lmdb");
        Assert.Equal(0, ChildProcess.Cli(null, "import", "synthetic:20000:32x32", store).Exit);
        using var verify = ChildProcess.StartCli("verify", store, "--deep");
        int child = 0;
        try
        {
            // The child has asked for its parent's death signal once it has the store open (that comes after).
            var deadline = Stopwatch.StartNew();
            while (child == 0 || !HasOpen(child, store))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60) && !verify.HasExited, "verify's child never opened the store");
                child = ChildOf(verify.Id);
                Thread.Sleep(5);
            }
            // Stopped, the child can't finish on its own: only the kernel's death signal ends it.
            Assert.Equal(0, ChildProcess.Run("kill", ["-STOP", child.ToString(CultureInfo.InvariantCulture)]).Exit);
            verify.Kill();
            verify.WaitForExit();
            deadline.Restart();
            while (IsRunning(child) && deadline.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
            Assert.False(IsRunning(child), $"verify's child {child} outlived its killed parent");
        }
        finally
        {
            if (child != 0 && IsRunning(child)) ChildProcess.Run("kill", ["-KILL", child.ToString(CultureInfo.InvariantCulture)]);
        }
    }

    /// <summary>The first process whose parent is <paramref name="parent"/>, or 0.</summary>
    private static int ChildOf(int parent)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // state, ppid, …
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parent) return pid;
            }
            catch (IOException) { } // gone meanwhile
        }
        return 0;
    }

    private static bool HasOpen(int pid, string folder)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget?.StartsWith(Path.GetFullPath(folder), StringComparison.Ordinal) == true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Whether the process exists and is not a zombie (a zombie has died; its parent has not reaped it).</summary>
    private static bool IsRunning(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return false; }
    }
}
