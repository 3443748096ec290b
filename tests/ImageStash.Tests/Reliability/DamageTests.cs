using ImageStash.Loading;
using ImageStash.Tests.Cli;
using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Reliability;

/// <summary>
/// The review's damage test: a store is damaged in six ways (fixed seeds) and read through <c>get</c>,
/// <c>export</c>, <c>loader-bench</c> and the library API. Every reader must answer: exit 0 (the damage missed what
/// it reads) or exit 1 with one line naming the store, never a signal or an unexpected exception; the library API
/// must succeed or throw an exception whose message names the store.
/// <para>
/// The suite runs one seed per way in-process (a crash there ends the test run, which fails it too). The long run,
/// <c>benchmarks/damage/run.sh</c>, sets IMAGESTASH_DAMAGE_SEEDS=50, IMAGESTASH_DAMAGE_IMAGES=5000 and
/// IMAGESTASH_DAMAGE_CHILD=1 (each command in its own process, so an exit code ≥ 128 is seen) and
/// IMAGESTASH_DAMAGE_REPORT=FILE for the table of outcomes.
/// </para>
/// </summary>
[Trait("Tier", "Full")] // 2,000 images per store kind, damaged and read every way: 20-30 s of CPU, too long for the quick tier
public sealed class DamageTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static int Seeds => Setting("IMAGESTASH_DAMAGE_SEEDS", 1);

    private static int Images => Setting("IMAGESTASH_DAMAGE_IMAGES", 2_000);

    /// <summary>IMAGESTASH_DAMAGE_KINDS=lmdb,png: the long run in benchmarks/damage takes some kinds at a time (the others pass untested).</summary>
    private static bool Wanted(string kind) =>
        Environment.GetEnvironmentVariable("IMAGESTASH_DAMAGE_KINDS") is not { Length: > 0 } kinds || kinds.Split(',').Contains(kind);

    /// <summary>IMAGESTASH_DAMAGE_FIRST_SEED: where the seeds start (to continue a long run).</summary>
    private static int FirstSeed => Setting("IMAGESTASH_DAMAGE_FIRST_SEED", 0);

    private static bool InChildProcesses => Environment.GetEnvironmentVariable("IMAGESTASH_DAMAGE_CHILD") == "1";

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n > 0 ? n : fallback;

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void Every_reader_of_a_damaged_store_answers_one_clear_line(string kind)
    {
        if (!Wanted(kind)) return;
        string pristine = StoreKinds.PathFor(kind, _dir.Path, "pristine");
        using (var store = StoreKinds.Create(kind, _dir.Path, "pristine"))
        {
            for (int first = 0; first < Images; first += 1_000)
            {
                using var batch = TestData.Batch(Math.Min(1_000, Images - first), new ImageShape(32, 32, 3), firstId: first, seed: first + 1);
                store.Put(batch);
            }
            store.SetClassNames([.. Enumerable.Range(0, 10).Select(i => $"class-{i}")]);
        }
        var failures = new List<string>();
        for (int seed = FirstSeed; seed < FirstSeed + Seeds; seed++)
        {
            for (int w = 0; w < StoreDamage.Ways.Count; w++)
            {
                var way = StoreDamage.Ways[w];
                var rng = new Random(seed * 1009 + w * 101 + kind.Length * 7);
                string copy = StoreKinds.PathFor(kind, _dir.Path, $"damaged-{seed}-{way.Name}");
                StoreDamage.Copy(pristine, copy);
                string victim = StoreDamage.PickFile(copy, rng);
                string how = $"{way.Name}: {way.Apply(victim, rng)} {Path.GetRelativePath(_dir.Path, victim)}";
                long id = rng.Next(Images);
                if (Environment.GetEnvironmentVariable("IMAGESTASH_DAMAGE_KEEP") is { Length: > 0 } keep) // for a debugger
                    StoreDamage.Copy(copy, Path.Combine(keep, Path.GetFileName(copy)));
                foreach (var (reader, outcome) in Readers(copy, id, started => Log($"| {kind} | {seed} | {how} | {started} | (running) |")))
                {
                    Log($"| {kind} | {seed} | {how} | {reader} | {outcome.Summary} |");
                    if (outcome.Failure is { } why) failures.Add($"{how}, {reader}: {why}");
                }
                DeleteCopy(copy);
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private IEnumerable<(string Reader, Outcome Outcome)> Readers(string store, long id, Action<string> starting)
    {
        string output = Path.Combine(_dir.Path, "out");
        starting("get");
        yield return ("get", Cli(store, "get", store, id.ToString(), "-o", Path.Combine(_dir.Path, "one.png")));
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        starting("export");
        yield return ("export", Cli(store, "export", store, output));
        starting("loader-bench");
        yield return ("loader-bench", Cli(store, "loader-bench", store, "--epochs", "1", "--shuffle"));
        starting("library");
        yield return ("library", Library(store));
    }

    /// <summary>A line of the outcome table (IMAGESTASH_DAMAGE_REPORT), written at once: a crash leaves the case that caused it as the last line.</summary>
    private static void Log(string line)
    {
        if (Environment.GetEnvironmentVariable("IMAGESTASH_DAMAGE_REPORT") is { Length: > 0 } file)
            lock (typeof(DamageTests)) File.AppendAllText(file, line + "\n");
    }

    private static Outcome Cli(string store, params string[] args)
    {
        var (exit, _, err) = InChildProcesses ? ChildProcess.Cli(null, args) : CliRunner.Run(args);
        // Progress lines (a plain line a second, as on a log) may come first; then the one error line.
        string[] lines = [.. err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith(args[0] + ": ", StringComparison.Ordinal))];
        string summary = exit == 0 ? "exit 0" : $"exit {exit}: {(lines.Length > 0 ? lines[^1].Trim() : "(nothing on stderr)")}";
        string? failure = exit switch
        {
            0 => null,
            >= 128 or < 0 => $"killed (exit {exit})\n{err}",
            1 when lines.Length != 1 => $"{lines.Length} lines on stderr besides progress, not one\n{err}",
            1 when !lines[0].StartsWith("imagestash: error:", StringComparison.Ordinal) || lines[0].Contains("unexpected") =>
                $"not a clear error line: {lines[0]}",
            1 when !lines[0].Contains(Path.GetFileName(store)) => $"the line does not name the store: {lines[0]}",
            1 => null,
            _ => $"exit {exit}\n{err}",
        };
        return new Outcome(summary.Replace('|', '/'), failure);
    }

    /// <summary>Everything a training program does: open, count, one epoch of the loader over every image.</summary>
    private static Outcome Library(string path)
    {
        try
        {
            using var store = StoreKinds.Builtin.Open(path, new StoreOptions { Mode = StoreOpenMode.ReadOnly });
            using var loader = new ImageLoader(store, new LoaderOptions { BatchSize = 256, Workers = 2 });
            long images = 0;
            foreach (var batch in loader.NextEpoch()) images += batch.Count;
            return new Outcome($"read {images} images", null);
        }
        catch (Exception e) when (e is ImageStashException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            string line = e.Message.Split('\n')[0];
            return new Outcome($"{e.GetType().Name}: {line}".Replace('|', '/'),
                e.Message.Contains(Path.GetFileName(path)) ? null : $"{e.GetType().Name} does not name the store: {e.Message}");
        }
        catch (Exception e)
        {
            return new Outcome($"{e.GetType().Name}", $"unexpected {e}");
        }
    }

    private static void DeleteCopy(string copy)
    {
        if (File.Exists(copy)) File.Delete(copy);
        else if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
    }

    private sealed record Outcome(string Summary, string? Failure);
}
