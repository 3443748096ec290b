using ImageStash.Internal;

namespace ImageStash;

/// <summary>Writes a store out as an image folder: <c>DIR/&lt;class&gt;/&lt;id&gt;.png</c>, lossless.</summary>
public static class StoreExporter
{
    /// <summary>
    /// Exports every image of <paramref name="store"/> as a PNG under a folder named after its class (or its
    /// label number when the store has no class names). Encoding runs in parallel.
    /// </summary>
    /// <returns>The number of images written.</returns>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static long ExportFolder(IImageStore store, string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        long done = 0;
        var created = new HashSet<int>();
        foreach (var chunk in store.EnumerateIds().Chunk(512))
        {
            cancellationToken.ThrowIfCancellationRequested();
            ParallelWork.For(chunk.Length, i =>
            {
                long id = chunk[i];
                if (!store.TryGetHeader(id, out var header)) throw ImageStashException.MissingId(store.Path, id);
                byte[] pixels = System.Buffers.ArrayPool<byte>.Shared.Rent(header.Shape.ByteCount);
                try
                {
                    store.Read(id, pixels);
                    string folder = Path.Combine(directory, ClassFolder(store, header.Label));
                    lock (created) if (created.Add(header.Label)) Directory.CreateDirectory(folder);
                    File.WriteAllBytes(Path.Combine(folder, $"{id}.png"), PngCodec.Encode(pixels, header.Shape));
                }
                finally { System.Buffers.ArrayPool<byte>.Shared.Return(pixels); }
            });
            done += chunk.Length;
            progress?.Report(done);
        }
        return done;
    }

    /// <summary>Encodes one image of a store as PNG bytes (what <c>imagestash get</c> writes).</summary>
    /// <exception cref="ImageStashException">The store has no such id.</exception>
    public static byte[] EncodePng(IImageStore store, long id, out ImageHeader header)
    {
        if (!store.TryGetHeader(id, out header)) throw ImageStashException.MissingId(store.Path, id);
        byte[] pixels = new byte[header.Shape.ByteCount];
        store.Read(id, pixels);
        return PngCodec.Encode(pixels, header.Shape);
    }

    private static string ClassFolder(IImageStore store, int label)
    {
        if (label >= 0 && label < store.ClassNames.Count)
        {
            string name = store.ClassNames[label];
            if (name.Length > 0 && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && name is not ("." or "..")) return name;
        }
        return label.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
