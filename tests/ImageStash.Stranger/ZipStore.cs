using System.IO.Compression;
using System.Text.Json;

namespace ImageStash.Stranger;

/// <summary>
/// A store a stranger could write with the public API alone — the proof that the contract is enough. Every record is
/// one entry of a zip file (<c>&lt;id&gt;</c>, stored uncompressed) and <c>index.json</c> lists their headers. A batch is
/// committed by writing a whole new zip beside the old one and renaming it over it, so a reader never sees half of one.
/// Small, not fast: a test store, built in a project without access to the core's internals and run through the shared
/// round-trip suite like the built-in ones.
/// </summary>
public sealed class ZipStore : IImageStore
{
    private readonly StoreOptions _options;
    private readonly StoreWriterLock? _lock;
    private readonly object _gate = new();
    private SortedDictionary<long, ImageHeader> _index = [];
    private ZipArchive? _reader; // the committed file, open for reads until the next commit replaces it
    private List<string> _classNames = [];

    public static IStoreProvider Provider { get; } = new ZipProvider();

    private ZipStore(string path, StoreOptions options)
    {
        Path = path;
        _options = options;
        bool exists = File.Exists(path);
        _lock = StoreWriterLock.OpenStore(path, exists, options.Mode, path + ".lock", () =>
        {
            if (exists) Load();
            else Commit(_index, []);
        });
    }

    public string Path { get; }

    public string Format => "zip";

    public long Count { get { lock (_gate) return _index.Count; } }

    public ImageShape? FixedShape => null;

    public IReadOnlyList<string> ClassNames => _classNames;

    public void SetClassNames(IReadOnlyList<string> names)
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
        lock (_gate)
        {
            _classNames = [.. names];
            Commit(_index, []);
        }
    }

    public IEnumerable<long> EnumerateIds()
    {
        lock (_gate) return [.. _index.Keys];
    }

    public bool TryGetHeader(long id, out ImageHeader header)
    {
        lock (_gate) return _index.TryGetValue(id, out header);
    }

    public ImageHeader Read(long id, Span<byte> payload)
    {
        if (!TryGetHeader(id, out var header)) throw ImageStashException.MissingId(Path, id);
        StoreChecks.CheckPayloadBuffer(header, payload);
        lock (_gate)
        {
            var zip = _reader ??= ZipFile.OpenRead(Path);
            var entry = zip.GetEntry(id.ToString(System.Globalization.CultureInfo.InvariantCulture))
                ?? throw StoreChecks.Damaged(Path, id, "its entry is missing from the zip");
            if (entry.Length != header.PayloadLength) throw StoreChecks.Damaged(Path, id, $"its entry is {entry.Length} bytes, the index says {header.PayloadLength}");
            using var stream = entry.Open();
            stream.ReadExactly(payload[..(int)header.PayloadLength]);
        }
        return header;
    }

    public void Put(ImageBatch batch, bool overwrite = false)
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
        if (batch.Count == 0) return;
        lock (_gate)
        {
            StoreChecks.CheckNewIds(batch, overwrite, Path, _index.ContainsKey);
            var index = new SortedDictionary<long, ImageHeader>(_index);
            for (int i = 0; i < batch.Count; i++) index[batch[i].Id] = batch[i];
            try { Commit(index, Enumerable.Range(0, batch.Count).ToDictionary(i => batch[i].Id, i => batch.GetPayload(i).ToArray())); }
            catch (IOException e) { throw StoreChecks.WriteFailed(Path, e); }
            _index = index;
        }
    }

    public void Dispose()
    {
        lock (_gate) _reader?.Dispose();
        _lock?.Dispose();
    }

    /// <summary>Writes the store anew with <paramref name="index"/>: old entries copied, new payloads added, then renamed over the old file.</summary>
    private void Commit(SortedDictionary<long, ImageHeader> index, Dictionary<long, byte[]> added)
    {
        var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            var old = File.Exists(Path) ? _reader ??= ZipFile.OpenRead(Path) : null;
            foreach (long id in index.Keys)
            {
                string name = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                using var target = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                if (added.TryGetValue(id, out var bytes)) target.Write(bytes);
                else using (var source = old!.GetEntry(name)!.Open()) source.CopyTo(target);
            }
            using var json = zip.CreateEntry("index.json").Open();
            JsonSerializer.Serialize(json, new Index([.. _classNames], [.. index.Values.Select(h => new Row(h.Id, h.Label, h.Name, h.Shape.Height, h.Shape.Width, h.Shape.Channels, (int)h.Encoding, h.PayloadLength, h.Fields?.Json))]));
        }
        _reader?.Dispose();
        _reader = null;
        StoreFiles.WriteAtomic(Path, memory.GetBuffer().AsSpan(0, (int)memory.Length), _options.SyncWrites);
    }

    private void Load()
    {
        using var zip = ZipFile.OpenRead(Path);
        var entry = zip.GetEntry("index.json") ?? throw ImageStashException.NotAStore(Path, "zip");
        using var json = entry.Open();
        var index = JsonSerializer.Deserialize<Index>(json) ?? throw new InvalidDataException($"'{Path}': index.json is empty.");
        _classNames = [.. index.ClassNames];
        foreach (var r in index.Rows)
            _index[r.Id] = new ImageHeader(r.Id, new ImageShape(r.Height, r.Width, r.Channels), r.Label, r.Name) { Encoding = (ImageEncoding)r.Encoding, PayloadLength = r.Length, Fields = r.Fields is null ? null : RecordFields.Parse(r.Fields) };
    }

    private sealed record Row(long Id, int Label, string? Name, int Height, int Width, int Channels, int Encoding, long Length, string? Fields = null);

    private sealed record Index(List<string> ClassNames, List<Row> Rows);

    private sealed class ZipProvider : IStoreProvider
    {
        public string Format => "zip";

        public string PathHint => ".zip";

        public bool Matches(string path) => path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

        public IImageStore Open(string path, StoreOptions options) => new ZipStore(path, options);
    }
}
