using System.Diagnostics;
using ImageStash.Tests.Stores;
using ImageStash.Tools;

namespace ImageStash.Tests.Reliability;

/// <summary>
/// Kills `imagestash import` with SIGKILL at random moments and checks that the store survives: it opens, verifies
/// clean, holds whole batches only (a prefix of ids), and never loses what an earlier run committed.
/// IMAGESTASH_CRASH_KILLS sets the kills per store (default 3 in CI; use more for a long run).
/// </summary>
[Trait("Tier", "Full")]
public sealed class CrashTests : IDisposable
{
    private const int Batch = 500;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static int Kills => int.TryParse(Environment.GetEnvironmentVariable("IMAGESTASH_CRASH_KILLS"), out int k) && k > 0 ? k : 3;

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void A_killed_import_leaves_a_clean_prefix_of_whole_batches(string kind)
    {
        string path = StoreKinds.PathFor(kind, _dir.Path);
        var rng = new Random(kind.Length * 7919);
        long before = 0;
        for (int kill = 0; kill < Kills; kill++)
        {
            using (var child = ChildProcess.StartCli("import", "synthetic:20000:32x32", path, "--batch", Batch.ToString()))
            {
                WaitForGrowth(path, kind, before, TimeSpan.FromSeconds(20), rng.Next(50, 400));
                child.Kill(); // SIGKILL on Linux
                child.WaitForExit();
            }
            // A writer finishes what the killed one left (reading never rolls back), as the next import would.
            using (StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open })) { }
            using var store = StoreKinds.Registry.OpenRead(path);
            long count = store.Count;
            Assert.True(count >= before, $"kill {kill}: the store shrank from {before} to {count}");
            Assert.Equal(0, count % Batch);
            Assert.Equal(Enumerable.Range(0, (int)count).Select(i => (long)i), store.EnumerateIds());
            var report = StoreVerifier.Verify(store, deep: true);
            Assert.True(report.Clean, $"kill {kill}: {string.Join("; ", report.Problems.Take(3))}");
            before = count;
        }
        Assert.True(before > 0, "at least one batch should have been committed across the runs");
    }

    /// <summary>Waits until the store has grown past <paramref name="count"/> (mid-import), then a little more.</summary>
    private static void WaitForGrowth(string path, string kind, long count, TimeSpan timeout, int extraMs)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            try
            {
                using var store = StoreKinds.Registry.OpenRead(path);
                if (store.Count > count) break;
            }
            catch (ImageStashException) { } // not created yet
            catch (InvalidDataException) { } // caught mid-creation
            Thread.Sleep(20);
        }
        Thread.Sleep(extraMs);
    }
}
