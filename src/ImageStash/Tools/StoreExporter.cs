using System.Buffers;
using System.Globalization;
using ImageStash.Codecs;
using ImageStash.Internal;
using ImageStash.Sources;

namespace ImageStash.Tools;

/// <summary>
/// Writes images out as files: an encoded image as the very bytes it was imported with (<c>.jpg</c>, <c>.png</c>,
/// <c>.webp</c>), raw pixels as a lossless PNG.
/// </summary>
public static class StoreExporter
{
    /// <summary>
    /// Exports every image of <paramref name="store"/> as <c>DIR/&lt;class&gt;/&lt;id&gt;&lt;ext&gt;</c>, in a folder
    /// named after its class (or its label number when the store has no class names), and
    /// <c>DIR/metadata.jsonl</c>, where Hugging Face's ImageFolder looks: one line per image with its
    /// <c>file_name</c> relative to DIR, its <c>label</c> and its fields. Runs in parallel.
    /// </summary>
    /// <returns>The number of images written.</returns>
    /// <exception cref="IOException">A file cannot be written.</exception>
    /// <exception cref="InvalidDataException">A stored image is damaged; the message names it.</exception>
    /// <exception cref="ImageStashException">A record has a field named <c>file_name</c> or <c>label</c>.</exception>
    public static long ExportFolder(IImageStore store, string directory, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        long done = 0;
        var created = new HashSet<int>();
        // Written beside the images and renamed into place at the end, so a metadata.jsonl is always whole.
        string metadata = Path.Combine(directory, FolderMetadata.FileName);
        string partial = metadata + ".partial";
        using (var lines = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            foreach (var chunk in StreamingStores.ReadOrder(store).Chunk(512))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunkLines = new byte[chunk.Length][];
                ParallelWork.For(chunk.Length, i =>
                {
                    long id = chunk[i];
                    byte[] file = ReadFile(store, id, out var header);
                    // ReadFile's header is Read's: with the name and fields.
                    string className = ClassFolder(store, header.Label);
                    string folder = Path.Combine(directory, className);
                    lock (created) if (created.Add(header.Label)) Directory.CreateDirectory(folder);
                    string name = id.ToString(CultureInfo.InvariantCulture) + FileExtension(header);
                    File.WriteAllBytes(Path.Combine(folder, name), file);
                    chunkLines[i] = FolderMetadata.Line(className + "/" + name, header.Label, header.Fields, $"store '{store.Path}': image {id}");
                });
                foreach (byte[] line in chunkLines) lines.Write(line);
                done += chunk.Length;
                progress?.Report(done);
            }
        }
        File.Move(partial, metadata, overwrite: true);
        return done;
    }

    /// <summary>The extension <see cref="ReadFile"/>'s bytes go under: the encoding's own, ".png" for raw pixels.</summary>
    public static string FileExtension(ImageHeader header) => ImageCodecs.FileExtension(header.Encoding);

    /// <summary>One image as a file's bytes: the stored bytes of an encoded image, a PNG of raw pixels.</summary>
    /// <exception cref="ImageStashException">The store has no such id.</exception>
    /// <exception cref="InvalidDataException">The stored image is damaged.</exception>
    public static byte[] ReadFile(IImageStore store, long id, out ImageHeader header)
    {
        byte[] payload = ReadPayload(store, id, out header);
        return header.IsRaw ? ImageEncoder.Png(payload, header.Shape) : payload;
    }

    /// <summary>One image as a PNG, whatever it is stored as (an encoded image is decoded, upright, then re-encoded losslessly).</summary>
    /// <exception cref="ImageStashException">The store has no such id.</exception>
    /// <exception cref="InvalidDataException">The stored image is damaged or cannot be decoded.</exception>
    public static byte[] EncodePng(IImageStore store, long id, out ImageHeader header)
    {
        byte[] payload = ReadPayload(store, id, out header);
        if (header.IsRaw || header.Encoding == ImageEncoding.Png && ImageCodecs.Get(ImageEncoding.Png).ReadInfo(payload).Orientation == ImageOrientation.Normal)
            return header.IsRaw ? ImageEncoder.Png(payload, header.Shape) : payload;
        byte[] pixels = ArrayPool<byte>.Shared.Rent(header.Shape.Length);
        try
        {
            var shape = ImageCodecs.Decode(payload, header.Encoding, header.Shape.Channels, pixels);
            return ImageEncoder.Png(pixels, shape);
        }
        catch (InvalidDataException e) { throw StoreChecks.Damaged(store.Path, id, e.Message); }
        finally { ArrayPool<byte>.Shared.Return(pixels); }
    }

    private static byte[] ReadPayload(IImageStore store, long id, out ImageHeader header)
    {
        if (!store.TryGetHeader(id, out header)) throw ImageStashException.MissingId(store.Path, id);
        byte[] payload = new byte[header.PayloadLength];
        header = store.Read(id, payload);
        return payload;
    }

    private static string ClassFolder(IImageStore store, int label)
    {
        if (label >= 0 && label < store.ClassNames.Count)
        {
            string name = store.ClassNames[label];
            if (name.Length > 0 && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && name is not ("." or "..")) return name;
        }
        return label.ToString(CultureInfo.InvariantCulture);
    }
}
