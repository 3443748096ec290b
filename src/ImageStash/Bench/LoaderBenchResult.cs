namespace ImageStash.Bench;

/// <summary>What <see cref="LoaderBenchmark.Run"/> measured: each epoch, and the statistics over the timed ones.</summary>
/// <param name="Epochs">Every epoch in order, the warm-up first.</param>
/// <param name="StoredBytesPerImage">The store's bytes per image as the loader takes them in (a shard set's, tar
/// headers included); null when not known.</param>
public sealed record LoaderBenchResult(IReadOnlyList<LoaderBenchEpoch> Epochs, double? StoredBytesPerImage)
{
    /// <summary>Epochs left out of the statistics: the first pays for compiling the code and mapping the store
    /// (1 when there is more than one epoch, else 0).</summary>
    public int WarmupEpochs => Epochs.Count > 1 ? 1 : 0;

    /// <summary>The epochs the statistics are of.</summary>
    public IReadOnlyList<LoaderBenchEpoch> TimedEpochs => [.. Epochs.Skip(WarmupEpochs)];

    /// <summary>The median of the timed epochs' images per second (NaN without epochs).</summary>
    public double MedianImagesPerSecond => Median([.. TimedEpochs.Select(e => e.ImagesPerSecond)]);

    /// <summary>The codec decoding the same images whole; null when not measured.</summary>
    public LoaderBenchLimit? DecodeLimit => Summary(e => e.DecodeLimit, (e, limit) => e.ImagesPerSecond / limit);

    /// <summary>The same images' crops decoded the way the pipeline decodes them; null when not measured.</summary>
    public LoaderBenchLimit? CropDecodeLimit => Summary(e => e.CropDecodeLimit, (e, limit) => e.ImagesPerSecond / limit);

    /// <summary>Plain reads of the stored bytes (bytes per second), the ratio being the loader's intake in bytes per
    /// second to it; null when not measured or the stored bytes per image are unknown.</summary>
    public LoaderBenchLimit? RawInputLimit => StoredBytesPerImage is { } perImage
        ? Summary(e => e.RawInputBytesPerSecond, (e, limit) => e.ImagesPerSecond * perImage / limit)
        : null;

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count); NaN when empty.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private LoaderBenchLimit? Summary(Func<LoaderBenchEpoch, double?> limit, Func<LoaderBenchEpoch, double, double> ratio)
    {
        var timed = TimedEpochs.Where(e => limit(e) is not null).ToList();
        if (timed.Count == 0) return null;
        var ratios = timed.Select(e => ratio(e, limit(e)!.Value)).ToList();
        return new LoaderBenchLimit(Median([.. timed.Select(e => limit(e)!.Value)]), Median(ratios), ratios.Min(), ratios.Max());
    }
}
