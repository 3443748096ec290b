using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using ImageStash.Codecs;
using ImageStash.Internal;

namespace ImageStash.FolderStore;

/// <summary>
/// The article's "disk" method, for photos too: one file per image in <c>images/</c> — a lossless PNG for raw
/// pixels, the original bytes for an encoded image (<c>&lt;id&gt;.jpg</c>, <c>.png</c>, <c>.webp</c>) — labels in
/// <c>labels.csv</c>, store metadata in <c>imagestash.json</c>. Layout and guarantees: docs/formats/png-folder.md.
/// </summary>
/// <remarks>
/// <c>labels.csv</c> is the commit point: a batch's files are written first, then its rows are appended in one
/// write. An image whose row is missing does not exist, so a crash never exposes half a batch. Encoding and
/// decoding run in parallel across cores.
/// </remarks>
public sealed class PngFolderStore : IImageStore
{
    internal const string MarkerFile = "imagestash.json";
    internal const string LabelsFile = "labels.csv";
    internal const string ImagesDir = "images";
    internal const string CsvHeader = "id,label,name,height,width,channels,encoding,length,crc32,fields\n";
    private const string FirstCsvHeader = "id,label,name,height,width,channels\n"; // version 1: raw PNGs only
    private const string SecondCsvHeader = "id,label,name,height,width,channels,encoding,length,crc32\n"; // version 2: no fields
    private const int LayoutVersion = 3;
    private const string Kind = "imagestash-png-folder";
    private const int ParallelThreshold = 16;

    private readonly Dictionary<long, (ImageHeader Header, uint Crc)> _index = [];
    private readonly StoreOptions _options;
    private readonly StoreWriterLock? _lock;
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
        bool nonEmpty = Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any();
        if (!exists && nonEmpty && options.Mode is StoreOpenMode.Open or StoreOpenMode.ReadOnly) throw ImageStashException.NotAStore(path, "PNG folder");
        if (nonEmpty && !exists)
            throw ImageStashException.NotAStore(path, "PNG folder (the folder is not empty and has no imagestash.json)");
        _lock = StoreWriterLock.OpenStore(path, exists, options.Mode, System.IO.Path.Combine(path, StoreWriterLock.FileName), () =>
        {
            if (exists) Load();
            else
            {
                File.WriteAllText(LabelsPath, CsvHeader);
                WriteMarker();
            }
        }, prepare: () => Directory.CreateDirectory(System.IO.Path.Combine(path, ImagesDir)));
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
    /// images/&lt;id mod 256 as two hex digits&gt;/&lt;id&gt;.&lt;ext&gt;: ext4 and friends serialise file creation within
    /// one folder, so spreading consecutive ids over 256 folders lets a batch be written by all cores
    /// (benchmarks/results/2026-12-03-house/from-comments.md).
    /// </summary>
    internal string ImagePath(long id, ImageEncoding encoding) =>
        System.IO.Path.Combine(Path, ImagesDir, ShardName(id), id.ToString(CultureInfo.InvariantCulture) + ImageCodecs.FileExtension(encoding));

    private static string ShardName(long id) => (id & 0xFF).ToString("x2", CultureInfo.InvariantCulture);

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
        lock (_index)
        {
            bool found = _index.TryGetValue(id, out var entry);
            header = entry.Header;
            return found;
        }
    }

    /// <inheritdoc />
    public ImageHeader Read(long id, Span<byte> payload)
    {
        (ImageHeader Header, uint Crc) entry;
        lock (_index)
            if (!_index.TryGetValue(id, out entry)) throw ImageStashException.MissingId(Path, id);
        StoreChecks.CheckPayloadBuffer(entry.Header, payload);
        ReadFile(entry.Header, entry.Crc, payload);
        return entry.Header;
    }

    /// <inheritdoc />
    public bool TryReadPayload(long id, Span<byte> payload, out ImageHeader header)
    {
        (ImageHeader Header, uint Crc) entry;
        lock (_index)
            if (!_index.TryGetValue(id, out entry)) throw ImageStashException.MissingId(Path, id);
        header = entry.Header with { Name = null, Fields = null };
        if (payload.Length < header.PayloadLength) return false;
        ReadFile(entry.Header, entry.Crc, payload);
        return true;
    }

    /// <inheritdoc />
    public unsafe void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        if (ids.IsEmpty) return;
        var entries = new (ImageHeader Header, uint Crc)[ids.Length];
        lock (_index)
            for (int i = 0; i < ids.Length; i++)
                if (!_index.TryGetValue(ids[i], out entries[i])) throw ImageStashException.MissingId(Path, ids[i]);
        var shape = entries[0].Header.Shape;
        foreach (var (h, _) in entries) StoreChecks.CheckReadManyRecord(Path, shape, h);
        StoreChecks.CheckReadManyBuffers(ids.Length, shape, pixels, labels);
        for (int i = 0; i < entries.Length; i++) labels[i] = entries[i].Header.Label;

        int size = shape.Length;
        fixed (byte* basePtr = pixels)
        {
            nint address = (nint)basePtr;
            ParallelWork.For(entries.Length, i => ReadFile(entries[i].Header, entries[i].Crc, new Span<byte>((byte*)address + (long)i * size, size)),
                parallel: entries.Length >= ParallelThreshold);
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
            var crcs = new uint[batch.Count];
            try
            {
                EnsureShards(batch);
                ParallelWork.For(batch.Count, i =>
                {
                    var header = batch[i];
                    ReadOnlySpan<byte> file;
                    byte[]? png = null;
                    if (header.IsRaw) file = png = ImageEncoder.Png(batch.GetPayload(i), header.Shape);
                    else
                    {
                        file = batch.GetPayload(i);
                        crcs[i] = Crc32.HashToUInt32(file);
                    }
                    // A new id's file is invisible until its CSV row lands, so it can be written in place;
                    // replacing a committed image goes through a rename so no reader sees half a file.
                    string target = ImagePath(header.Id, header.Encoding);
                    if (replaced.Contains(header.Id)) StoreFiles.WriteAtomic(target, file, _options.SyncWrites);
                    else StoreFiles.WriteNew(target, file, _options.SyncWrites);
                }, parallel: batch.Count >= ParallelThreshold);
                if (_options.SyncWrites)
                    foreach (string shard in Enumerable.Range(0, batch.Count).Select(i => ShardName(batch[i].Id)).Distinct())
                        StoreFiles.SyncDirectory(System.IO.Path.Combine(Path, ImagesDir, shard));
                AppendRows(batch, crcs);
            }
            catch (IOException io)
            {
                throw StoreChecks.WriteFailed(Path, io);
            }
            var orphans = new List<string>();
            lock (_index)
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    // A replacement stored under another extension leaves the old file behind: remove it once committed.
                    if (_index.TryGetValue(batch[i].Id, out var old) && ImageCodecs.FileExtension(old.Header.Encoding) != ImageCodecs.FileExtension(batch[i].Encoding))
                        orphans.Add(ImagePath(old.Header.Id, old.Header.Encoding));
                    _index[batch[i].Id] = (batch[i], crcs[i]);
                }
                _sortedIds = null;
            }
            foreach (string orphan in orphans)
                try { File.Delete(orphan); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Releases the writer's lock.</summary>
    public void Dispose() => _lock?.Dispose();

    private void AppendRows(ImageBatch batch, uint[] crcs)
    {
        var text = new StringBuilder(batch.Count * 48);
        for (int i = 0; i < batch.Count; i++) AppendRow(text, batch[i], crcs[i]);
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

    private static void AppendRow(StringBuilder text, ImageHeader h, uint crc)
    {
        var s = h.Shape;
        text.Append(h.Id).Append(',').Append(h.Label).Append(',').Append(Csv.Escape(h.Name)).Append(',')
            .Append(s.Height).Append(',').Append(s.Width).Append(',').Append(s.Channels).Append(',')
            .Append(ImageEncodingNames.Name(h.Encoding)).Append(',').Append(h.PayloadLength).Append(',')
            .Append(h.IsRaw ? "" : crc.ToString("x8", CultureInfo.InvariantCulture)).Append(',')
            .Append(Csv.Escape(h.Fields?.Json)).Append('\n');
    }

    private void Load()
    {
        using (var marker = File.OpenRead(MarkerPath))
        {
            try
            {
                var meta = JsonSerializer.Deserialize(marker, StoreJsonContext.Default.PngFolderMarker);
                if (meta?.Kind != Kind) throw ImageStashException.NotAStore(Path, "PNG folder");
                if (meta.Version > LayoutVersion) throw ImageStashException.NewerLayout(Path, "PNG folder", meta.Version, LayoutVersion);
                _classNames = meta.ClassNames ?? [];
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{MarkerPath}' is not valid JSON ({e.Message}); restore it or recreate the store.", e);
            }
        }
        string text = File.Exists(LabelsPath) ? File.ReadAllText(LabelsPath) : CsvHeader;
        var rows = Csv.Parse(text, out int complete);
        int version = text.StartsWith(FirstCsvHeader, StringComparison.Ordinal) ? 1 : text.StartsWith(SecondCsvHeader, StringComparison.Ordinal) ? 2 : LayoutVersion;
        string header = (version switch { 1 => FirstCsvHeader, 2 => SecondCsvHeader, _ => CsvHeader }).TrimEnd();
        for (int r = 1; r < rows.Count; r++)
        {
            // A later row for the same id is an overwrite and wins.
            var entry = ParseRow(rows[r], version, out string? fieldsProblem) ?? throw new InvalidDataException(fieldsProblem is null
                ? $"'{LabelsPath}' line {r + 1} is not '{header}': '{string.Join(',', rows[r])}'; run 'imagestash verify {Path}'."
                : $"'{LabelsPath}' line {r + 1}: the fields column must be {fieldsProblem}; run 'imagestash verify {Path}'.");
            _index[entry.Header.Id] = entry;
        }
        // Load runs inside StoreWriterLock.OpenStore, before _lock is set: the mode says whether this is the writer.
        if (_options.Mode == StoreOpenMode.ReadOnly) return;
        // A crash during an append can leave half a row: it was never committed, so drop it.
        if (complete < text.Length)
            using (var handle = File.OpenHandle(LabelsPath, FileMode.Open, FileAccess.Write))
                RandomAccess.SetLength(handle, Encoding.UTF8.GetByteCount(text.AsSpan(0, complete)));
        // A store from before encoded images or fields: its rows are rewritten with the new columns, once, atomically.
        if (version < LayoutVersion)
        {
            RewriteRows();
            WriteMarker();
        }
    }

    private static (ImageHeader Header, uint Crc)? ParseRow(List<string> f, int version, out string? fieldsProblem)
    {
        fieldsProblem = null;
        bool first = version == 1;
        if (f.Count != version switch { 1 => 6, 2 => 9, _ => 10 } || !long.TryParse(f[0], out long id) || id < 0 || !int.TryParse(f[1], out int label)
            || !int.TryParse(f[3], out int h) || !int.TryParse(f[4], out int w) || !int.TryParse(f[5], out int c)
            || h < 1 || w < 1 || c is not (1 or 3 or 4) || h > ImageShape.MaxSide || w > ImageShape.MaxSide || (long)h * w > ImageShape.MaxPixels)
            return null;
        var shape = new ImageShape(h, w, c);
        var header = new ImageHeader(id, shape, label, f[2].Length == 0 ? null : f[2]) { PayloadLength = shape.ByteCount };
        if (first) return (header, 0);
        if (!ImageEncodingNames.TryParse(f[6], out var encoding) || !long.TryParse(f[7], out long length) || length < 1
            || (encoding == ImageEncoding.Raw ? length != shape.ByteCount || f[8].Length != 0 : length > Array.MaxLength))
            return null;
        uint crc = 0;
        if (encoding != ImageEncoding.Raw && !uint.TryParse(f[8], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out crc)) return null;
        RecordFields? fields = null;
        if (version >= 3 && f[9].Length > 0 && !RecordFields.TryFromUtf8(Encoding.UTF8.GetBytes(f[9]), out fields, out fieldsProblem)) return null;
        return (header with { Encoding = encoding, PayloadLength = length, Fields = fields }, crc);
    }

    private void RewriteRows()
    {
        var text = new StringBuilder(CsvHeader, CsvHeader.Length + _index.Count * 48);
        foreach (var (header, crc) in _index.Values.OrderBy(e => e.Header.Id)) AppendRow(text, header, crc);
        StoreFiles.WriteAtomic(LabelsPath, Encoding.UTF8.GetBytes(text.ToString()), _options.SyncWrites);
    }

    private void WriteMarker()
    {
        var meta = new PngFolderMarker { Kind = Kind, Version = LayoutVersion, ClassNames = _classNames };
        StoreFiles.WriteAtomic(MarkerPath, JsonSerializer.SerializeToUtf8Bytes(meta, StoreJsonContext.Default.PngFolderMarker), _options.SyncWrites);
    }

    /// <summary>Puts a record's payload into <paramref name="destination"/>: the PNG decoded for raw pixels, the file's bytes (CRC-checked) otherwise.</summary>
    private void ReadFile(ImageHeader header, uint crc, Span<byte> destination)
    {
        string file = ImagePath(header.Id, header.Encoding);
        byte[] bytes;
        int length;
        try { bytes = FileUtil.ReadPooled(file, out length); }
        catch (FileNotFoundException e) { throw new InvalidDataException($"store '{Path}': image {header.Id} is listed in {LabelsFile} but '{file}' is missing; run 'imagestash verify {Path}'.", e); }
        try
        {
            var data = bytes.AsSpan(0, length);
            if (header.IsRaw)
            {
                ImageInfo info;
                try { info = SkiaCodec.Png.ReadInfo(data); }
                catch (InvalidDataException e) { throw StoreChecks.Damaged(Path, header.Id, $"'{file}': {e.Message}"); }
                if (info.Width != header.Shape.Width || info.Height != header.Shape.Height)
                    throw StoreChecks.Damaged(Path, header.Id, $"'{file}' is {info.Width}×{info.Height}, but {LabelsFile} says {header.Shape.Width}×{header.Shape.Height}");
                try { SkiaCodec.Png.Decode(data, 1, header.Shape.Channels, destination); }
                catch (InvalidDataException e) { throw StoreChecks.Damaged(Path, header.Id, $"'{file}': {e.Message}"); }
                return;
            }
            if (length != header.PayloadLength)
                throw StoreChecks.Damaged(Path, header.Id, $"'{file}' is {length} bytes, but {LabelsFile} says {header.PayloadLength}");
            uint actual = Crc32.HashToUInt32(data);
            if (actual != crc) throw StoreChecks.Damaged(Path, header.Id, $"'{file}' has CRC32 {actual:x8}, but {LabelsFile} says {crc:x8}");
            data.CopyTo(destination);
        }
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
