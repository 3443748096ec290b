namespace ImageStash.Bench;

/// <summary>A limit over the timed epochs of <see cref="LoaderBenchmark.Run"/>.</summary>
/// <param name="MedianRate">The limit's median (images per second, or bytes per second for raw input).</param>
/// <param name="MedianRatio">The loader's median ratio to the limit measured just before each epoch.</param>
/// <param name="MinRatio">The lowest of those ratios.</param>
/// <param name="MaxRatio">The highest of those ratios.</param>
public sealed record LoaderBenchLimit(double MedianRate, double MedianRatio, double MinRatio, double MaxRatio);
