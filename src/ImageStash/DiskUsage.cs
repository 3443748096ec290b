using ImageStash.Internal;

namespace ImageStash;

/// <summary>How much disk a store takes.</summary>
/// <param name="Allocated">Bytes allocated on disk, as <c>du</c> counts them (whole blocks, holes not counted).</param>
/// <param name="Apparent">The sum of the files' lengths, as <c>ls -l</c> shows them.</param>
public readonly record struct DiskUsage(long Allocated, long Apparent)
{
    /// <summary>Measures a file, or a folder with everything under it; zero when the path does not exist.</summary>
    public static DiskUsage Of(string path)
    {
        var (allocated, apparent) = FileUtil.DiskUsage(path);
        return new DiskUsage(allocated, apparent);
    }
}
