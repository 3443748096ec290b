namespace ImageStash.Sources;

/// <summary>Reads a store as a source (for convert): its images in id order, with their ids, labels and names.</summary>
/// <param name="store">The store to read; it stays open and is not disposed by the source.</param>
public sealed class StoreSource(IImageStore store) : IImageSource
{
    /// <inheritdoc />
    public string Description => $"{store.Format} store '{store.Path}'";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => store.ClassNames;

    /// <inheritdoc />
    public long? Count => store.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Skipped => [];

    /// <inheritdoc />
    public IEnumerable<ImageBatch> ReadBatches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var batch = new ImageBatch();
        foreach (var chunk in store.EnumerateIds().Chunk(batchSize))
        {
            batch.Clear();
            foreach (long id in chunk)
            {
                if (!store.TryGetHeader(id, out var header)) throw ImageStashException.MissingId(store.Path, id);
                store.Read(id, batch.AddUninitialized(header));
            }
            yield return batch;
        }
    }

    /// <summary>Leaves the store open: its owner disposes it.</summary>
    public void Dispose() { }
}
