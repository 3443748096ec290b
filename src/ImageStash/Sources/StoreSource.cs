namespace ImageStash.Sources;

/// <summary>Reads a store as a source (for convert): its records in id order, with their ids, labels, names and payloads as stored.</summary>
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
        byte[] payload = [];
        foreach (var chunk in StreamingStores.ReadOrder(store).Chunk(batchSize))
        {
            batch.Clear();
            foreach (long id in chunk)
            {
                if (!store.TryGetHeader(id, out var header)) throw ImageStashException.MissingId(store.Path, id);
                if (header.IsRaw) store.Read(id, batch.AddUninitialized(header));
                else
                {
                    if (payload.Length < header.PayloadLength) payload = new byte[Math.Max(header.PayloadLength, payload.Length * 2L)];
                    header = store.Read(id, payload);
                    batch.Add(header, payload.AsSpan(0, (int)header.PayloadLength));
                }
            }
            yield return batch;
        }
    }

    /// <summary>Leaves the store open: its owner disposes it.</summary>
    public void Dispose() { }
}
