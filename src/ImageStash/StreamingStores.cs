namespace ImageStash;

/// <summary>How whole-store tools walk a store: by ascending id, or a streaming store in the order it holds its images.</summary>
public static class StreamingStores
{
    /// <summary>Every id of <paramref name="store"/> once: <see cref="IStreamingStore.StreamOrder"/> for a streaming
    /// store, <see cref="IImageStore.EnumerateIds"/> for any other.</summary>
    public static IEnumerable<long> ReadOrder(IImageStore store) => store is IStreamingStore streaming ? streaming.StreamOrder() : store.EnumerateIds();
}
