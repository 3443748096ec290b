using ImageStash.Hdf5.Internal;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5;

/// <summary>
/// The article's HDF5 method, and photos too. Raw images of one shape go in the article's own layout —
/// <c>/images</c> uint8 (N, H, W, C) and <c>/meta</c> labels (N,) — so the article's read code works on our files;
/// anything else (encoded files kept as they are, raw images of many sizes) goes in a ragged layout h5py reads as
/// easily: every payload back to back in <c>/payload</c> with per-row spans, shapes and encodings. Either way ids,
/// names, CRCs and class names sit beside them, and the store is appendable (chunked, unlimited first dimension).
/// Written with the HDF Group's libhdf5 (what h5py uses); data is read straight from the file at the chunks'
/// addresses. Layouts and guarantees: docs/formats/hdf5.md.
/// </summary>
/// <remarks>
/// The layout is chosen by the first batch: raw images of one shape make the article's layout, anything else the
/// ragged one. The code is split by concern: opening and layout (<c>Hdf5Store.Layout.cs</c>), the write path with its
/// journal commits (<c>Hdf5Store.Write.cs</c>), the read path (<c>Hdf5Store.Read.cs</c>).
/// </remarks>
public sealed partial class Hdf5Store : IImageStore
{
    private readonly StoreOptions _options;
    private readonly StoreWriterLock? _lock;
    // Readers hold this shared, a commit exclusive (with H5.Gate inside it for libhdf5 itself).
    private readonly ReaderWriterLockSlim _gate = new();
    private long _file = -1;
    private long _root = -1;
    private JournaledFile? _journal; // writers with libhdf5 1.10: every commit atomic

    // Per row, both layouts: ids, labels, CRCs (in memory), and the datasets beside the pixels.
    private readonly List<long> _ids = [];
    private readonly List<int> _labels = [];
    private List<uint>? _crcs;
    private Dictionary<long, int>? _rowOf; // null while ids are first, first+1, … (row = id − first)
    private long _meta = -1, _idsSet = -1, _nameBytes = -1, _nameSpans = -1, _crcSet = -1;
    private long _nameBytesUsed;
    private long _fieldBytes = -1, _fieldSpans = -1; // /field_bytes and /field_spans: made by the first batch with fields
    private long _fieldBytesUsed, _fieldSpanRows; // rows past /field_spans' length (an older writer's appends) have none

    // The article's layout: /images, its shape and where its chunks are.
    private long _images = -1;
    private ImageShape? _shape;
    private ulong _chunkRows; // rows per /images chunk, 0 until known
    private PixelMap? _map;

    // The ragged layout, when the store has it.
    private RaggedRows? _ragged;

    private volatile bool _mapStale; // a commit added chunks: look their addresses up at the next read
    private SafeFileHandle? _data;
    private IReadOnlyList<string> _classNames = [];
    private bool _disposed;

    /// <summary>Opens HDF5 stores: paths ending in .h5 or .hdf5, or files with the HDF5 signature.</summary>
    public static IStoreProvider Provider { get; } = new Hdf5Provider();

    private Hdf5Store(string path, StoreOptions options)
    {
        Path = path;
        _options = options;
        H5.EnsureLoaded();
        if (Directory.Exists(path)) throw ImageStashException.NotAStore(path, "HDF5 (an HDF5 store is one file; this is a folder)");
        bool exists = File.Exists(path);
        StoreChecks.CheckOpenMode(path, exists, options.Mode);
        bool readOnly = options.Mode == StoreOpenMode.ReadOnly;
        lock (H5.Gate)
        {
            try
            {
                if (!readOnly) _lock = StoreWriterLock.Acquire(LockPath(path), path);
                if (!readOnly && exists && new FileInfo(path).LinkTarget is { } target)
                    throw new ImageStashException($"store '{path}' is a symbolic link (to '{target}'); a store is written only through its real path — open '{target}' instead.", ImageStashError.NotWritable);
                if (exists && !RecoverInterruptedCommit(path))
                {
                    exists = false; // the store's creation itself never committed
                    if (options.Mode is StoreOpenMode.Open or StoreOpenMode.ReadOnly) throw ImageStashException.StoreNotFound(path);
                }
                if (exists && H5.Fis_hdf5(path) <= 0) throw ImageStashException.NotAStore(path, "HDF5");
                OpenFile(create: !exists);
                if (!exists && _journal is not null)
                {
                    H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", path);
                    _journal.Commit();
                }
            }
            catch
            {
                CloseHandles();
                _lock?.Dispose();
                throw;
            }
        }
    }

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public string Format => "hdf5";

    /// <inheritdoc />
    public long Count
    {
        get
        {
            _gate.EnterReadLock();
            try { return _ids.Count; }
            finally { _gate.ExitReadLock(); }
        }
    }

    /// <inheritdoc />
    /// <remarks>The images' shape in the article's layout; null in the ragged layout (and before the first image).</remarks>
    public ImageShape? FixedShape => _shape;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Whether the store keeps its images in the ragged layout (encoded files, or raw images of several shapes).</summary>
    public bool Ragged => _ragged is not null;

    /// <summary>Whether pixels are read straight from the file (uncompressed layout) rather than through libhdf5.</summary>
    internal bool DirectReads => CurrentMap() is not null;

    /// <inheritdoc />
    public void SetClassNames(IReadOnlyList<string> names)
    {
        ThrowIfReadOnly();
        _gate.EnterWriteLock();
        try
        {
            lock (H5.Gate)
                Commit(() => H5Util.WriteTextAttribute(_root, "class_names", System.Text.Json.JsonSerializer.Serialize(names.ToArray()), Path));
            _classNames = [.. names];
        }
        finally { _gate.ExitWriteLock(); }
    }

    /// <inheritdoc />
    public IEnumerable<long> EnumerateIds()
    {
        _gate.EnterReadLock();
        try { return _rowOf is null ? [.. _ids] : _ids.Order().ToArray(); }
        finally { _gate.ExitReadLock(); }
    }

    /// <inheritdoc />
    public bool TryGetHeader(long id, out ImageHeader header)
    {
        _gate.EnterReadLock();
        try
        {
            if (!TryRow(id, out int row))
            {
                header = default;
                return false;
            }
            header = Header(row, id, withName: true);
            return true;
        }
        finally { _gate.ExitReadLock(); }
    }

    /// <inheritdoc />
    public ImageHeader Read(long id, Span<byte> payload)
    {
        _gate.EnterReadLock();
        try
        {
            if (!TryRow(id, out int row)) throw ImageStashException.MissingId(Path, id);
            var header = Header(row, id, withName: true);
            StoreChecks.CheckPayloadBuffer(header, payload);
            if (_ragged is not null) ReadPayloadChecked(row, id, payload);
            else ReadChecked([id], payload, stackalloc int[1], header.Shape.Length);
            return header;
        }
        finally { _gate.ExitReadLock(); }
    }

    /// <inheritdoc />
    public bool TryReadPayload(long id, Span<byte> payload, out ImageHeader header)
    {
        _gate.EnterReadLock();
        try
        {
            if (!TryRow(id, out int row)) throw ImageStashException.MissingId(Path, id);
            header = Header(row, id, withName: false);
            if (payload.Length < header.PayloadLength) return false;
            if (_ragged is not null) ReadPayloadChecked(row, id, payload);
            else ReadChecked([id], payload, stackalloc int[1], header.Shape.Length);
            return true;
        }
        finally { _gate.ExitReadLock(); }
    }

    /// <inheritdoc />
    public void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        if (ids.IsEmpty) return;
        _gate.EnterReadLock();
        try
        {
            if (_ragged is not null)
            {
                ReadManyRagged(ids, pixels, labels);
                return;
            }
            var shape = _shape ?? throw ImageStashException.MissingId(Path, ids[0]);
            StoreChecks.CheckReadManyBuffers(ids.Length, shape, pixels, labels);
            int size = shape.Length;
            // A big request (an epoch, an export, the article's read-many) goes on every core; reading all first and
            // then checking took twice as long.
            ParallelReads.ReadMany(ids, pixels, labels, size, (blockIds, blockPixels, blockLabels) => ReadChecked(blockIds, blockPixels, blockLabels, size));
        }
        finally { _gate.ExitReadLock(); }
    }

    /// <inheritdoc />
    public void Put(ImageBatch batch, bool overwrite = false)
    {
        ThrowIfReadOnly();
        if (batch.Count == 0) return;
        _gate.EnterWriteLock();
        try
        {
            // The first batch chooses the layout: the article's for raw images of one shape, ragged for anything else.
            bool ragged = _ragged is not null || _images < 0 && !AllRawOfOneShape(batch);
            if (!ragged) StoreChecks.CheckFixedShape(batch, _shape ?? batch[0].Shape, Path);
            var replaced = StoreChecks.CheckNewIds(batch, overwrite, Path, id => TryRow(id, out _));
            lock (H5.Gate)
            {
                if (ragged) WriteRagged(batch, replaced);
                else WriteBatch(batch, replaced, _shape ?? batch[0].Shape);
            }
        }
        finally { _gate.ExitWriteLock(); }
    }

    /// <summary>Closes the file and releases the writer's lock.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (H5.Gate)
        {
            CloseHandles(); // libhdf5 writes what it still holds: one last commit
            if (_journal is { Failure: null })
            {
                try
                {
                    _journal.Commit();
                    _journal.CloseJournal();
                }
                catch (IOException) { JournaledFile.Recover(Path); }
            }
            else if (_journal is not null) JournaledFile.Recover(Path);
        }
        _data?.Dispose();
        _lock?.Dispose();
        _gate.Dispose();
    }

    private static bool AllRawOfOneShape(ImageBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
            if (!batch[i].IsRaw || batch[i].Shape != batch[0].Shape) return false;
        return true;
    }

    /// <summary>Row <paramref name="row"/>'s header, from memory (and its name and fields from the file). Caller holds the read gate.</summary>
    private ImageHeader Header(int row, long id, bool withName)
    {
        string? name = null;
        RecordFields? fields = null;
        if (withName && (_nameSpans >= 0 || _fieldSpans >= 0))
            lock (H5.Gate)
            {
                if (_nameSpans >= 0) name = ReadName(row);
                if (_fieldSpans >= 0 && row < _fieldSpanRows) fields = ReadFields(row);
            }
        if (_ragged is { } r)
            return new ImageHeader(id, r.ShapeOf[row], _labels[row], string.IsNullOrEmpty(name) ? null : name)
            {
                Encoding = r.EncodingOf[row],
                PayloadLength = r.SpanOf[row].Length,
                Fields = fields,
            };
        var shape = _shape!.Value;
        return new ImageHeader(id, shape, _labels[row], string.IsNullOrEmpty(name) ? null : name) { PayloadLength = shape.ByteCount, Fields = fields };
    }

    private void ThrowIfReadOnly()
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
    }

    private sealed class Hdf5Provider : IStoreProvider
    {
        private static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

        public string Format => "hdf5";

        public string PathHint => ".h5/.hdf5";

        public bool Matches(string path)
        {
            if (path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase)) return true;
            if (!File.Exists(path)) return false;
            Span<byte> head = stackalloc byte[8];
            using var f = File.OpenHandle(path);
            return RandomAccess.Read(f, head, 0) == 8 && head.SequenceEqual(Signature);
        }

        public IImageStore Open(string path, StoreOptions options) => new Hdf5Store(path, options);
    }
}
