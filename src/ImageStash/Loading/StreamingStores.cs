namespace ImageStash.Loading;

/// <summary>How whole-store tools walk a store: by ascending id, or a streaming store in the order it holds its images.</summary>
internal static class StreamingStores
{
    public static IEnumerable<long> ReadOrder(IImageStore store) => store is IStreamingStore streaming ? streaming.StreamOrder() : store.EnumerateIds();
}
