namespace ImageStash.Tests.Reliability;

/// <summary>Ways to damage a store's files, with a seeded random source: for the fuzz and damage tests.</summary>
public static class StoreDamage
{
    private const int Page = 4096;

    /// <summary>A way to damage one file; <see cref="Apply"/> says what it did.</summary>
    public sealed record Way(string Name, Func<string, Random, string> Apply);

    /// <summary>
    /// Seven ways: as the review's damage test, 40 bytes scattered past data.mdb's meta pages; a burst; a page header;
    /// a zeroed or copied page; a cut; and 40 bytes aimed at structure rather than pixels (an LMDB branch or leaf
    /// page, an HDF5 file's first or last 64 KiB, where libhdf5 keeps its metadata, the first 64 bytes of any other file).
    /// </summary>
    public static IReadOnlyList<Way> Ways { get; } =
    [
        new("40 bytes", (file, rng) => Edit(file, rng, (bytes, start) =>
        {
            for (int k = 0; k < 40; k++) bytes[rng.Next(start, bytes.Length)] = (byte)rng.Next(256);
            return "40 random bytes in";
        })),
        new("burst", (file, rng) => Edit(file, rng, (bytes, start) =>
        {
            int at = rng.Next(start, bytes.Length);
            for (int k = at; k < Math.Min(bytes.Length, at + 40); k++) bytes[k] = (byte)rng.Next(256);
            return $"40 random bytes from {at} in";
        })),
        new("page header", (file, rng) => Edit(file, rng, (bytes, start) =>
        {
            int at = PageStart(bytes, start, rng);
            for (int k = at; k < Math.Min(bytes.Length, at + 16); k++) bytes[k] = (byte)rng.Next(256);
            return $"the 16 bytes at {at} random in";
        })),
        new("zeroed page", (file, rng) => Edit(file, rng, (bytes, start) =>
        {
            int at = PageStart(bytes, start, rng);
            Array.Clear(bytes, at, Math.Min(PageOf(bytes), bytes.Length - at));
            return $"the page at {at} zeroed in";
        })),
        new("copied page", (file, rng) => Edit(file, rng, (bytes, start) =>
        {
            int to = PageStart(bytes, start, rng), from = PageStart(bytes, start, rng);
            int length = Math.Min(PageOf(bytes), bytes.Length - Math.Max(to, from));
            Array.Copy(bytes.ToArray(), from, bytes, to, length);
            return $"the page at {from} copied over the one at {to} in";
        })),
        new("structure", (file, rng) => Edit(file, rng, (bytes, start) =>
        {
            var (from, to) = StructureRange(file, bytes, start, rng);
            for (int k = 0; k < 40; k++) bytes[rng.Next(from, to)] = (byte)rng.Next(256);
            return $"40 random bytes in {from}–{to} of";
        })),
        new("truncated", (file, rng) =>
        {
            byte[] bytes = File.ReadAllBytes(file);
            int keep = bytes.Length <= Start(file) ? 0 : rng.Next(Start(file), bytes.Length);
            File.WriteAllBytes(file, bytes[..keep]);
            return $"cut to {keep:N0} bytes:";
        }),
    ];

    /// <summary>Copies a store (a file or a folder, without its writer lock).</summary>
    public static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            File.Copy(from, to);
            return;
        }
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (file.EndsWith(".lock", StringComparison.Ordinal)) continue;
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The file of a store to damage: the store itself, data.mdb, or one of a folder's files (its metadata as likely as any one image).</summary>
    public static string PickFile(string store, Random rng)
    {
        if (File.Exists(store)) return store;
        string[] files = [.. Directory.GetFiles(store, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal) && !f.EndsWith("lock.mdb", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        string[] special = [.. files.Where(f => f.EndsWith("data.mdb") || f.EndsWith("labels.csv") || f.EndsWith("imagestash.json"))];
        if (special.Length == 1 && special[0].EndsWith("data.mdb")) return special[0];
        return special.Length > 0 && rng.Next(2) == 0 ? special[rng.Next(special.Length)] : files[rng.Next(files.Length)];
    }

    /// <summary>Where damage may start: past data.mdb's two meta pages (as the review's test), anywhere in other files.</summary>
    private static int Start(string file) => file.EndsWith("data.mdb", StringComparison.Ordinal) ? 2 * Page : 0;

    /// <summary>The start of a random page: 4 KiB pages (LMDB's, HDF5's blocks), or an eighth of a file under four pages.</summary>
    private static int PageStart(byte[] bytes, int start, Random rng) => rng.Next(start, bytes.Length) / PageOf(bytes) * PageOf(bytes) is var at && at >= start ? at : start;

    private static int PageOf(byte[] bytes) => bytes.Length >= 4 * Page ? Page : Math.Max(16, bytes.Length / 8);

    private static (int From, int To) StructureRange(string file, byte[] bytes, int start, Random rng)
    {
        if (file.EndsWith("data.mdb", StringComparison.Ordinal))
        {
            // LMDB page flags at offset 10: 0x01 branch, 0x02 leaf.
            int[] tree = [.. Enumerable.Range(start / Page, bytes.Length / Page - start / Page).Where(p => (bytes[p * Page + 10] & 0x03) != 0)];
            if (tree.Length > 0)
            {
                int page = tree[rng.Next(tree.Length)] * Page;
                return (page, page + Page);
            }
        }
        if (file.EndsWith(".h5", StringComparison.Ordinal) && bytes.Length > 2 * 65536)
            return rng.Next(2) == 0 ? (0, 65536) : (bytes.Length - 65536, bytes.Length);
        return (start, Math.Min(bytes.Length, start + 64));
    }

    private static string Edit(string file, Random rng, Func<byte[], int, string> damage)
    {
        byte[] bytes = File.ReadAllBytes(file);
        int start = Start(file);
        if (bytes.Length <= start) return "nothing to damage in";
        string what = damage(bytes, start);
        File.WriteAllBytes(file, bytes);
        return what;
    }
}
