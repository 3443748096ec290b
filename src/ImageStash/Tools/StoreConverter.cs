using ImageStash.Sources;

namespace ImageStash.Tools;

/// <summary>Copies one store into another of any kind, streaming, and proves the copy is exact.</summary>
public static class StoreConverter
{
    /// <summary>
    /// Writes every image of <paramref name="source"/> into <paramref name="destination"/> (ids, labels, names, class
    /// names and encoded bytes kept as they are), then reads both back and compares them image by image.
    /// </summary>
    /// <returns>The number of images copied.</returns>
    /// <exception cref="ImageStashException">The destination refuses an image (e.g. an HDF5 store in the fixed layout
    /// and another size), or the copy differs from the source; the message names the first difference.</exception>
    public static long Convert(IImageStore source, IImageStore destination, int batchSize = 1024, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using var reader = new StoreSource(source);
        var result = StoreImporter.Import(reader, destination, new ImportOptions { BatchSize = batchSize, KeepSourceIds = true, Progress = progress }, cancellationToken);
        if (FindDifference(source, destination) is { } difference)
            throw new ImageStashException($"converting '{source.Path}' to '{destination.Path}' did not copy exactly: {difference}.");
        return result.Imported;
    }

    /// <summary>The first way two stores differ (count, ids, class names, a header or a payload), or null when they hold the same images.</summary>
    public static string? FindDifference(IImageStore a, IImageStore b)
    {
        if (a.Count != b.Count) return $"'{a.Path}' holds {a.Count} images, '{b.Path}' {b.Count}";
        if (!a.ClassNames.SequenceEqual(b.ClassNames)) return "the class names differ";
        byte[] pa = [], pb = [];
        // Equal counts and every id of a in b: the same ids. Read in a's own order (a shard set streams).
        foreach (long id in StreamingStores.ReadOrder(a))
        {
            if (!b.TryGetHeader(id, out var hb)) return $"id {id} is not in '{b.Path}'";
            if (!a.TryGetHeader(id, out var ha)) return $"id {id} has no header";
            if (ha != hb) return $"image {id} is {ha} in one and {hb} in the other";
            int length = (int)ha.PayloadLength;
            if (pa.Length < length) { pa = new byte[length]; pb = new byte[length]; }
            a.Read(id, pa);
            b.Read(id, pb);
            if (!pa.AsSpan(0, length).SequenceEqual(pb.AsSpan(0, length))) return $"the {(ha.IsRaw ? "pixels" : "stored bytes")} of image {id} differ";
        }
        return null;
    }
}
