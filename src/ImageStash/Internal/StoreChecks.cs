namespace ImageStash.Internal;

/// <summary>Argument and id checks every store runs the same way, so their messages agree.</summary>
internal static class StoreChecks
{
    /// <summary>Checks the buffers given to ReadMany hold <paramref name="count"/> images of <paramref name="shape"/>.</summary>
    public static void CheckManyBuffers(int count, ImageShape shape, ReadOnlySpan<byte> pixels, ReadOnlySpan<int> labels)
    {
        long needed = (long)count * shape.ByteCount;
        if (pixels.Length < needed)
            throw new ArgumentException($"Reading {count} images of {shape} needs {needed} bytes; the buffer holds {pixels.Length}.", nameof(pixels));
        if (labels.Length < count)
            throw new ArgumentException($"Reading {count} images needs {count} labels; the span holds {labels.Length}.", nameof(labels));
    }

    /// <summary>Checks a buffer given to Read holds the record's payload.</summary>
    public static void CheckPayloadBuffer(ImageHeader header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < header.PayloadLength)
            throw new ArgumentException($"Image {header.Id} is {Describe(header)} ({header.PayloadLength} bytes); the buffer holds {payload.Length}.", nameof(payload));
    }

    /// <summary>Checks a record can go into a read-many: raw pixels of the request's shape.</summary>
    public static void CheckReadManyRecord(string path, ImageShape shape, ImageHeader header)
    {
        if (!header.IsRaw) throw ImageStashException.EncodedInReadMany(path, header.Id, header.Encoding);
        if (header.Shape != shape) throw ImageStashException.MixedShapes(path, shape, header.Shape, header.Id);
    }

    /// <summary>"32×32×3" for raw pixels, "a 480×640×3 JPEG" for an encoded image.</summary>
    public static string Describe(ImageHeader header) =>
        header.IsRaw ? header.Shape.ToString() : $"a {header.Shape} {Encodings.Name(header.Encoding).ToUpperInvariant()}";

    /// <summary>
    /// Checks a batch's ids are unique and, unless overwriting, new to the store.
    /// </summary>
    /// <returns>The ids that exist already (to be replaced).</returns>
    public static HashSet<long> CheckNewIds(ImageBatch batch, bool overwrite, string path, Func<long, bool> exists)
    {
        // Ascending ids (every import) are unique without a set; any other order is checked with one.
        bool ascending = true;
        for (int i = 1; i < batch.Count && ascending; i++) ascending = batch[i].Id > batch[i - 1].Id;
        var seen = ascending ? null : new HashSet<long>(batch.Count);
        var replaced = new HashSet<long>();
        for (int i = 0; i < batch.Count; i++)
        {
            long id = batch[i].Id;
            if (seen is not null && !seen.Add(id))
                throw new ArgumentException($"Id {id} appears twice in one batch; ids in a batch must be unique.", nameof(batch));
            if (exists(id))
            {
                if (!overwrite) throw ImageStashException.DuplicateId(path, id);
                replaced.Add(id);
            }
        }
        return replaced;
    }

    /// <summary>Checks every image of a batch is raw with the store's fixed shape.</summary>
    public static void CheckShapes(ImageBatch batch, ImageShape shape, string path)
    {
        for (int i = 0; i < batch.Count; i++)
            if (!batch[i].IsRaw || batch[i].Shape != shape) throw ImageStashException.ShapeMismatch(path, shape, Describe(batch[i]), batch[i].Id);
    }

    /// <summary>The error for a stored image that fails its checks (CRC, header, decode).</summary>
    public static InvalidDataException Damaged(string path, long id, string what) =>
        new($"store '{path}': image {id} is damaged ({what}); run 'imagestash verify {path}'.");

    /// <summary>Turns an I/O failure during a write into the user-facing error; the store keeps its committed data.</summary>
    public static ImageStashException WriteFailed(string path, IOException e)
    {
        const int ENOSPC = 28;
        bool full = (e.HResult & 0xFFFF) == ENOSPC || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
        string why = full ? "the disk is full" : e.Message.TrimEnd('.');
        if (e.HResult == 5) why = "the disk is full or failing (I/O error)";
        return new ImageStashException($"writing to store '{path}' failed: {why}; images committed before this batch are kept — free space and run the import again.", e);
    }
}
