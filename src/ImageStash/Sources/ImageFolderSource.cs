using System.Buffers;
using ImageStash.Internal;

namespace ImageStash.Sources;

/// <summary>
/// Reads an "ImageFolder" tree: one subfolder per class holding JPEG/PNG files of any size. The label is the
/// index of the class folder's name in ordinal order; files are read in ordinal order within a class. Images
/// are decoded as RGB, in parallel, and resized when <see cref="SourceOptions.Resize"/> is set.
/// </summary>
public sealed class ImageFolderSource : IImageSource
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };

    private readonly string _root;
    private readonly SourceOptions _options;
    private readonly List<(string File, int Label)> _files = [];
    private readonly List<string> _skipped = [];

    /// <summary>Lists the images under <paramref name="root"/> (nothing is decoded yet).</summary>
    /// <exception cref="ImageStashException">The folder is missing or holds no class folders with images.</exception>
    public ImageFolderSource(string root, SourceOptions? options = null)
    {
        _root = root;
        _options = options ?? new SourceOptions();
        if (!Directory.Exists(root)) throw ImageStashException.BadSource(root, "no such folder.");
        ClassNames = [.. Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        for (int label = 0; label < ClassNames.Count; label++)
            foreach (string file in Directory.GetFiles(Path.Combine(root, ClassNames[label])).Order(StringComparer.Ordinal))
                if (Extensions.Contains(Path.GetExtension(file))) _files.Add((file, label));
        if (_files.Count == 0)
            throw ImageStashException.BadSource(root, "no images found; expected one subfolder per class holding .png/.jpg files.");
    }

    /// <inheritdoc />
    public string Description => $"image folder '{_root}' ({ClassNames.Count} classes)";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public long? Count => _options.Limit is { } limit ? Math.Min(limit, _files.Count) : _files.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> Skipped => _skipped;

    /// <inheritdoc />
    public IEnumerable<ImageBatch> ReadBatches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var batch = new ImageBatch();
        var decoded = new (byte[]? Pixels, ImageShape Shape, string? Error)[batchSize];
        long nextId = 0;
        long limit = Count ?? _files.Count;
        int position = 0;
        while (nextId < limit && position < _files.Count)
        {
            int take = Math.Min(batchSize, _files.Count - position);
            var chunk = _files.GetRange(position, take);
            position += take;
            ParallelWork.For(take, i => decoded[i] = DecodeOne(chunk[i].File));
            batch.Clear();
            for (int i = 0; i < take; i++)
            {
                var (pixels, shape, error) = decoded[i];
                if (error is not null)
                {
                    if (_options.OnError == SourceErrorMode.Fail)
                    {
                        ReturnAll(decoded, take);
                        throw new InvalidDataException($"{error}; fix or remove the file, or pass --on-error skip.");
                    }
                    _skipped.Add(error);
                    continue;
                }
                if (nextId < limit)
                    batch.Add(new ImageHeader(nextId++, shape, chunk[i].Label, Path.GetRelativePath(_root, chunk[i].File)), pixels.AsSpan(0, shape.ByteCount));
            }
            ReturnAll(decoded, take);
            if (batch.Count > 0) yield return batch;
        }
    }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }

    private static void ReturnAll((byte[]? Pixels, ImageShape, string?)[] decoded, int count)
    {
        for (int i = 0; i < count; i++)
            if (decoded[i].Pixels is { } p) { ArrayPool<byte>.Shared.Return(p); decoded[i].Pixels = null; }
    }

    private (byte[]? Pixels, ImageShape Shape, string? Error) DecodeOne(string file)
    {
        byte[]? encoded = null;
        byte[]? pixels = null;
        string what = $"'{file}'";
        try
        {
            encoded = FileUtil.ReadPooled(file, out int length);
            var bytes = encoded.AsSpan(0, length);
            if (_options.Resize is { } target)
            {
                var shape = new ImageShape(target.Height, target.Width, 3);
                pixels = ArrayPool<byte>.Shared.Rent(shape.ByteCount);
                PngCodec.DecodeResized(bytes, pixels, shape, what);
                return (pixels, shape, null);
            }
            var (w, h) = PngCodec.ReadSize(bytes, what);
            pixels = ArrayPool<byte>.Shared.Rent(h * w * 3);
            var decodedShape = PngCodec.Decode(bytes, pixels, 3, what);
            return (pixels, decodedShape, null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            if (pixels is not null) ArrayPool<byte>.Shared.Return(pixels);
            return (null, default, e is InvalidDataException ? e.Message : $"{what}: {e.Message}");
        }
        finally
        {
            if (encoded is not null) ArrayPool<byte>.Shared.Return(encoded);
        }
    }
}
