using System.Diagnostics;
using ImageStash.Cli;
using ImageStash.Hdf5.Internal;

namespace ImageStash.Tests;

/// <summary>
/// The test assembly's entry point, for child processes the tests start with <see cref="ChildProcess.TestChild"/>
/// (the test host never calls it). Faults are injected here, on the test side: the product reports a point, this
/// process dies there.
/// </summary>
public static class TestChild
{
    public static int Main(string[] args) => args switch
    {
        // hdf5-kill-at N CLI-ARGS…: runs the imagestash CLI and is killed (SIGKILL) at the store's Nth in-place
        // write, after its journal record and before the overwrite — a writer dying inside libhdf5's flush.
        ["hdf5-kill-at", var n, .. var cli] => KillAtOverwrite(long.Parse(n), cli),
        _ => Usage(),
    };

    private static int KillAtOverwrite(long killAt, string[] cli)
    {
        long seen = 0;
        JournaledFile.Overwriting += () =>
        {
            if (Interlocked.Increment(ref seen) == killAt) Process.GetCurrentProcess().Kill();
        };
        return ImageStashApp.Run(cli);
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: ImageStash.Tests.dll hdf5-kill-at N IMAGESTASH-ARGS…");
        return 2;
    }
}
