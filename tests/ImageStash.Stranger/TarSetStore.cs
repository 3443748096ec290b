using System.Formats.Tar;
using System.Globalization;
using System.Text.Json;

namespace ImageStash.Stranger;

/// <summary>
/// A streaming store a stranger could write with the public API alone: a folder of tar files, one per batch put
/// (<c>part-000000.tar</c>, …), each record one entry <c>&lt;id&gt;</c> whose PAX attributes carry its header, and
/// <c>tarset.json</c> naming the kind and the classes. It is read in its own order (<see cref="IStreamingStore"/>):
/// an epoch visits the tar files in a seeded order and each file's records in a seeded order, and rank r of w takes
/// the r-th contiguous run of that sequence, so a rank reads few files; the parts being read are held in a
/// <see cref="ChunkWindow{T}"/>, each read whole once and shared by the loader's threads. Small, not fast: a test store.
/// </summary>
public sealed class TarSetStore : IStreamingStore
{
    private const string MarkerFile = "tarset.json";
    private readonly StoreOptions _options;
    private readonly StoreWriterLock? _lock;
    private readonly object _gate = new();
    private readonly List<List<long>> _partIds = [];                          // every part's ids in the order written
    private readonly SortedDictionary<long, (int Part, ImageHeader Header)> _index = []; // where each id's latest record is
    private List<string> _classNames = [];
    private readonly ChunkWindow<Part> _parts;                                 // parts read whole: reading streams part by part

    public static IStoreProvider Provider { get; } = new TarSetProvider();

    private TarSetStore(string path, StoreOptions options)
    {
        Path = path;
        _options = options;
        _parts = new ChunkWindow<Part>(capacity: 2, part => new Part(ReadPart(part)), owner: this);
        if (File.Exists(path)) throw ImageStashException.NotAStore(path, "tar set");
        bool exists = File.Exists(MarkerPath);
        _lock = StoreWriterLock.OpenStore(path, exists, options.Mode, System.IO.Path.Combine(path, StoreWriterLock.FileName), () =>
        {
            if (exists) Load();
            else WriteMarker();
        }, prepare: () => Directory.CreateDirectory(path));
    }

    public string Path { get; }

    public string Format => "tarset";

    public long Count { get { lock (_gate) return _index.Count; } }

    public ImageShape? FixedShape => null;

    public IReadOnlyList<string> ClassNames => _classNames;

    private string MarkerPath => System.IO.Path.Combine(Path, MarkerFile);

    private string PartPath(int part) => System.IO.Path.Combine(Path, $"part-{part:D6}.tar");

    public void SetClassNames(IReadOnlyList<string> names)
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
        lock (_gate)
        {
            _classNames = [.. names];
            WriteMarker();
        }
    }

    public IEnumerable<long> EnumerateIds()
    {
        lock (_gate) return [.. _index.Keys];
    }

    public bool TryGetHeader(long id, out ImageHeader header)
    {
        lock (_gate)
        {
            bool found = _index.TryGetValue(id, out var at);
            header = at.Header;
            return found;
        }
    }

    public ImageHeader Read(long id, Span<byte> payload)
    {
        (int Part, ImageHeader Header) at;
        lock (_gate)
            if (!_index.TryGetValue(id, out at)) throw ImageStashException.MissingId(Path, id);
        StoreChecks.CheckPayloadBuffer(at.Header, payload);
        using var part = _parts.Acquire(at.Part); // parts are never rewritten: a put adds a part
        if (!part.Chunk.Payloads.TryGetValue(id, out var bytes)) throw StoreChecks.Damaged(Path, id, $"its entry is missing from {PartPath(at.Part)}");
        if (bytes.Length != at.Header.PayloadLength) throw StoreChecks.Damaged(Path, id, $"its entry is {bytes.Length} bytes, its header says {at.Header.PayloadLength}");
        bytes.CopyTo(payload);
        return at.Header;
    }

    public void Put(ImageBatch batch, bool overwrite = false)
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
        if (batch.Count == 0) return;
        lock (_gate)
        {
            StoreChecks.CheckNewIds(batch, overwrite, Path, _index.ContainsKey);
            int part = _partIds.Count;
            var tar = new MemoryStream();
            using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
                for (int i = 0; i < batch.Count; i++)
                {
                    var h = batch[i];
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, h.Id.ToString(CultureInfo.InvariantCulture), Attributes(h))
                    {
                        DataStream = new MemoryStream(batch.GetPayload(i).ToArray()),
                    };
                    writer.WriteEntry(entry);
                }
            try { StoreFiles.WriteAtomic(PartPath(part), tar.GetBuffer().AsSpan(0, (int)tar.Length), _options.SyncWrites); }
            catch (IOException e) { throw StoreChecks.WriteFailed(Path, e); }
            var ids = new List<long>(batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                ids.Add(batch[i].Id);
                _index[batch[i].Id] = (part, batch[i]);
            }
            _partIds.Add(ids);
        }
    }

    /// <summary>Epochs in this set's own order: see <see cref="TarSetOrder"/>.</summary>
    public IEpochOrder Order(EpochOrderOptions options, EpochOrderState? resume)
    {
        if (resume is not null) options.CheckResume(resume, anyWorldSize: false);
        return new TarSetOrder(Parts(), options, resume);
    }

    public IEnumerable<long> StreamOrder() => Parts().SelectMany(p => p);

    public void Dispose()
    {
        _parts.Dispose();
        _lock?.Dispose();
    }

    /// <summary>Each part's ids whose latest record it holds, in the order written.</summary>
    private List<long[]> Parts()
    {
        lock (_gate) return [.. _partIds.Select((ids, part) => ids.Where(id => _index[id].Part == part).ToArray())];
    }

    private static Dictionary<string, string> Attributes(ImageHeader h) => new()
    {
        ["imagestash.label"] = h.Label.ToString(CultureInfo.InvariantCulture),
        ["imagestash.shape"] = FormattableString.Invariant($"{h.Shape.Height}x{h.Shape.Width}x{h.Shape.Channels}"),
        ["imagestash.encoding"] = ImageEncodingNames.Name(h.Encoding),
        ["imagestash.name"] = h.Name ?? "",
        ["imagestash.hasname"] = h.Name is null ? "0" : "1",
        ["imagestash.fields"] = h.Fields?.Json ?? "",
    };

    private ImageHeader Header(PaxTarEntry entry, int part)
    {
        var a = entry.ExtendedAttributes;
        try
        {
            long id = long.Parse(entry.Name, CultureInfo.InvariantCulture);
            var hwc = a["imagestash.shape"].Split('x').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            if (!ImageEncodingNames.TryParse(a["imagestash.encoding"], out var encoding)) throw new FormatException(a["imagestash.encoding"]);
            return new ImageHeader(id, new ImageShape(hwc[0], hwc[1], hwc[2]), int.Parse(a["imagestash.label"], CultureInfo.InvariantCulture),
                a["imagestash.hasname"] == "1" ? a["imagestash.name"] : null)
            {
                Encoding = encoding,
                PayloadLength = entry.Length,
                Fields = a.TryGetValue("imagestash.fields", out string? fields) && fields.Length > 0 ? RecordFields.Parse(fields) : null,
            };
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or OverflowException or IndexOutOfRangeException or ArgumentException)
        {
            throw new InvalidDataException($"'{PartPath(part)}': entry '{entry.Name}' has no readable ImageStash header ({e.Message}).", e);
        }
    }

    private void Load()
    {
        var marker = JsonSerializer.Deserialize<Marker>(File.ReadAllText(MarkerPath));
        if (marker?.Format != "tarset") throw ImageStashException.NotAStore(Path, "tar set");
        _classNames = [.. marker.ClassNames];
        for (int part = 0; File.Exists(PartPath(part)); part++)
        {
            var ids = new List<long>();
            using var reader = new TarReader(File.OpenRead(PartPath(part)));
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry is not PaxTarEntry pax) throw new InvalidDataException($"'{PartPath(part)}': entry '{entry.Name}' is not a PAX entry.");
                var header = Header(pax, part);
                ids.Add(header.Id);
                _index[header.Id] = (part, header);
            }
            _partIds.Add(ids);
        }
    }

    private Dictionary<long, byte[]> ReadPart(int part)
    {
        var payloads = new Dictionary<long, byte[]>();
        using var reader = new TarReader(File.OpenRead(PartPath(part)));
        while (reader.GetNextEntry() is { } entry)
        {
            var bytes = new byte[entry.Length];
            entry.DataStream?.ReadExactly(bytes);
            payloads[long.Parse(entry.Name, CultureInfo.InvariantCulture)] = bytes;
        }
        return payloads;
    }

    private void WriteMarker() =>
        StoreFiles.WriteAtomic(MarkerPath, JsonSerializer.SerializeToUtf8Bytes(new Marker("tarset", [.. _classNames])), _options.SyncWrites);

    private sealed record Marker(string Format, List<string> ClassNames);

    /// <summary>One part's payloads by id, in memory (nothing to close).</summary>
    private sealed class Part(Dictionary<long, byte[]> payloads) : IDisposable
    {
        public Dictionary<long, byte[]> Payloads { get; } = payloads;

        public void Dispose() { }
    }

    private sealed class TarSetProvider : IStoreProvider
    {
        public string Format => "tarset";

        public string PathHint => ".tars";

        public bool Matches(string path) => path.TrimEnd('/').EndsWith(".tars", StringComparison.OrdinalIgnoreCase);

        public IImageStore Open(string path, StoreOptions options) => new TarSetStore(path, options);
    }
}
