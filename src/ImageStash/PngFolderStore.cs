using System.Buffers;
using System.Text;
using System.Text.Json;
using ImageStash.Internal;

namespace ImageStash;

/// <summary>
/// The article's "disk" method: one lossless PNG per image in <c>images/</c>, labels in <c>labels.csv</c>,
/// store metadata in <c>imagestash.json</c>. Layout and guarantees: docs/formats/png-folder.md.
/// </summary>
/// <remarks>
/// <c>labels.csv</c> is the commit point: a batch's PNGs are written first, then its rows are appended in one
/// write. An image whose row is missing does not exist, so a crash never exposes half a batch. Encoding and
/// decoding run in parallel across cores.
/// </remarks>
public sealed class PngFolderStore : IImageStore
{
    internal const string MarkerFile = "imagestash.json";
    internal const string LabelsFile = "labels.csv";
    internal const string ImagesDir = "images";
    internal const string CsvHeader = "id,label,name,height,width,channels\n";
    private const string Kind = "imagestash-png-folder";
    private const int ParallelThreshold = 16;

    private readonly Dictionary<long, ImageHeader> _index = [];
    private readonly StoreOptions _options;
    private readonly FileStream? _lock;
    private readonly object _writeGate = new();
    private long[]? _sortedIds;
    private List<string> _classNames = [];
    private readonly bool[] _shards = new bool[256];

    /// <summary>Opens PNG folder stores.</summary>
    public static IStoreProvider Provider { get; } = new PngFolderProvider();

    private PngFolderStore(string path, StoreOptions options)
    {
        Path = path;
        _options = options;
        bool exists = File.Exists(MarkerPath);
        if (File.Exists(path)) throw ImageStashException.NotAStore(path, "PNG folder");
        switch (options.Mode)
        {
            case StoreOpenMode.CreateNew when exists:
                throw ImageStashException.StoreExists(path);
            case StoreOpenMode.Open or StoreOpenMode.ReadOnly when !exists:
                if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
                    throw ImageStashException.NotAStore(path, "PNG folder");
                throw ImageStashException.StoreNotFound(path);
        }
        if (!exists && Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw ImageStashException.NotAStore(path, "PNG folder (the folder is not empty and has no imagestash.json)");

        try
        {
            if (options.Mode != StoreOpenMode.ReadOnly)
            {
                Directory.CreateDirectory(System.IO.Path.Combine(path, ImagesDir));
                _lock = WriterLock.Acquire(path, path);
            }
            if (exists) Load();
            else
            {
                File.WriteAllText(LabelsPath, CsvHeader);
                WriteMarker();
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException || e is IOException && e is not FileNotFoundException)
        {
            _lock?.Dispose();
            if (e is ImageStashException) throw;
            throw ImageStashException.NotWritable(path, e);
        }
        catch
        {
            _lock?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public string Format => "png";

    /// <inheritdoc />
    public long Count { get { lock (_index) return _index.Count; } }

    /// <inheritdoc />
    public ImageShape? FixedShape => null;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _classNames;

    private string MarkerPath => System.IO.Path.Combine(Path, MarkerFile);
    private string LabelsPath => System.IO.Path.Combine(Path, LabelsFile);
    /// <summary>
    /// images/&lt;id mod 256 as two hex digits&gt;/&lt;id&gt;.png: ext4 and friends serialise file creation within one
    /// folder, so spreading consecutive ids over 256 folders lets a batch be written by all cores (measured here:
    /// ~2× faster to create 30,000 small files from two threads).
    /// </summary>
    internal string ImagePath(long id) => System.IO.Path.Combine(Path, ImagesDir, ShardName(id), $"{id}.png");

    private static string ShardName(long id) => (id & 0xFF).ToString("x2", System.Globalization.CultureInfo.InvariantCulture);

    private void EnsureShards(ImageBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            int shard = (int)(batch[i].Id & 0xFF);
            if (_shards[shard]) continue;
            Directory.CreateDirectory(System.IO.Path.Combine(Path, ImagesDir, ShardName(batch[i].Id)));
            _shards[shard] = true;
        }
    }

    /// <inheritdoc />
    public void SetClassNames(IReadOnlyList<string> names)
    {
        ThrowIfReadOnly();
        _classNames = [.. names];
        WriteMarker();
    }

    /// <inheritdoc />
    public IEnumerable<long> EnumerateIds()
    {
        lock (_index)
        {
            _sortedIds ??= [.. _index.Keys.Order()];
            return _sortedIds;
        }
    }

    /// <inheritdoc />
    public bool TryGetHeader(long id, out ImageHeader header)
    {
        lock (_index) return _index.TryGetValue(id, out header);
    }

    /// <inheritdoc />
    public ImageHeader Read(long id, Span<byte> pixels)
    {
        if (!TryGetHeader(id, out var header)) throw ImageStashException.MissingId(Path, id);
        if (pixels.Length < header.Shape.ByteCount)
            throw new ArgumentException($"Image {id} is {header.Shape} ({header.Shape.ByteCount} bytes); the buffer holds {pixels.Length}.", nameof(pixels));
        DecodeFile(header, pixels);
        return header;
    }

    /// <inheritdoc />
    public unsafe void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        if (ids.IsEmpty) return;
        var headers = new ImageHeader[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            if (!TryGetHeader(ids[i], out headers[i])) throw ImageStashException.MissingId(Path, ids[i]);
        var shape = headers[0].Shape;
        foreach (var h in headers)
            if (h.Shape != shape) throw ImageStashException.MixedShapes(Path, shape, h.Shape, h.Id);
        StoreChecks.CheckManyBuffers(ids.Length, shape, pixels, labels);
        for (int i = 0; i < headers.Length; i++) labels[i] = headers[i].Label;

        int size = shape.ByteCount;
        if (ids.Length < ParallelThreshold)
        {
            for (int i = 0; i < headers.Length; i++) DecodeFile(headers[i], pixels.Slice(i * size, size));
            return;
        }
        fixed (byte* basePtr = pixels)
        {
            nint address = (nint)basePtr;
            ParallelWork.For(headers.Length, i =>
                DecodeFile(headers[i], new Span<byte>((byte*)address + (long)i * size, size)));
        }
    }

    /// <inheritdoc />
    public void Put(ImageBatch batch, bool overwrite = false)
    {
        ThrowIfReadOnly();
        if (batch.Count == 0) return;
        lock (_writeGate)
        {
            var replaced = StoreChecks.CheckNewIds(batch, overwrite, Path, id => TryGetHeader(id, out _));
            try
            {
                EnsureShards(batch);
                ParallelWork.For(batch.Count, i =>
                {
                    var header = batch[i];
                    byte[] png = PngCodec.Encode(batch.GetPixels(i), header.Shape);
                    // A new id's file is invisible until its CSV row lands, so it can be written in place;
                    // replacing a committed image goes through a rename so no reader sees half a file.
                    if (replaced.Contains(header.Id)) FileUtil.WriteAtomic(ImagePath(header.Id), png, _options.SyncWrites);
                    else FileUtil.WriteNew(ImagePath(header.Id), png, _options.SyncWrites);
                }, parallel: batch.Count >= ParallelThreshold);
                if (_options.SyncWrites)
                    foreach (string shard in Enumerable.Range(0, batch.Count).Select(i => ShardName(batch[i].Id)).Distinct())
                        FileUtil.SyncDirectory(System.IO.Path.Combine(Path, ImagesDir, shard));
                AppendRows(batch);
            }
            catch (IOException io)
            {
                throw StoreChecks.WriteFailed(Path, io);
            }
            lock (_index)
            {
                for (int i = 0; i < batch.Count; i++) _index[batch[i].Id] = batch[i];
                _sortedIds = null;
            }
        }
    }

    /// <summary>Releases the writer's lock.</summary>
    public void Dispose() => _lock?.Dispose();

    private void AppendRows(ImageBatch batch)
    {
        var text = new StringBuilder(batch.Count * 32);
        for (int i = 0; i < batch.Count; i++)
        {
            var h = batch[i];
            text.Append(h.Id).Append(',').Append(h.Label).Append(',').Append(Csv.Escape(h.Name)).Append(',')
                .Append(h.Shape.Height).Append(',').Append(h.Shape.Width).Append(',').Append(h.Shape.Channels).Append('\n');
        }
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        using var handle = File.OpenHandle(LabelsPath, FileMode.Open, FileAccess.Write);
        long end = RandomAccess.GetLength(handle);
        try
        {
            RandomAccess.Write(handle, bytes, end);
            if (_options.SyncWrites) RandomAccess.FlushToDisk(handle);
        }
        catch (IOException)
        {
            // Disk full halfway through the rows: cut them off so the committed file stays as it was.
            try { RandomAccess.SetLength(handle, end); } catch (IOException) { }
            throw;
        }
    }

    private void Load()
    {
        using (var marker = File.OpenRead(MarkerPath))
        {
            try
            {
                var meta = JsonSerializer.Deserialize(marker, StoreJsonContext.Default.PngFolderMarker);
                if (meta?.Kind != Kind) throw ImageStashException.NotAStore(Path, "PNG folder");
                _classNames = meta.ClassNames ?? [];
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{MarkerPath}' is not valid JSON ({e.Message}); restore it or recreate the store.", e);
            }
        }
        string text = File.Exists(LabelsPath) ? File.ReadAllText(LabelsPath) : CsvHeader;
        var rows = Csv.Parse(text, out int complete);
        for (int r = 1; r < rows.Count; r++)
        {
            var f = rows[r];
            if (f.Count != 6 || !long.TryParse(f[0], out long id) || id < 0 || !int.TryParse(f[1], out int label)
                || !int.TryParse(f[3], out int h) || !int.TryParse(f[4], out int w) || !int.TryParse(f[5], out int c)
                || h < 1 || w < 1 || c is not (1 or 3 or 4) || h > ImageShape.MaxSide || w > ImageShape.MaxSide)
                throw new InvalidDataException($"'{LabelsPath}' line {r + 1} is not 'id,label,name,height,width,channels': '{string.Join(',', f)}'; run 'imagestash verify {Path}'.");
            // A later row for the same id is an overwrite and wins.
            _index[id] = new ImageHeader(id, new ImageShape(h, w, c), label, f[2].Length == 0 ? null : f[2]);
        }
        // A crash during an append can leave half a row: it was never committed, so drop it.
        if (complete < text.Length && _lock is not null)
            using (var handle = File.OpenHandle(LabelsPath, FileMode.Open, FileAccess.Write))
                RandomAccess.SetLength(handle, Encoding.UTF8.GetByteCount(text.AsSpan(0, complete)));
    }

    private void WriteMarker()
    {
        var meta = new PngFolderMarker { Kind = Kind, Version = 1, ClassNames = _classNames };
        FileUtil.WriteAtomic(MarkerPath, JsonSerializer.SerializeToUtf8Bytes(meta, StoreJsonContext.Default.PngFolderMarker), _options.SyncWrites);
    }

    private void DecodeFile(ImageHeader header, Span<byte> destination)
    {
        string file = ImagePath(header.Id);
        byte[] bytes;
        int length;
        try { bytes = FileUtil.ReadPooled(file, out length); }
        catch (FileNotFoundException e) { throw new InvalidDataException($"store '{Path}': image {header.Id} is listed in {LabelsFile} but '{file}' is missing; run 'imagestash verify {Path}'.", e); }
        try
        {
            PngCodec.Decode(bytes.AsSpan(0, length), destination, header.Shape.Channels, $"'{file}'", header.Shape);
        }
        catch (InvalidDataException e) { throw StoreChecks.Damaged(Path, header.Id, e.Message); }
        finally { ArrayPool<byte>.Shared.Return(bytes); }
    }

    private void ThrowIfReadOnly()
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
    }

    private sealed class PngFolderProvider : IStoreProvider
    {
        public string Format => "png";

        public string PathHint => "a folder path";

        public bool Matches(string path) => File.Exists(System.IO.Path.Combine(path, MarkerFile));

        public IImageStore Open(string path, StoreOptions options) => new PngFolderStore(path, options);
    }
}
