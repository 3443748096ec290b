namespace ImageStash.Bench;

/// <summary>One measured figure: a store (or the machine's limit) doing one operation on a number of images.</summary>
/// <param name="Store">The store kind ("png", "lmdb", "hdf5") or "limit" for the machine's raw limit.</param>
/// <param name="Operation">store_single, read_single, store_many, read_many; for the limit write_sequential, create_files, read_sequential, memcpy (<see cref="StoreBenchmark.LimitDescriptions"/>).</param>
/// <param name="Count">Images in the operation.</param>
/// <param name="MedianSeconds">Median over the timed runs.</param>
/// <param name="MinSeconds">Fastest run.</param>
/// <param name="MaxSeconds">Slowest run.</param>
/// <param name="Runs">Timed runs.</param>
/// <param name="Bytes">Pixel bytes moved (count × image bytes).</param>
/// <param name="DiskAllocated">Bytes the store takes on disk (as du counts them) after store_many; 0 elsewhere.</param>
/// <param name="DiskApparent">The sum of the store's file lengths; 0 where not measured.</param>
/// <param name="MultipleOfLimit">Median seconds ÷ the limit row's median for the same count (the store's write limit for writes, read_sequential for reads); null for limit rows.</param>
public sealed record BenchRow(
    string Store, string Operation, int Count,
    double MedianSeconds, double MinSeconds, double MaxSeconds, int Runs,
    long Bytes, long DiskAllocated, long DiskApparent, double? MultipleOfLimit)
{
    /// <summary>
    /// True for a peer's figure (e.g. the article's Python code, measured by benchmarks/python/article_peer.py on the
    /// same images) merged in for comparison; such rows are never one of the stores being compared.
    /// </summary>
    public bool Peer { get; init; }

    /// <summary>Images per second at the median.</summary>
    public double ImagesPerSecond => MedianSeconds > 0 ? Count / MedianSeconds : double.PositiveInfinity;

    /// <summary>Pixel megabytes (10⁶ bytes) per second at the median.</summary>
    public double MegabytesPerSecond => MedianSeconds > 0 ? Bytes / 1e6 / MedianSeconds : double.PositiveInfinity;
}
