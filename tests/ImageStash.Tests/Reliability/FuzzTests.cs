using ImageStash.Tests.Stores;

namespace ImageStash.Tests.Reliability;

/// <summary>
/// Damages store files at random (fixed seeds) — flipped bytes or truncation of data.mdb, the .h5 file, a PNG,
/// labels.csv or imagestash.json — and runs `imagestash verify --deep` on each in a child process, so a native
/// crash is caught: it must end with exit 0 (damage missed, e.g. in free space) or 1 (damage reported), never an
/// unhandled exception or a signal. IMAGESTASH_FUZZ_ITERATIONS sets the iterations per store (default 12).
/// </summary>
[Trait("Tier", "Full")]
public sealed class FuzzTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("IMAGESTASH_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 12;

    [Theory]
    [MemberData(nameof(StoreKinds.All), MemberType = typeof(StoreKinds))]
    public void Damaged_stores_are_reported_never_crash(string kind)
    {
        string template = StoreKinds.PathFor(kind, _dir.Path, "template");
        using (var store = StoreKinds.Create(kind, _dir.Path, "template"))
        {
            using var batch = TestData.Batch(60, new ImageShape(16, 16, 3), seed: 5);
            store.Put(batch);
            store.SetClassNames([.. Enumerable.Range(0, 10).Select(i => $"class-{i}")]);
        }
        int reported = 0;
        var outcomes = new List<string>();
        for (int i = 0; i < Iterations; i++)
        {
            var rng = new Random(i * 31 + kind.Length);
            string copy = StoreKinds.PathFor(kind, _dir.Path, $"fuzz-{i}");
            StoreDamage.Copy(template, copy);
            string victim = StoreDamage.PickFile(copy, rng);
            string how = Damage(victim, rng);
            var (exit, output, err) = ChildProcess.Cli(null, "verify", copy, "--deep");
            string what = $"iteration {i}: {how} {Path.GetFileName(victim)} -> exit {exit}";
            outcomes.Add(what);
            if (exit is not (0 or 1))
            {
                // Keep the evidence: the damaged store that crashed the child, for a debugger.
                string kept = Path.Combine(Path.GetTempPath(), $"imagestash-fuzz-crash-{kind}-{i}{Path.GetExtension(copy)}");
                if (File.Exists(copy)) File.Copy(copy, kept, overwrite: true);
                what += $" (kept as {kept})";
            }
            Assert.True(exit is 0 or 1, $"{what}\n{err}{output}");
            Assert.DoesNotContain("Unhandled exception", err);
            Assert.DoesNotContain("unexpected", err);
            if (exit == 1)
            {
                reported++;
                Assert.True(err.Length == 0 || err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, $"{what}: one line on stderr\n{err}");
            }
        }
        Assert.True(reported > 0, "some damage should be reported:\n" + string.Join('\n', outcomes));
    }

    private static string Damage(string file, Random rng)
    {
        byte[] bytes = File.ReadAllBytes(file);
        if (bytes.Length == 0) return "left empty";
        if (rng.Next(3) == 0)
        {
            int keep = rng.Next(bytes.Length);
            File.WriteAllBytes(file, bytes[..keep]);
            return $"truncated to {keep} bytes";
        }
        int flips = 1 + rng.Next(8);
        for (int k = 0; k < flips; k++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 + rng.Next(255));
        File.WriteAllBytes(file, bytes);
        return $"flipped {flips} bytes in";
    }
}
