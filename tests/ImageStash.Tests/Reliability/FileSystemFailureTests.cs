using System.Diagnostics;
using System.Text.RegularExpressions;
using ImageStash.Tests.Stores;
using ImageStash.Tools;

namespace ImageStash.Tests.Reliability;

/// <summary>
/// A full disk and a read-only file system, for real: a 3 MB tmpfs mounted for the test (CI runs as root).
/// The import runs as a child process, as a user's would; afterwards the store must hold whole committed batches
/// and verify clean.
/// </summary>
[Trait("Tier", "Full")]
public sealed class FileSystemFailureTests : IDisposable
{
    private static readonly Regex ProgressLine = new(@"^import → \S+( \[[^\]]*\])?: [\d,]+(/[\d,]+ \(\d+%\))?, [\d,]+ images/s");

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
        // A slow machine may print a progress line ("import → png: 600/5,000 …") before the failure; anything else
        // on stderr besides the one error line fails the test.
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string line = Assert.Single(lines, l => !ProgressLine.IsMatch(l));
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

    /// <summary>
    /// The review's suspected race: an HDF5 commit that fails rolls the store back (ids, labels and CRCs cleared and
    /// read again) while other threads read. Class names too big for the disk make SetClassNames's commit fail; four
    /// readers hammer the store throughout and must only ever see the committed images, never an error.
    /// </summary>
    [Fact]
    public async Task An_hdf5_commit_that_fails_under_readers_rolls_back_without_any_reader_seeing_it()
    {
        string path = Path.Combine(_mount, "race.h5");
        using var store = StoreKinds.Registry.Open(path);
        using (var batch = TestData.Batch(400, new ImageShape(16, 16, 3))) store.Put(batch);
        var expected = new byte[400][];
        for (int id = 0; id < 400; id++)
        {
            expected[id] = new byte[16 * 16 * 3];
            store.Read(id, expected[id]);
        }
        using var stop = new CancellationTokenSource();
        long reads = 0;
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(() =>
        {
            var buffer = new byte[16 * 16 * 3];
            var random = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                int id = random.Next(400);
                store.Read(id, buffer);
                Assert.Equal(expected[id], buffer);
                Interlocked.Increment(ref reads);
            }
        })).ToArray();
        int failures = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            long before = Interlocked.Read(ref reads);
            var huge = Enumerable.Range(0, 40_000).Select(i => $"class-{i}-{new string('x', 80)}").ToList(); // ~3.5 MB > the 3 MB disk
            var e = Assert.Throws<ImageStashException>(() => store.SetClassNames(huge));
            Assert.Contains("failed", e.Message);
            failures++;
            SpinWait.SpinUntil(() => Interlocked.Read(ref reads) > before + 100, TimeSpan.FromSeconds(5));
        }
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Equal(5, failures);
        Assert.True(reads > 500, $"the readers read only {reads} times: they did not overlap the failing commits");
        Assert.Equal(400, store.Count);
        store.SetClassNames(["a", "b"]);
        Assert.Equal(["a", "b"], store.ClassNames);
    }
}
