using ImageStash.Codecs;
using ImageStash.Internal;

namespace ImageStash.Sources;

/// <summary>
/// Reads an "ImageFolder" tree: one subfolder per class holding image files (JPEG, PNG, WebP) of any size. The label
/// is the index of the class folder's name in ordinal order; files are read in ordinal order within a class.
/// </summary>
/// <remarks>
/// By default each file's bytes are kept exactly as they are, and each file is checked by a full decode first, so a
/// damaged file is caught at import, not in the middle of training. <see cref="SourceOptions.Resize"/>,
/// <see cref="SourceOptions.MaxSide"/> and <see cref="SourceOptions.Encode"/> store decoded RGB pixels instead (grey
/// replicated, alpha dropped, EXIF orientation applied), resized or re-encoded as asked. Files are read and decoded
/// on every core, the next batch while the store writes the last one.
/// </remarks>
public sealed class ImageFolderSource : IImageSource
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif" };

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
            throw ImageStashException.BadSource(root, "no images found; expected one subfolder per class holding .jpg/.png/.webp files.");
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
    /// <remarks>A yielded batch stays valid until the batch after the next is asked for.</remarks>
    public IEnumerable<ImageBatch> ReadBatches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Read(batchSize);
    }

    private IEnumerable<ImageBatch> Read(int batchSize)
    {
        using var first = new ImageBatch();
        using var second = new ImageBatch();
        // Two sets of per-file buffers, reused: the files of one chunk are read while the other's batch is stored.
        var stages = new[] { new Stage(batchSize), new Stage(batchSize) };
        long limit = Count ?? _files.Count, nextId = 0;
        int position = 0;
        Task<Stage>? pending = Start(stages[0], ref position);
        try
        {
            for (int round = 0; pending is not null; round++)
            {
                var stage = pending.GetAwaiter().GetResult();
                pending = null;
                long usable = stage.Results.Take(stage.Count).Count(p => p.Error is null);
                // Decode the next files while the caller stores these, unless these already reach the limit.
                if (nextId + usable < limit) pending = Start(stages[(round + 1) % 2], ref position);
                var batch = round % 2 == 0 ? first : second;
                batch.Clear();
                try
                {
                    for (int i = 0; i < stage.Count; i++)
                    {
                        var p = stage.Results[i];
                        if (p.Error is not null)
                        {
                            if (_options.OnError == SourceErrorMode.Fail)
                                throw new InvalidDataException($"{p.Error}; fix or remove the file, or pass --on-error skip.");
                            _skipped.Add(p.Error);
                            continue;
                        }
                        if (nextId < limit) batch.Add(p.Header with { Id = nextId++ }, p.Made is { } made ? made.Payload : stage.Files[i].AsSpan(0, (int)p.Header.PayloadLength));
                    }
                }
                finally { stage.Release(); }
                if (batch.Count > 0) yield return batch;
            }
        }
        finally
        {
            if (pending is not null)
                try { pending.GetAwaiter().GetResult().Release(); } catch (Exception) { /* the caller stopped early */ }
        }
    }

    /// <summary>Starts reading and checking the next files into <paramref name="stage"/> on every core; null when none are left.</summary>
    private Task<Stage>? Start(Stage stage, ref int position)
    {
        int take = Math.Min(stage.Files.Length, _files.Count - position);
        if (take <= 0) return null;
        int from = position;
        position += take;
        stage.Count = take;
        return Task.Run(() =>
        {
            ParallelWork.For(take, i => stage.Results[i] = Prepare(_files[from + i].File, _files[from + i].Label, ref stage.Files[i]));
            return stage;
        });
    }

    /// <summary>
    /// One chunk's files: each file's bytes in its own buffer (grown as needed, kept for the next chunk), and what was
    /// made of it: a header for bytes kept as they are, or a record made anew (pooled, released after the batch).
    /// </summary>
    private sealed class Stage(int size)
    {
        public readonly byte[][] Files = Enumerable.Range(0, size).Select(_ => Array.Empty<byte>()).ToArray();
        public readonly Prepared[] Results = new Prepared[size];
        public int Count;

        public void Release()
        {
            for (int i = 0; i < Count; i++)
                if (Results[i].Made is { } made) RecordMaker.Release(made);
            Array.Clear(Results, 0, Count);
        }
    }

    /// <param name="Header">The record's header (its payload length set).</param>
    /// <param name="Made">The record, when it is not the file's bytes.</param>
    /// <param name="Error">Why the file cannot be imported, or null.</param>
    private readonly record struct Prepared(ImageHeader Header, RecordMaker.Made? Made, string? Error);

    [ThreadStatic] private static byte[]? _pixels;

    /// <summary>Nothing to release: files are opened and closed while reading.</summary>
    public void Dispose() { }
    /// <summary>Reads one file into <paramref name="buffer"/>, checks that it decodes, and makes its record.</summary>
    private Prepared Prepare(string file, int label, ref byte[] buffer)
    {
        string what = $"'{file}'";
        try
        {
            int length = FileUtil.ReadInto(file, ref buffer);
            var bytes = buffer.AsSpan(0, length);
            var codec = ImageCodecs.Detect(bytes)
                ?? throw new InvalidDataException($"not an image ImageStash reads ({string.Join(", ", ImageCodecs.All.Select(c => c.Encoding))}); it is another kind of file or damaged");
            var info = codec.ReadInfo(bytes);
            var header = new ImageHeader(0, info.Shape, label, Path.GetRelativePath(_root, file)) { Encoding = codec.Encoding, PayloadLength = length };
            if (RecordMaker.KeepsBytes(info.Shape, _options))
            {
                if (_options.Check != DecodeCheck.None)
                {
                    int scale = _options.Check == DecodeCheck.Full ? 1 : codec.Scales.Max();
                    var (w, h) = info.ScaledSize(scale);
                    codec.Decode(bytes, scale, 3, Scratch((long)w * h * 3));
                }
                return new Prepared(header, null, null);
            }
            // Resized or re-encoded: decoded whole and upright, which checks it too.
            var rgb = info.Shape.WithChannels(3);
            var pixels = Scratch(rgb.ByteCount);
            ImageCodecs.Decode(bytes, codec.Encoding, 3, pixels);
            var made = RecordMaker.FromPixels(pixels[..rgb.Length], header with { Shape = rgb }, codec.Encoding, _options, Resampler.ForThisThread);
            return new Prepared(made.Header, made, null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return new Prepared(default, null, e is InvalidDataException ? $"{what}: {e.Message.TrimEnd('.')}" : e.Message.TrimEnd('.'));
        }
    }

    /// <summary>This thread's decode buffer, at least <paramref name="length"/> bytes.</summary>
    private static Span<byte> Scratch(long length)
    {
        if (_pixels is null || _pixels.Length < length) _pixels = new byte[Math.Max(length, (_pixels?.Length ?? 0) * 3L / 2)];
        return _pixels;
    }
}
