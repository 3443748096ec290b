using System.Buffers;
using System.IO.Hashing;
using ImageStash.Hdf5.Internal;
using ImageStash.Internal;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5;

/// <summary>
/// The article's HDF5 method in its own layout — <c>/images</c> uint8 (N, H, W, C) and <c>/meta</c> labels (N,) —
/// so the article's read code works on our files, plus ids, names, CRCs and class names beside them; appendable
/// (chunked, unlimited first dimension). Written with the HDF Group's libhdf5 (what h5py uses); pixels are read
/// straight from the file at the chunks' addresses. Layout and guarantees: docs/formats/hdf5.md.
/// </summary>
public sealed class Hdf5Store : IImageStore
{
    private const int MetaChunkRows = 1024;
    private const int ChunkBytesTarget = 1 << 20;
    private ulong _chunkRows; // rows per /images chunk, 0 until known

    private readonly StoreOptions _options;
    private readonly FileStream? _lock;
    private long _file = -1;
    private long _root = -1;
    private JournaledFile? _journal; // writers with libhdf5 1.10: every commit atomic
    private volatile bool _mapStale;
    private readonly ReaderWriterLockSlim _gate = new();
    private readonly List<long> _ids = [];
    private readonly List<int> _labels = [];
    private List<uint>? _crcs;
    private Dictionary<long, int>? _rowOf; // null while ids are first, first+1, … (row = id − first)
    private long _images = -1, _meta = -1, _idsSet = -1, _nameBytes = -1, _nameSpans = -1, _crcSet = -1;
    private long _nameBytesUsed;
    private ImageShape? _shape;
    private PixelMap? _map;
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
        switch (options.Mode)
        {
            case StoreOpenMode.CreateNew when exists: throw ImageStashException.StoreExists(path);
            case StoreOpenMode.Open or StoreOpenMode.ReadOnly when !exists: throw ImageStashException.StoreNotFound(path);
        }
        bool readOnly = options.Mode == StoreOpenMode.ReadOnly;
        lock (H5.Gate)
        {
            try
            {
                if (!readOnly) _lock = WriterLock.AcquireFile(LockPath(path), path);
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
                if (_lock is not null) WriterLock.Release(_lock);
                throw;
            }
        }
    }

    /// <summary>
    /// Rolls back a commit a killed writer left half done (a hot journal beside the file); a reader takes the writer's
    /// lock for it, and leaves it to a live writer. Returns false when nothing committed remains (a creation that
    /// never finished; the file is removed).
    /// </summary>
    private bool RecoverInterruptedCommit(string path)
    {
        if (!JournaledFile.IsHot(path)) return true;
        FileStream? held = _lock;
        if (held is null)
        {
            try { held = WriterLock.TryAcquireFile(LockPath(path), path); }
            catch (ImageStashException e)
            {
                throw new ImageStashException($"store '{path}' was left mid-commit by a writer that stopped, and cannot be rolled back from here ({e.InnerException?.Message}); open it once where its folder is writable.", e);
            }
            if (held is null) return true; // a live writer owns the journal
        }
        try
        {
            if (!JournaledFile.Recover(path) || new FileInfo(path).Length > 0) return true;
            File.Delete(path);
            return false;
        }
        finally { if (held != _lock) WriterLock.Release(held); }
    }

    /// <summary>The writer's lock file beside the store.</summary>
    private static string LockPath(string path) => path + ".lock";

    /// <summary>Opens (or creates) the file and loads its state; writers go through the journal driver.</summary>
    private void OpenFile(bool create)
    {
        bool readOnly = _lock is null;
        Exception? failure = null;
        long fapl = H5.Check(H5.Pcreate(H5.FILE_ACCESS), "H5Pcreate", Path);
        try
        {
            // HDF5's own flock would refuse readers while we write; our lock file keeps out second writers.
            try { H5.Pset_file_locking(fapl, false, true); } catch (EntryPointNotFoundException) { }
            // The default (earliest) file format on purpose: the 1.10 format's checksums would help against
            // damage, but it marks a file "open for write" in its superblock, which keeps readers out while
            // we write and keeps everyone out after a killed writer until h5clear is run.
            if (!readOnly && JournalDriver.Id >= 0)
            {
                _file = JournalDriver.OpenFile(Path, create, fapl, out _journal, out failure);
                if (_journal is not null) _journal.Sync = _options.SyncWrites;
            }
            else
                _file = create ? H5.Fcreate(Path, H5.F_ACC_EXCL, H5.P_DEFAULT, fapl) : H5.Fopen(Path, readOnly ? H5.F_ACC_RDONLY : H5.F_ACC_RDWR, fapl);
        }
        finally { H5.Pclose(fapl); }
        if (_file < 0)
        {
            if (failure is UnauthorizedAccessException || (create && !CanWriteBeside(Path)))
                throw new ImageStashException($"cannot create '{Path}': permission denied; choose a folder you can write to.");
            if (failure is IOException io && create) throw ImageStashException.NotWritable(Path, io);
            throw new InvalidDataException($"'{Path}': HDF5 cannot open the file; it may be damaged, or locked by another program.");
        }
        _root = H5.Check(H5.Gopen2(_file, "/", H5.P_DEFAULT), "H5Gopen2", Path);
        Load();
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
    public ImageShape? FixedShape => _shape;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Whether pixels are read straight from the file (uncompressed layout) rather than through libhdf5.</summary>
    internal bool DirectReads => CurrentMap() is not null;

    /// <inheritdoc />
    public void SetClassNames(IReadOnlyList<string> names)
    {
        ThrowIfReadOnly();
        lock (H5.Gate)
            Commit(() => H5Util.WriteTextAttribute(_root, "class_names", System.Text.Json.JsonSerializer.Serialize(names.ToArray()), Path));
        _classNames = [.. names];
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
            string? name = null;
            if (_nameSpans >= 0)
                lock (H5.Gate) name = ReadName(row);
            header = new ImageHeader(id, _shape!.Value, _labels[row], string.IsNullOrEmpty(name) ? null : name);
            return true;
        }
        finally { _gate.ExitReadLock(); }
    }

    /// <inheritdoc />
    public ImageHeader Read(long id, Span<byte> pixels)
    {
        if (!TryGetHeader(id, out var header)) throw ImageStashException.MissingId(Path, id);
        if (pixels.Length < header.Shape.ByteCount)
            throw new ArgumentException($"Image {id} is {header.Shape} ({header.Shape.ByteCount} bytes); the buffer holds {pixels.Length}.", nameof(pixels));
        Span<int> label = stackalloc int[1];
        ReadMany([id], pixels, label);
        return header;
    }

    /// <inheritdoc />
    public void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        if (ids.IsEmpty) return;
        _gate.EnterReadLock();
        try
        {
            var shape = _shape ?? throw ImageStashException.MissingId(Path, ids[0]);
            StoreChecks.CheckManyBuffers(ids.Length, shape, pixels, labels);
            int size = shape.ByteCount;
            // A big request (an epoch, an export, the article's read-many) goes on every core; reading all first and
            // then checking took twice as long.
            ParallelBlocks.ReadMany(ids, pixels, labels, size, (blockIds, blockPixels, blockLabels) => ReadChecked(blockIds, blockPixels, blockLabels, size));
        }
        finally { _gate.ExitReadLock(); }
    }

    /// <summary>Reads the images into place (consecutive rows with one call), their labels, and checks their CRCs.</summary>
    private void ReadChecked(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels, int size)
    {
        for (int i = 0; i < ids.Length;)
        {
            if (!TryRow(ids[i], out int row)) throw ImageStashException.MissingId(Path, ids[i]);
            int run = 1; // a shuffled request costs one read per image
            while (i + run < ids.Length && TryRow(ids[i + run], out int next) && next == row + run) run++;
            ReadRows(row, run, pixels.Slice(i * size, run * size));
            for (int k = 0; k < run; k++)
            {
                labels[i + k] = _labels[row + k];
                if (_crcs is not null)
                {
                    uint crc = Crc32.HashToUInt32(pixels.Slice((i + k) * size, size));
                    if (crc != _crcs[row + k])
                        throw StoreChecks.Damaged(Path, ids[i + k], $"pixel CRC32 is {crc:x8} but /crc32 says {_crcs[row + k]:x8}");
                }
            }
            i += run;
        }
    }

    /// <inheritdoc />
    public unsafe void Put(ImageBatch batch, bool overwrite = false)
    {
        ThrowIfReadOnly();
        if (batch.Count == 0) return;
        var shape = _shape ?? batch[0].Shape;
        StoreChecks.CheckShapes(batch, shape, Path);
        _gate.EnterWriteLock();
        try
        {
            var replaced = StoreChecks.CheckNewIds(batch, overwrite, Path, id => TryRow(id, out _));
            lock (H5.Gate)
            {
                WriteBatch(batch, replaced, shape);
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
        if (_lock is not null) WriterLock.Release(_lock);
        _gate.Dispose();
    }

    private unsafe void WriteBatch(ImageBatch batch, HashSet<long> replaced, ImageShape shape)
    {
        int oldCount = _ids.Count;
        var fresh = replaced.Count == 0 ? Enumerable.Range(0, batch.Count).ToArray() : Enumerable.Range(0, batch.Count).Where(i => !replaced.Contains(batch[i].Id)).ToArray();
        // (index in the batch, row in the store) of each image that replaces a committed one
        var replacements = replaced.Count == 0 ? [] : Enumerable.Range(0, batch.Count).Where(i => replaced.Contains(batch[i].Id))
            .Select(i => (Index: i, Row: TryRow(batch[i].Id, out int row) ? row : -1)).ToArray();
        int newCount = oldCount + fresh.Length;
        var helper = new BatchHelper(batch); // the CRCs start on the other core now
        (int[] Labels, long[] Ids, uint[] Crcs)? written = null;
        bool flushed = false; // the rows' flush has happened and nothing was written since
        try
        {
            Commit(() =>
            {
                if (_images < 0) CreateDatasets(shape);
                else AddMissingCompanions();
                if (fresh.Length > 0) written = AppendRows(batch, fresh, oldCount, newCount, shape, helper, out flushed);
                helper.FinishCrcs();
                foreach (var (i, row) in replacements)
                {
                    WriteReplacedPixels(row, batch.GetPixels(i));
                    int label = batch[i].Label;
                    uint crc = helper.Crcs[i];
                    H5Util.Rows(_meta, H5.NATIVE_INT32, (ulong)row, 1, &label, write: true, Path);
                    H5Util.Rows(_crcSet, H5.NATIVE_UINT32, (ulong)row, 1, &crc, write: true, Path);
                    WriteNames((ulong)row, [batch[i].Name]);
                }
                // The rows reach the file first, then the count that makes them visible, so that a reader opening
                // the file meanwhile never counts rows whose pixels are still on their way.
                if (!flushed || replacements.Length > 0) H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", Path);
                H5Util.WriteInt64Attribute(_root, "count", newCount, Path);
            });
        }
        finally { helper.Join(); } // after a failure before the rows were offered, the helper may still be at its CRCs
        foreach (var (i, row) in replacements)
        {
            _labels[row] = batch[i].Label;
            _crcs![row] = helper.Crcs[i];
        }
        if (written is { } rows)
        {
            _ids.AddRange(rows.Ids);
            _labels.AddRange(rows.Labels);
            _crcs!.AddRange(rows.Crcs);
        }
        UpdateRowIndex(oldCount);
        _mapStale = _map is null || _map.Rows < _ids.Count; // addresses of chunks written through libhdf5 are looked up at the next read
    }

    /// <summary>
    /// Grows the datasets and writes the fresh rows, using both cores: when the new chunks are allocated by the extent
    /// (stores made since early allocation), this thread writes the pixels straight into them with plain writes
    /// while the helper, its CRCs done, writes the rows through libhdf5 — whichever thread is free first writes
    /// the rows and prepares the flush, whose writes wait in memory until the pixels are down. Only one thread calls
    /// libhdf5 at a time (this one holds <see cref="H5.Gate"/> for both, and calls none while the helper may).
    /// Older files go through libhdf5 for the pixels too. The helper has finished when this returns or throws.
    /// </summary>
    private unsafe (int[] Labels, long[] Ids, uint[] Crcs) AppendRows(ImageBatch batch, int[] fresh, int oldCount, int newCount, ImageShape shape, BatchHelper helper, out bool flushed)
    {
        flushed = false;
        if (!H5Util.Extendible(_images, Path))
            throw new ImageStashException($"store '{Path}': /images was written with a fixed size ({oldCount} images, as h5py does by default), so it cannot grow; copy it into an appendable store with 'imagestash convert {Path} NEW.h5' and append there.");
        foreach (long set in new[] { _images, _meta, _idsSet, _crcSet, _nameSpans }) H5Util.Extend(set, (ulong)newCount, Path);
        int size = shape.ByteCount;
        var direct = _journal is not null ? PixelMap.Build(_images, shape, newCount, Path, _map) : null;
        if (direct is null)
        {
            WithFreshPixels(batch, fresh, size, pixels =>
            {
                fixed (byte* p = pixels) WritePixelRows((ulong)oldCount, (ulong)fresh.Length, p, size);
            });
            return WriteRows(batch, fresh, oldCount, helper, flush: false);
        }

        _map = direct;
        var ranges = new List<(long Offset, int FirstRow, int Rows)>();
        foreach (var range in direct.Ranges(oldCount, fresh.Length)) ranges.Add(range);
        long end = ranges.Max(r => r.Offset + (long)r.Rows * size);
        _journal!.PrepareFresh(ranges.Min(r => r.Offset), end);
        _journal.Defer();
        (int[] Labels, long[] Ids, uint[] Crcs)? written = null;
        helper.Offer(() => written = WriteRows(batch, fresh, oldCount, helper, flush: true));
        Exception? failed = null;
        try
        {
            WithFreshPixels(batch, fresh, size, pixels =>
            {
                foreach (var (offset, first, count) in ranges)
                    _journal.WriteFresh(offset, pixels.Slice((first - oldCount) * size, count * size));
            });
            helper.RunOfferedUnlessTaken();
        }
        catch (Exception e) { failed = e; }
        try { helper.Wait(); }
        catch (Exception e) { failed ??= e; }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        _journal.NoteFresh(end);
        _journal.ApplyDeferred();
        flushed = true;
        return written!.Value;
    }

    /// <summary>
    /// Writes the labels, ids, names and CRCs of the fresh rows into libhdf5's chunk cache (the CRCs once all are
    /// computed, some perhaps by another thread), and with <paramref name="flush"/> flushes them; otherwise the
    /// commit's flush writes them out. Returns the labels, ids and CRCs for the in-memory index. Runs under the
    /// caller's <see cref="H5.Gate"/>.
    /// </summary>
    private unsafe (int[] Labels, long[] Ids, uint[] Crcs) WriteRows(ImageBatch batch, int[] fresh, int oldCount, BatchHelper helper, bool flush)
    {
        var labels = new int[fresh.Length];
        var ids = new long[fresh.Length];
        bool named = false;
        for (int k = 0; k < fresh.Length; k++)
        {
            var header = batch[fresh[k]];
            labels[k] = header.Label;
            ids[k] = header.Id;
            named |= header.Name is not null;
        }
        fixed (int* l = labels) H5Util.Rows(_meta, H5.NATIVE_INT32, (ulong)oldCount, (ulong)fresh.Length, l, write: true, Path);
        fixed (long* d = ids) H5Util.Rows(_idsSet, H5.NATIVE_INT64, (ulong)oldCount, (ulong)fresh.Length, d, write: true, Path);
        // Rows never written read back as (0, 0): no name. A batch without names writes nothing here.
        if (named) WriteNames((ulong)oldCount, [.. fresh.Select(i => batch[i].Name)]);
        helper.FinishCrcs();
        var freshCrcs = fresh.Length == helper.Crcs.Length ? helper.Crcs : fresh.Select(i => helper.Crcs[i]).ToArray();
        fixed (uint* c = freshCrcs) H5Util.Rows(_crcSet, H5.NATIVE_UINT32, (ulong)oldCount, (ulong)fresh.Length, c, write: true, Path);
        if (flush) H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", Path);
        return (labels, ids, freshCrcs);
    }

    /// <summary>Hands <paramref name="write"/> the fresh images' pixels back to back (gathered when some were replacements).</summary>
    private static void WithFreshPixels(ImageBatch batch, int[] fresh, int size, PixelsAction write)
    {
        if (fresh.Length == batch.Count)
        {
            write(batch.AllPixels);
            return;
        }
        byte[] gathered = ArrayPool<byte>.Shared.Rent(fresh.Length * size);
        try
        {
            for (int k = 0; k < fresh.Length; k++) batch.GetPixels(fresh[k]).CopyTo(gathered.AsSpan(k * size));
            write(gathered.AsSpan(0, fresh.Length * size));
        }
        finally { ArrayPool<byte>.Shared.Return(gathered); }
    }

    private delegate void PixelsAction(ReadOnlySpan<byte> pixels);

    /// <summary>Replaces one committed row's pixels: through the journal when they are written directly, else libhdf5.</summary>
    private unsafe void WriteReplacedPixels(int row, ReadOnlySpan<byte> pixels)
    {
        if (_journal is not null && CurrentMap() is { } map)
        {
            foreach (var (offset, _, _) in map.Ranges(row, 1)) _journal.Write(offset, pixels);
            return;
        }
        fixed (byte* p = pixels) H5Util.Rows(_images, H5.NATIVE_UINT8, (ulong)row, 1, p, write: true, Path);
    }

    /// <summary>
    /// Runs <paramref name="write"/>, flushes and commits. With the journal, a failure puts the file back as it was at
    /// the last commit and reopens it (libhdf5's picture of it is gone); without it the commit is libhdf5's flush.
    /// Caller holds <see cref="H5.Gate"/>.
    /// </summary>
    private void Commit(Action write)
    {
        try
        {
            write();
            H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", Path);
            if (_journal is not null) _journal.Commit();
            else if (_options.SyncWrites)
            {
                using var sync = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
                RandomAccess.FlushToDisk(sync);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ImageStashException)
        {
            var cause = _journal?.Failure ?? e as IOException;
            if (_journal is not null) RollBack();
            if (cause is IOException io) throw StoreChecks.WriteFailed(Path, io);
            if (e is InvalidDataException)
                throw new ImageStashException($"writing to store '{Path}' failed (libhdf5 could not write: {e.Message.Split("; ")[0].Replace($"'{Path}': ", "")}); images committed before this batch are kept — run the import again, or verify the store.", e);
            throw;
        }
    }

    /// <summary>Drops what libhdf5 had not written, puts the file back as it was at the last commit and reopens it.</summary>
    private void RollBack()
    {
        var failed = _journal!;
        failed.Abandon();
        CloseHandles();
        JournaledFile.Recover(Path);
        failed.CloseJournal();
        _journal = null;
        _ids.Clear();
        _labels.Clear();
        _crcs = null;
        _rowOf = null;
        _shape = null;
        _map = null;
        _mapStale = false;
        _chunkRows = 0;
        _nameBytesUsed = 0;
        OpenFile(create: false);
    }

    /// <summary>
    /// Writes rows [start, start+count): whole chunks that line up with chunk boundaries go straight to the file
    /// (no copy through the chunk cache); the ragged ends go through H5Dwrite.
    /// </summary>
    private unsafe void WritePixelRows(ulong start, ulong count, byte* pixels, int rowBytes)
    {
        ulong per = _chunkRows;
        ulong firstWhole = per == 0 ? ulong.MaxValue : (start + per - 1) / per * per;
        ulong end = start + count;
        if (per == 0 || firstWhole + per > end)
        {
            H5Util.Rows(_images, H5.NATIVE_UINT8, start, count, pixels, write: true, Path);
            return;
        }
        if (firstWhole > start) H5Util.Rows(_images, H5.NATIVE_UINT8, start, firstWhole - start, pixels, write: true, Path);
        ulong row = firstWhole;
        var offset = stackalloc ulong[4];
        for (; row + per <= end; row += per)
        {
            offset[0] = row; offset[1] = offset[2] = offset[3] = 0;
            H5.Check(H5.Dwrite_chunk(_images, H5.P_DEFAULT, 0, offset, (nuint)(per * (ulong)rowBytes), pixels + (row - start) * (ulong)rowBytes), "H5Dwrite_chunk", Path);
        }
        if (row < end) H5Util.Rows(_images, H5.NATIVE_UINT8, row, end - row, pixels + (row - start) * (ulong)rowBytes, write: true, Path);
    }

    /// <summary>Appends the names' UTF-8 bytes to /name_bytes and points rows [row, …) at them in /name_spans.</summary>
    private unsafe void WriteNames(ulong row, string?[] names)
    {
        var spans = new long[names.Length * 2];
        var bytes = new List<byte>();
        for (int i = 0; i < names.Length; i++)
        {
            byte[] utf8 = names[i] is { } n ? System.Text.Encoding.UTF8.GetBytes(n) : [];
            spans[2 * i] = _nameBytesUsed + bytes.Count;
            spans[2 * i + 1] = utf8.Length;
            bytes.AddRange(utf8);
        }
        if (bytes.Count > 0)
        {
            H5Util.Extend(_nameBytes, (ulong)(_nameBytesUsed + bytes.Count), Path);
            byte[] all = [.. bytes];
            fixed (byte* p = all) H5Util.Rows(_nameBytes, H5.NATIVE_UINT8, (ulong)_nameBytesUsed, (ulong)all.Length, p, write: true, Path);
            _nameBytesUsed += all.Length;
        }
        fixed (long* p = spans) H5Util.Rows(_nameSpans, H5.NATIVE_INT64, row, (ulong)names.Length, p, write: true, Path);
    }

    /// <summary>A row's name, its span checked against /name_bytes before anything is read (the file may be damaged).</summary>
    private unsafe string? ReadName(int row)
    {
        var span = stackalloc long[2];
        H5Util.Rows(_nameSpans, H5.NATIVE_INT64, (ulong)row, 1, span, write: false, Path);
        long start = span[0], length = span[1];
        if (length == 0) return null;
        if (start < 0 || length < 0 || length > ushort.MaxValue || start + length > _nameBytesUsed)
            throw StoreChecks.Damaged(Path, _ids[row], $"/name_spans gives ({start}, {length}) outside /name_bytes");
        var bytes = new byte[length];
        fixed (byte* p = bytes) H5Util.Rows(_nameBytes, H5.NATIVE_UINT8, (ulong)start, (ulong)length, p, write: false, Path);
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    private void CreateDatasets(ImageShape shape)
    {
        // A power of two (256 for 32×32×3, ~768 KiB) so that batches of 1,024 fill whole chunks, which are then
        // written straight to the file (H5Dwrite_chunk) instead of through libhdf5's chunk cache.
        ulong chunkRows = (ulong)Math.Clamp((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, ChunkBytesTarget / shape.ByteCount)) / 2, 1, 4096);
        _images = H5Util.CreateExtendible(_file, "images", H5.STD_U8LE, [(ulong)shape.Height, (ulong)shape.Width, (ulong)shape.Channels], chunkRows, Path, allocateEarly: true);
        _shape = shape;
        _chunkRows = chunkRows;
        AddMissingCompanions();
    }

    /// <summary>
    /// Creates whichever of /meta, /ids, /crc32, /name_bytes and /name_spans the file lacks — all of them for a new
    /// store; a file written elsewhere (h5py, the article's layout) has /images and perhaps /meta — filled in for the
    /// rows already there: label 0 where there were no labels, ids 0…N−1, the CRCs of their pixels (read once), no
    /// names. Caller holds <see cref="H5.Gate"/>.
    /// </summary>
    private unsafe void AddMissingCompanions()
    {
        if (_meta >= 0 && _idsSet >= 0 && _crcSet >= 0 && _nameBytes >= 0 && _nameSpans >= 0) return;
        ulong count = (ulong)_ids.Count;
        long Create(string name, long fileType, ReadOnlySpan<ulong> rest, ulong chunkRows, bool oneRowPerImage = true)
        {
            if (H5.Lexists(_file, name, H5.P_DEFAULT) > 0) return OpenDataset(name); // half of a pair: kept as it is
            long set = H5Util.CreateExtendible(_file, name, fileType, rest, chunkRows, Path);
            if (oneRowPerImage && count > 0) H5Util.Extend(set, count, Path);
            return set;
        }
        if (_meta < 0)
        {
            _meta = Create("meta", H5.STD_I32LE, [], MetaChunkRows);
            var labels = _labels.ToArray();
            if (count > 0) fixed (int* l = labels) H5Util.Rows(_meta, H5.NATIVE_INT32, 0, count, l, write: true, Path);
        }
        if (_idsSet < 0)
        {
            _idsSet = Create("ids", H5.STD_I64LE, [], MetaChunkRows);
            var ids = _ids.ToArray();
            if (count > 0) fixed (long* d = ids) H5Util.Rows(_idsSet, H5.NATIVE_INT64, 0, count, d, write: true, Path);
        }
        if (_crcSet < 0)
        {
            var crcs = new uint[count];
            if (count > 0) // a new store has no rows: no buffer (4 MB on the large-object heap cost a full GC per store)
            {
                int size = _shape!.Value.ByteCount, block = Math.Max(1, (4 << 20) / size);
                byte[] pixels = ArrayPool<byte>.Shared.Rent(block * size);
                try
                {
                    for (int row = 0; row < (int)count; row += block)
                    {
                        int n = Math.Min(block, (int)count - row);
                        ReadRows(row, n, pixels.AsSpan(0, n * size));
                        for (int k = 0; k < n; k++) crcs[row + k] = Crc32.HashToUInt32(pixels.AsSpan(k * size, size));
                    }
                }
                finally { ArrayPool<byte>.Shared.Return(pixels); }
            }
            _crcSet = Create("crc32", H5.STD_U32LE, [], MetaChunkRows);
            if (count > 0) fixed (uint* c = crcs) H5Util.Rows(_crcSet, H5.NATIVE_UINT32, 0, count, c, write: true, Path);
            _crcs = [.. crcs];
        }
        if (_nameBytes < 0) _nameBytes = Create("name_bytes", H5.STD_U8LE, [], 64 * 1024, oneRowPerImage: false);
        if (_nameSpans < 0) _nameSpans = Create("name_spans", H5.STD_I64LE, [2], MetaChunkRows); // rows read (0, 0): no name
        _nameBytesUsed = (long)H5Util.Dims(_nameBytes, Path)[0];
    }

    private void Load()
    {
        string? classes = H5Util.ReadTextAttribute(_root, "class_names", Path);
        try { _classNames = classes is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(classes) ?? []; }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"'{Path}': attribute class_names is not a JSON list of strings ({e.Message}).", e); }
        if (H5.Lexists(_file, "images", H5.P_DEFAULT) <= 0) return;
        _images = OpenDataset("images");
        var dims = H5Util.Dims(_images, Path);
        long type = H5.Dget_type(_images);
        nuint elementSize = H5.Tget_size(type);
        H5.Tclose(type);
        if (dims.Length is not (3 or 4) || elementSize != 1 || dims.Skip(1).Any(d => d is < 1 or > ImageShape.MaxSide) || (dims.Length == 4 && dims[3] is not (1 or 3 or 4)))
            throw new ImageStashException($"'{Path}': /images is {string.Join('×', dims)} of {elementSize}-byte elements; ImageStash reads uint8 (N, H, W, C) with C = 1, 3 or 4.");
        _shape = new ImageShape((int)dims[1], (int)dims[2], dims.Length == 4 ? (int)dims[3] : 1);
        long rows = (long)dims[0];
        long count = Math.Min(H5Util.ReadInt64Attribute(_root, "count", Path) ?? rows, rows);
        if (H5.Lexists(_file, "meta", H5.P_DEFAULT) > 0)
        {
            _meta = OpenDataset("meta");
            if ((long)H5Util.Dims(_meta, Path)[0] < count) throw new InvalidDataException($"'{Path}': /meta has fewer labels than /images has images.");
            _labels.AddRange(H5Util.ReadVector<int>(_meta, H5.NATIVE_INT32, (ulong)count, Path));
        }
        else _labels.AddRange(new int[count]);
        if (H5.Lexists(_file, "ids", H5.P_DEFAULT) > 0)
        {
            _idsSet = OpenDataset("ids");
            _ids.AddRange(H5Util.ReadVector<long>(_idsSet, H5.NATIVE_INT64, (ulong)count, Path));
        }
        else for (long i = 0; i < count; i++) _ids.Add(i);
        if (H5.Lexists(_file, "crc32", H5.P_DEFAULT) > 0)
        {
            _crcSet = OpenDataset("crc32");
            _crcs = [.. H5Util.ReadVector<uint>(_crcSet, H5.NATIVE_UINT32, (ulong)count, Path)];
        }
        if (H5.Lexists(_file, "name_spans", H5.P_DEFAULT) > 0 && H5.Lexists(_file, "name_bytes", H5.P_DEFAULT) > 0)
        {
            _nameSpans = OpenDataset("name_spans");
            _nameBytes = OpenDataset("name_bytes");
            _nameBytesUsed = (long)H5Util.Dims(_nameBytes, Path)[0];
        }
        UpdateRowIndex(0);
        _map = PixelMap.Build(_images, _shape.Value, count, Path, null);
        _chunkRows = _map?.RowsPerChunk ?? 0;
    }

    private long OpenDataset(string name)
    {
        long dapl = H5.Pcreate(H5.DATASET_ACCESS);
        // A cache of several chunks lets a batch that straddles chunks be written without re-reading them.
        H5.Pset_chunk_cache(dapl, 521, 16 << 20, 1.0);
        try { return H5.Check(H5.Dopen2(_file, name, dapl), $"H5Dopen2 {name}", Path); }
        finally { H5.Pclose(dapl); }
    }

    private void UpdateRowIndex(int from)
    {
        if (_rowOf is null)
        {
            bool contiguous = true;
            for (int r = Math.Max(from, 1); r < _ids.Count && contiguous; r++) contiguous = _ids[r] == _ids[0] + r;
            if (contiguous) return;
            _rowOf = new Dictionary<long, int>(_ids.Count);
            from = 0;
        }
        for (int r = from; r < _ids.Count; r++) _rowOf[_ids[r]] = r;
    }

    private bool TryRow(long id, out int row)
    {
        if (_rowOf is not null) return _rowOf.TryGetValue(id, out row);
        long r = _ids.Count == 0 ? -1 : id - _ids[0];
        row = (int)r;
        return r >= 0 && r < _ids.Count;
    }

    private unsafe void ReadRows(int row, int count, Span<byte> destination)
    {
        if (CurrentMap() is { } map)
        {
            var data = Volatile.Read(ref _data) ?? OpenDataHandle(); // no closure per read: this is the training loop's path
            map.Read(data, row, count, destination, Path);
            return;
        }
        lock (H5.Gate)
            fixed (byte* p = destination) H5Util.Rows(_images, H5.NATIVE_UINT8, (ulong)row, (ulong)count, p, write: false, Path);
    }

    /// <summary>The handle pixels are read through, opened on first use (by one thread; a loser closes its own).</summary>
    private SafeFileHandle OpenDataHandle()
    {
        var opened = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var existing = Interlocked.CompareExchange(ref _data, opened, null);
        if (existing is null) return opened;
        opened.Dispose();
        return existing;
    }

    /// <summary>The chunk addresses for direct reads, looked up again after a commit added chunks.</summary>
    private PixelMap? CurrentMap()
    {
        if (!_mapStale) return _map;
        lock (H5.Gate)
        {
            if (_mapStale)
            {
                _map = PixelMap.Build(_images, _shape!.Value, _ids.Count, Path, _map);
                _mapStale = false;
            }
        }
        return _map;
    }

    private void CloseHandles()
    {
        foreach (long set in new[] { _images, _meta, _idsSet, _crcSet, _nameBytes, _nameSpans }) if (set >= 0) H5.Dclose(set);
        if (_root >= 0) H5.Gclose(_root);
        if (_file >= 0) H5.Fclose(_file);
        _images = _meta = _idsSet = _crcSet = _nameBytes = _nameSpans = _root = _file = -1;
    }

    private void ThrowIfReadOnly()
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
    }

    private static bool CanWriteBeside(string path)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        try
        {
            using var probe = File.Create(System.IO.Path.Combine(dir, $".imagestash-probe-{Environment.ProcessId}"), 1, FileOptions.DeleteOnClose);
            return true;
        }
        catch (UnauthorizedAccessException) { return false; }
        catch (IOException) { return false; }
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
