using ImageStash.Sources;

namespace ImageStash.Parquet.Internal;

/// <summary>
/// The Parquet files a path names, as the Hub lays datasets out (<c>data/train-00000-of-00002.parquet</c>,
/// <c>plain_text/train/0000.parquet</c>): for import, those of one split; for a store, one file, a pattern
/// (<c>data/train-*.parquet</c>) or a folder holding one split.
/// </summary>
internal static class HfFiles
{
    private static readonly string[] Splits = ["train", "test", "validation", "valid", "val"];

    /// <summary>The files of <paramref name="split"/> in a folder (all of them when no file names a split), or the one file.</summary>
    public static List<string> ForSplit(string spec, CifarSplit split)
    {
        if (!Directory.Exists(spec))
            return File.Exists(spec) ? [spec] : throw ImageStashException.BadSource(spec, "no such file or folder.");
        var all = InFolder(spec);
        if (all.Count == 0) throw ImageStashException.BadSource(spec, "no .parquet files in this folder.");
        if (split == CifarSplit.All) return all;
        string wanted = split.ToString().ToLowerInvariant();
        var named = all.Where(f => SplitOf(spec, f) is not null).ToList();
        if (named.Count == 0) return all;
        var picked = named.Where(f => SplitOf(spec, f) == wanted).ToList();
        return picked.Count > 0 ? picked
            : throw ImageStashException.BadSource(spec, $"has no '{wanted}' files (it has {string.Join(", ", named.Select(f => SplitOf(spec, f)).Distinct())}); pass --split with one of them, or all.");
    }

    /// <summary>Whether <paramref name="path"/> names files by a pattern (<c>*</c> or <c>?</c> in its last part).</summary>
    public static bool IsPattern(string path) => Path.GetFileName(path).AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>
    /// The files a store at <paramref name="path"/> reads, in order: the file; the files a pattern in the last part
    /// matches; or every file in a folder, which must not hold more than one split (a store is one split).
    /// </summary>
    /// <exception cref="ImageStashException">Nothing is there, nothing matches, or the folder holds several splits.</exception>
    public static List<string> ForStore(string path)
    {
        if (IsPattern(path))
        {
            string folder = Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
            var matched = Directory.Exists(folder) ? Directory.GetFiles(folder, Path.GetFileName(path)).Order(StringComparer.Ordinal).ToList() : [];
            return matched.Count > 0 ? matched : throw ImageStashException.StoreNotFound(path);
        }
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw ImageStashException.StoreNotFound(path);
        var all = InFolder(path);
        if (all.Count == 0) throw new ImageStashException($"'{path}' holds no .parquet files: it is not a Hugging Face Parquet dataset.", ImageStashError.NotAStore);
        var splits = all.Select(f => SplitOf(path, f)).Where(s => s is not null).Distinct().ToList();
        if (splits.Count > 1)
            throw new ImageStashException($"'{path}' holds the splits {string.Join(", ", splits)}; a store is one split: open {string.Join(" or ", splits.Select(s => $"'{PatternFor(path, all, s!)}'"))} (quoted, so the shell leaves the * alone).", ImageStashError.NotAStore);
        return all;
    }

    /// <summary>Whether a folder holds Parquet files, in it or up to two folders down (where the Hub puts them).</summary>
    public static bool FolderHasParquet(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.parquet", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }).Any();

    private static List<string> InFolder(string folder) =>
        [.. Directory.GetFiles(folder, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>A path that names the files of one split: its folder, or a pattern on its file names.</summary>
    private static string PatternFor(string root, List<string> files, string split)
    {
        string file = files.First(f => SplitOf(root, f) == split);
        string[] parts = Path.GetRelativePath(root, file).Split('/', '\\');
        for (int i = 0; i < parts.Length; i++)
            if (SplitOf(parts[i]) == split)
                return i == parts.Length - 1
                    ? Path.Combine([root, .. parts[..i], split + "*.parquet"])
                    : Path.Combine([root, .. parts[..(i + 1)]]);
        return file;
    }

    /// <summary>"train" or "test" when the file's name or a folder under the root starts with it; "validation" and the like as they are.</summary>
    private static string? SplitOf(string root, string file)
    {
        foreach (string part in Path.GetRelativePath(root, file).Split('/', '\\'))
            if (SplitOf(part) is { } split) return split;
        return null;
    }

    private static string? SplitOf(string part)
    {
        string p = part.ToLowerInvariant();
        foreach (string split in Splits)
            if (p.StartsWith(split, StringComparison.Ordinal) && (p.Length == split.Length || !char.IsAsciiLetter(p[split.Length])))
                return split;
        return null;
    }
}
