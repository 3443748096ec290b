namespace ImageStash.Sources;

/// <summary>
/// A stream of labelled images read in batches with constant memory. A source never knows stores.
/// </summary>
public interface IImageSource : IDisposable
{
    /// <summary>What the source reads, for messages ("CIFAR-10 binary 'x.tar.gz' (train)").</summary>
    string Description { get; }

    /// <summary>Class names indexed by label; may fill in only once reading is done (a tar's names come last).</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of images the source will yield, when known without reading it.</summary>
    long? Count { get; }

    /// <summary>Inputs skipped under <see cref="SourceErrorMode.Skip"/>, one line each (file and reason).</summary>
    IReadOnlyList<string> Skipped { get; }

    /// <summary>
    /// Yields batches of up to <paramref name="batchSize"/> images with ids 0, 1, 2, … in source order.
    /// The same <see cref="ImageBatch"/> instance is refilled for each batch: use it before asking for the next.
    /// </summary>
    /// <exception cref="InvalidDataException">An input is truncated or malformed; the message names the file and record or offset.</exception>
    IEnumerable<ImageBatch> ReadBatches(int batchSize);
}
