namespace ImageStash;

/// <summary>Everything about a stored image except its payload.</summary>
/// <param name="Id">The image's id: non-negative, unique within a store.</param>
/// <param name="Shape">Height, width and channels of the pixels (for an encoded image: as decoded, EXIF orientation
/// applied), known without decoding.</param>
/// <param name="Label">The class label (an index into the store's class names when it has them).</param>
/// <param name="Name">The original name (e.g. a file name), or null.</param>
public readonly record struct ImageHeader(long Id, ImageShape Shape, int Label, string? Name = null)
{
    /// <summary>How the payload is stored.</summary>
    /// <value>The default value is <see cref="ImageEncoding.Raw"/>.</value>
    public ImageEncoding Encoding { get; init; }

    /// <summary>
    /// The payload's length in bytes: <see cref="ImageShape.ByteCount"/> for raw pixels, the encoded file's length
    /// otherwise. <see cref="IImageStore.Read"/> needs a buffer this large. Set by <see cref="ImageBatch"/> and stores.
    /// </summary>
    public long PayloadLength { get; init; }

    /// <summary>
    /// The record's fields (a caption, tags, boxes, a source), or null when it has none. Stores keep them and return
    /// them from <see cref="IImageStore.TryGetHeader"/> and <see cref="IImageStore.Read"/>; the loader's paths
    /// (<see cref="IImageStore.TryReadPayload"/>, <see cref="IImageStore.ReadMany"/>) leave them out.
    /// </summary>
    /// <value>The default value is null.</value>
    public RecordFields? Fields { get; init; }

    /// <summary>Whether the payload is raw pixels.</summary>
    public bool IsRaw => Encoding == ImageEncoding.Raw;
}
