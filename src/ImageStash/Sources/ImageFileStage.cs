using ImageStash.Codecs;
using ImageStash.Internal;
using ImageStash.Pixels;

namespace ImageStash.Sources;

/// <summary>
/// One chunk of image files on their way into a store, shared by every source of image files (folders, Parquet, tar
/// sets): the files' bytes back to back in one buffer (grown as needed, kept for the next chunk: no allocation per
/// file), and what was made of each: a header for bytes kept as they are, or a record made anew (pooled, released
/// after the batch). When every file's bytes are kept, the batch is the buffer itself (the gaps of skipped files
/// closed up), so the bytes are never copied.
/// </summary>
internal sealed class ImageFileStage(int size)
{
    public byte[] Buffer = [];
    public readonly long[] Offsets = new long[size + 1];
    public readonly Prepared[] Results = new Prepared[size];
    public int Count;
    private ImageBatch? _batch; // over Buffer
    private byte[]? _batchBuffer;

    /// <summary>The most files a stage holds.</summary>
    public int Capacity => Results.Length;

    public Span<byte> Slot(int i) => Buffer.AsSpan((int)Offsets[i], (int)(Offsets[i + 1] - Offsets[i]));

    /// <summary>Makes room for <paramref name="total"/> bytes of files, keeping those already in the buffer.</summary>
    /// <exception cref="InvalidDataException">The files are more than one array holds.</exception>
    public void EnsureBuffer(long total, string from)
    {
        if (total > Array.MaxLength)
            throw new InvalidDataException($"the files from {from} on are {total:N0} bytes, more than one batch holds; import with a smaller --batch.");
        if (Buffer.Length >= total) return;
        var bigger = new byte[Math.Min(Array.MaxLength, Math.Max(total, Buffer.Length * 3L / 2))];
        Buffer.AsSpan(0, (int)Offsets[Count]).CopyTo(bigger);
        Buffer = bigger;
    }

    /// <summary>Whether every good file's bytes sit in its slot (nothing was made anew).</summary>
    private bool InPlace
    {
        get
        {
            foreach (var p in Results.AsSpan(0, Count))
                if (p.Error is null && p.Made is not null) return false;
            return true;
        }
    }

    /// <summary>
    /// The good files as a batch (ids from <paramref name="nextId"/>, at most up to <paramref name="limit"/>), over
    /// the buffer when nothing was made anew, else copied into <paramref name="copies"/>. Bad files fail the read
    /// under <see cref="SourceErrorMode.Fail"/> (the message ending with <paramref name="remedy"/>) or are listed in
    /// <paramref name="skipped"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is bad and the mode is <see cref="SourceErrorMode.Fail"/>.</exception>
    public ImageBatch Batch(ImageBatch copies, ref long nextId, long limit, SourceErrorMode mode, List<string> skipped, string remedy)
    {
        foreach (var p in Results.AsSpan(0, Count))
            if (p.Error is not null)
            {
                if (mode == SourceErrorMode.Fail)
                    throw new InvalidDataException($"{p.Error}; {remedy}, or pass --on-error skip.");
                skipped.Add(p.Error);
            }
        return InPlace ? BatchInPlace(ref nextId, limit) : CopyInto(copies, ref nextId, limit);
    }

    /// <summary>The number of good files.</summary>
    public int Usable
    {
        get
        {
            int n = 0;
            foreach (var p in Results.AsSpan(0, Count)) if (p.Error is null) n++;
            return n;
        }
    }

    private ImageBatch BatchInPlace(ref long nextId, long limit)
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

    private ImageBatch CopyInto(ImageBatch batch, ref long nextId, long limit)
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

    /// <param name="Header">The record's header (its payload length set).</param>
    /// <param name="Made">The record, when it is not the file's bytes.</param>
    /// <param name="Error">Why the file cannot be imported, or null.</param>
    public readonly record struct Prepared(ImageHeader Header, RecordMaker.Made? Made, string? Error);

    /// <summary>
    /// Runs the stages in turn: <paramref name="fill"/> fills and checks one chunk on a pool thread (false when no
    /// files are left) while the caller stores the previous chunk's batch. A chunk is at most 256 files, so storing
    /// starts early and little fresh memory is touched (on these machines a fresh buffer costs seconds of page faults
    /// per gigabyte).
    /// </summary>
    public static IEnumerable<ImageBatch> Run(int batchSize, long limit, Func<ImageFileStage, bool> fill, SourceErrorMode mode, List<string> skipped, string remedy)
    {
        using var copies = new ImageBatch();
        int chunk = Math.Max(1, Math.Min(batchSize, ChunkFiles));
        var stages = new[] { new ImageFileStage(chunk), new ImageFileStage(chunk) };
        long nextId = 0;
        Task<bool>? pending = limit > 0 ? Start(stages[0], fill) : null;
        try
        {
            for (int round = 0; pending is not null; round++)
            {
                var stage = stages[round % 2];
                bool filled = pending.GetAwaiter().GetResult();
                pending = null;
                if (!filled) break;
                // Read the next files while the caller stores these, unless these already reach the limit.
                if (nextId + stage.Usable < limit) pending = Start(stages[(round + 1) % 2], fill);
                ImageBatch batch;
                try { batch = stage.Batch(copies, ref nextId, limit, mode, skipped, remedy); }
                finally { stage.Release(); }
                if (batch.Count > 0) yield return batch;
            }
        }
        finally
        {
            if (pending is not null)
                try { pending.GetAwaiter().GetResult(); } catch (Exception) { /* the caller stopped early */ }
            foreach (var stage in stages) stage.Release();
        }
    }

    private static Task<bool> Start(ImageFileStage stage, Func<ImageFileStage, bool> fill)
    {
        stage.Count = 0;
        return Task.Run(() => fill(stage));
    }

    public const int ChunkFiles = 256;

    /// <summary>
    /// Checks that one image file's <paramref name="bytes"/> decode and makes its record. Under the default options the
    /// bytes are kept (the header says so; <paramref name="copy"/> asks for a pooled copy when they are not in a slot);
    /// resized or re-encoded images are decoded whole and upright.
    /// </summary>
    public static Prepared Prepare(ReadOnlySpan<byte> bytes, bool copy, int label, string name, string what, SourceOptions options)
    {
        try
        {
            var codec = ImageCodecs.Detect(bytes)
                ?? throw new InvalidDataException($"not an image ImageStash reads ({string.Join(", ", ImageCodecs.All.Select(c => c.Encoding))}); it is another kind of file or damaged");
            var info = codec.ReadInfo(bytes);
            PixelLimit.Check(info, options.MaxPixels, "--max-pixels (SourceOptions.MaxPixels)");
            var header = new ImageHeader(0, info.Shape, label, name) { Encoding = codec.Encoding, PayloadLength = bytes.Length };
            if (RecordMaker.KeepsBytes(info.Shape, options))
            {
                if (options.Check != DecodeCheck.None)
                {
                    int scale = options.Check == DecodeCheck.Full ? 1 : codec.Scales.Max();
                    var (w, h) = info.ScaledSize(scale);
                    codec.Decode(bytes, scale, 3, Scratch((long)w * h * 3));
                }
                return new Prepared(header, copy ? RecordMaker.FromBytes(bytes, header) : null, null);
            }
            var rgb = info.Shape.WithChannels(3);
            var pixels = Scratch(rgb.ByteCount);
            ImageCodecs.Decode(bytes, codec.Encoding, 3, pixels);
            var made = RecordMaker.FromPixels(pixels[..rgb.Length], header with { Shape = rgb }, codec.Encoding, options, Resampler.ForThisThread);
            return new Prepared(made.Header, made, null);
        }
        catch (InvalidDataException e)
        {
            return new Prepared(default, null, $"{what}: {e.Message.TrimEnd('.')}");
        }
    }

    [ThreadStatic] private static byte[]? _pixels;

    /// <summary>This thread's decode buffer, at least <paramref name="length"/> bytes.</summary>
    private static Span<byte> Scratch(long length)
    {
        if (_pixels is null || _pixels.Length < length) _pixels = new byte[Math.Max(length, (_pixels?.Length ?? 0) * 3L / 2)];
        return _pixels;
    }
}
