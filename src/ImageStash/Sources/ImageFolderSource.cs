using ImageStash.Codecs;
using ImageStash.Internal;
using ImageStash.Pixels;

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
    public IEnumerable<ImageBatch> ReadBatches(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Read(batchSize);
    }

    private IEnumerable<ImageBatch> Read(int batchSize)
    {
        using var copies = new ImageBatch();
        // Two chunks of files, in turn: one is read and checked on every core while the other's batch is stored. A
        // chunk is at most 256 files, so storing starts early and little fresh memory is touched (on these machines a
        // fresh buffer costs seconds of page faults per gigabyte).
        int chunk = Math.Min(Math.Min(batchSize, ChunkFiles), _files.Count);
        var stages = new[] { new Stage(chunk), new Stage(chunk) };
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
                // Read the next files while the caller stores these, unless these already reach the limit.
                if (nextId + usable < limit) pending = Start(stages[(round + 1) % 2], ref position);
                ImageBatch batch;
                try
                {
                    foreach (var p in stage.Results.AsSpan(0, stage.Count))
                        if (p.Error is not null)
                        {
                            if (_options.OnError == SourceErrorMode.Fail)
                                throw new InvalidDataException($"{p.Error}; fix or remove the file, or pass --on-error skip.");
                            _skipped.Add(p.Error);
                        }
                    batch = stage.InPlace ? stage.Batch(ref nextId, limit) : stage.CopyInto(copies, ref nextId, limit);
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

    private const int ChunkFiles = 256;

    /// <summary>Starts reading and checking the next files into <paramref name="stage"/> on every core; null when none are left.</summary>
    private Task<Stage>? Start(Stage stage, ref int position)
    {
        int take = Math.Min(stage.Results.Length, _files.Count - position);
        if (take <= 0) return null;
        int from = position;
        position += take;
        stage.Count = take;
        return Task.Run(() =>
        {
            // Where each file goes: its length now (a file that has changed by the time it is read is read on its own).
            var lengths = new long[take];
            ParallelWork.For(take, i => lengths[i] = Length(_files[from + i].File));
            for (int i = 0; i < take; i++) stage.Offsets[i + 1] = stage.Offsets[i] + lengths[i];
            if (stage.Offsets[take] > Array.MaxLength)
                throw new InvalidDataException($"{take} files from '{_files[from].File}' on are {stage.Offsets[take]:N0} bytes, more than one batch holds; import with a smaller --batch.");
            if (stage.Buffer.Length < stage.Offsets[take]) stage.Buffer = new byte[Math.Max(stage.Offsets[take], stage.Buffer.Length * 3L / 2)];
            ParallelWork.For(take, i => stage.Results[i] = Prepare(_files[from + i].File, _files[from + i].Label, stage.Slot(i)));
            return stage;
        });
    }

    private static long Length(string file)
    {
        try { return new FileInfo(file).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; } // reported when it is read
    }

    /// <summary>
    /// One chunk's files, read back to back into one buffer (sized from the files' lengths, grown as needed, kept for
    /// the next chunk: no allocation per file), and what was made of each: a header for bytes kept as they are, or a
    /// record made anew (pooled, released after the batch). When every file's bytes are kept, the batch is the buffer
    /// itself (the gaps of skipped files closed up), so the bytes are never copied.
    /// </summary>
    private sealed class Stage(int size)
    {
        public byte[] Buffer = [];
        public readonly long[] Offsets = new long[size + 1];
        public readonly Prepared[] Results = new Prepared[size];
        public int Count;
        private ImageBatch? _batch; // over Buffer

        public Span<byte> Slot(int i) => Buffer.AsSpan((int)Offsets[i], (int)(Offsets[i + 1] - Offsets[i]));

        /// <summary>Whether every good file's bytes sit in its slot (nothing was made anew).</summary>
        public bool InPlace => Results.AsSpan(0, Count).ToArray().All(p => p.Error is not null || p.Made is null);

        /// <summary>The kept files as a batch over the buffer: each payload moved down to follow the previous one.</summary>
        public ImageBatch Batch(ref long nextId, long limit)
        {
            if (_batch is null || !ReferenceEquals(_batchBuffer, Buffer)) (_batch, _batchBuffer) = (new ImageBatch(Buffer, true), Buffer);
            _batch.Clear();
            int at = 0;
            for (int i = 0; i < Count && nextId < limit; i++)
            {
                var p = Results[i];
                if (p.Error is not null) continue;
                int length = (int)p.Header.PayloadLength;
                if (Offsets[i] != at) Slot(i)[..length].CopyTo(Buffer.AsSpan(at)); // memmove: the slot is at or after `at`
                _batch.AddInPlace(p.Header with { Id = nextId++ }, length);
                at += length;
            }
            return _batch;
        }

        private byte[]? _batchBuffer;

        /// <summary>The records copied into <paramref name="batch"/> (when some were made anew).</summary>
        public ImageBatch CopyInto(ImageBatch batch, ref long nextId, long limit)
        {
            batch.Clear();
            for (int i = 0; i < Count && nextId < limit; i++)
            {
                var p = Results[i];
                if (p.Error is not null) continue;
                batch.Add(p.Header with { Id = nextId++ }, p.Made is { } made ? made.Payload : Slot(i)[..(int)p.Header.PayloadLength]);
            }
            return batch;
        }

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
    /// <summary>Reads one file into <paramref name="slot"/> (its size when listed), checks that it decodes, and makes its record.</summary>
    private Prepared Prepare(string file, int label, Span<byte> slot)
    {
        string what = $"'{file}'";
        try
        {
            byte[]? own = null;
            int length = FileUtil.ReadInto(file, slot, ref own);
            var bytes = own is null ? slot[..length] : own.AsSpan(0, length);
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
                // A file that changed size since it was listed was read on its own: its record carries its bytes.
                return new Prepared(header, own is null ? null : RecordMaker.FromBytes(bytes, header), null);
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
