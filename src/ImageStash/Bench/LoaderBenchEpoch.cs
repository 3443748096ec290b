namespace ImageStash.Bench;

/// <summary>One epoch of <see cref="LoaderBenchmark.Run"/>: the loader's rate, and the limits measured just before it.</summary>
/// <param name="ImagesPerSecond">Images the loader delivered per second in this epoch.</param>
/// <param name="FirstBatchSeconds">Seconds from the start of the epoch to its first batch.</param>
/// <param name="DecodeLimit">Images per second of the codec decoding the same images whole, from memory, on the
/// loader's threads, measured just before the epoch; null when not measured.</param>
/// <param name="CropDecodeLimit">Images per second of the same images' crops decoded the way the pipeline decodes
/// them, measured just before the epoch; null when not measured.</param>
/// <param name="RawInputBytesPerSecond">Bytes per second of plain reads of the store's stored bytes (a shard set's
/// GETs from object storage), measured just before the epoch; null when not measured.</param>
public sealed record LoaderBenchEpoch(double ImagesPerSecond, double FirstBatchSeconds, double? DecodeLimit, double? CropDecodeLimit, double? RawInputBytesPerSecond);
