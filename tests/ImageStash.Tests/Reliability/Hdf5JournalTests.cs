using ImageStash.Hdf5.Internal;
using ImageStash.Tests.Stores;
using ImageStash.Tools;

namespace ImageStash.Tests.Reliability;

/// <summary>
/// The HDF5 store's rollback journal (docs/formats/hdf5.md): a write that dies at any point leaves the file as it was
/// at its last commit once recovered. First on the journal alone (a crash after every step, and a torn last record),
/// then end to end: `imagestash import` in a child process (<see cref="TestChild"/>) killed at chosen points
/// inside libhdf5's metadata flush, which the store reports.
/// </summary>
public sealed class Hdf5JournalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // In-place overwrites, writes that straddle the committed end, appends, a shrink and a regrow.
    private static readonly (long Address, int Length)[] Writes =
        [(0, 96), (4000, 300), (60_000, 8_000), (100, 50), (70_000, 4096), (0, 96), (32_000, 1)];

    private byte[] Committed(string path)
    {
        var bytes = new byte[65_536];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    /// <summary>Runs the first <paramref name="steps"/> steps of a transaction on <paramref name="path"/>, then "dies" (no commit).</summary>
    private static void Crash(string path, int steps, bool commitFirst = false)
    {
        var file = new JournaledFile(path, FileMode.Open, writable: true);
        var rng = new Random(11);
        int step = 0;
        foreach (var (address, length) in Writes)
        {
            if (step++ == steps) break;
            var data = new byte[length];
            rng.NextBytes(data);
            file.Eoa = Math.Max(file.Eoa, address + length);
            file.Write(address, data);
            if (step == 3)
            {
                file.Eoa = 20_000; // libhdf5 shrinking the file at a flush: the cut-off committed bytes are journaled too
                file.Truncate();
            }
        }
        if (commitFirst) file.Commit();
        file.CloseData();
        file.CloseJournal();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the process died while appending the next record (its overwrite never started): garbage at the end
    public void A_crash_after_any_step_rolls_the_file_back_to_its_committed_bytes(bool tornLastRecord)
    {
        for (int steps = 1; steps <= Writes.Length; steps++)
        {
            string path = _dir.File($"crash-{steps}.bin");
            var committed = Committed(path);
            Crash(path, steps);
            if (tornLastRecord)
                using (var journal = File.Open(JournaledFile.JournalPath(path), FileMode.Append))
                    journal.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27 });
            Assert.True(JournaledFile.IsHot(path), $"after {steps} steps the journal should hold an open commit");
            Assert.True(JournaledFile.Recover(path));
            Assert.Equal(committed, File.ReadAllBytes(path));
            Assert.False(JournaledFile.IsHot(path));
            Assert.False(JournaledFile.Recover(path), "a second recovery has nothing to do");
        }
    }

    [Fact]
    public void A_committed_transaction_stays()
    {
        string path = _dir.File("committed.bin");
        Committed(path);
        Crash(path, Writes.Length, commitFirst: true);
        var after = File.ReadAllBytes(path);
        Assert.False(JournaledFile.IsHot(path));
        Assert.False(JournaledFile.Recover(path));
        Assert.Equal(after, File.ReadAllBytes(path));
        Assert.Equal(70_000 + 4096, after.Length);
    }

    [Fact]
    public void Deferred_writes_are_seen_by_reads_land_in_order_and_roll_back_like_any_other()
    {
        string path = _dir.File("deferred.bin");
        var committed = Committed(path);
        var file = new JournaledFile(path, FileMode.Open, writable: true) { Eoa = 80_000 };
        file.Defer();
        file.Write(1000, [1, 2, 3, 4]);
        file.Write(1002, [9, 9]);
        file.Write(70_000, [7, 7, 7]);
        var seen = new byte[6];
        file.Read(999, seen);
        Assert.Equal(new byte[] { committed[999], 1, 2, 9, 9, committed[1004] }, seen);
        Assert.Equal(committed, File.ReadAllBytes(path)); // nothing written yet
        file.ApplyDeferred();
        var after = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 1, 2, 9, 9 }, after[1000..1004]);
        Assert.Equal(new byte[] { 7, 7, 7 }, after[70_000..70_003]);
        file.CloseData(); // killed before the commit
        file.CloseJournal();
        Assert.True(JournaledFile.Recover(path));
        Assert.Equal(committed, File.ReadAllBytes(path));
    }

    [Trait("Tier", "Full")]
    [Fact]
    public void An_import_killed_inside_libhdf5s_flush_leaves_the_last_commit()
    {
        // 1..34: early kills land in the first commit's metadata, later ones in later batches' flushes.
        int killedRuns = 0;
        foreach (int killAt in new[] { 1, 2, 3, 5, 8, 13, 21, 34 })
        {
            string path = _dir.File($"store-{killAt}.h5");
            var (exit, _, err) = ChildProcess.Cli(null, "import", "synthetic:1000:32x32", path, "--batch", "500");
            Assert.True(exit == 0, err);
            (exit, _, err) = ChildProcess.TestChild("hdf5-kill-at", killAt.ToString(), "import", "synthetic:2000:32x32", path, "--batch", "500");
            Assert.True(exit != 0 || !JournaledFile.IsHot(path), $"kill at write {killAt}: exit {exit} {err}");
            bool killed = exit != 0;
            if (killed) killedRuns++;
            if (killed) Assert.True(JournaledFile.IsHot(path), $"kill at write {killAt}: the journal should be hot");

            if (killed) Assert.Equal(ImageStashError.UnfinishedCommit, Assert.Throws<ImageStashException>(() => StoreKinds.Registry.OpenRead(path)).Error);
            using (StoreKinds.Registry.Open(path, new StoreOptions { Mode = StoreOpenMode.Open })) { } // a writer rolls back
            using (var store = StoreKinds.Registry.OpenRead(path))
            {
                Assert.False(JournaledFile.IsHot(path));
                long count = store.Count;
                Assert.True(count >= 1000 && count % 500 == 0 && count <= 3000, $"kill at write {killAt}: {count} images");
                Assert.Equal(Enumerable.Range(0, (int)count).Select(i => (long)i), store.EnumerateIds());
                var report = StoreVerifier.Verify(store, deep: true);
                Assert.True(report.Clean, $"kill at write {killAt}: {string.Join("; ", report.Problems.Take(3))}");
            }
            // And it takes appends again.
            (exit, _, err) = ChildProcess.Cli(null, "import", "synthetic:500:32x32", path, "--batch", "500");
            Assert.True(exit == 0, $"kill at write {killAt}: append after recovery failed: {err}");
        }
        Assert.True(killedRuns > 0, "no import was killed: the store no longer reports its in-place writes");
    }
}
