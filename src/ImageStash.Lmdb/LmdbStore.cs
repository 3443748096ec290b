using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using ImageStash.Lmdb.Internal;
using LightningDB;

namespace ImageStash.Lmdb;

/// <summary>
/// The article's LMDB method, done without its traps: an LMDB 0.9 environment (a folder holding data.mdb and
/// lock.mdb, readable by py-lmdb and mdb_stat) whose map grows by itself, written one transaction per batch and
/// read zero-copy from the map. Layout: docs/formats/lmdb.md.
/// </summary>
public sealed partial class LmdbStore : IImageStore
{
    /// <summary>The map size a new store starts with; it doubles whenever a batch needs more.</summary>
    internal const long InitialMapSize = 16L << 20;
    private const string FormatName = "imagestash-lmdb";

    private readonly LightningEnvironment _env;
    private readonly LightningDatabase _images;
    private readonly LightningDatabase _meta;
    private readonly StoreWriterLock? _lock;
    private readonly StoreOptions _options;
    // mdb_env_set_mapsize needs every transaction of this process finished: reads hold this shared, a resize exclusive.
    private readonly ReaderWriterLockSlim _mapGate = new(LockRecursionPolicy.SupportsRecursion);
    // Read transactions between reads, reset (mdb_txn_reset): renewing one costs less than beginning one, and allocates nothing.
    private readonly Stack<LightningTransaction> _idleReaders = new(); // under its own lock: no allocation per read
    private IReadOnlyList<string> _classNames = [];

    /// <summary>Opens LMDB stores: paths ending in .lmdb, or folders holding data.mdb.</summary>
    public static IStoreProvider Provider { get; } = new LmdbProvider();

    private LmdbStore(string path, StoreOptions options)
    {
        Path = path;
        _options = options;
        LmdbNative.EnsureLoaded();
        bool exists = File.Exists(DataFile(path));
        if (File.Exists(path)) throw ImageStashException.NotAStore(path, "LMDB (an LMDB store is a folder)");
        StoreChecks.CheckOpenMode(path, exists, options.Mode);
        if (!exists && Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw ImageStashException.NotAStore(path, "LMDB (the folder is not empty and has no data.mdb)");

        bool readOnly = options.Mode == StoreOpenMode.ReadOnly;
        if (exists) LmdbFileCheck.Check(DataFile(path), path);
        try
        {
            if (!readOnly)
            {
                Directory.CreateDirectory(path);
                _lock = StoreWriterLock.Acquire(System.IO.Path.Combine(path, StoreWriterLock.FileName), path);
                LmdbNative.KeepFreedMemory();
            }
            var flags = EnvironmentOpenFlags.NoThreadLocalStorage
                        | (readOnly ? EnvironmentOpenFlags.ReadOnly : EnvironmentOpenFlags.None)
                        | (options.SyncWrites ? EnvironmentOpenFlags.None : EnvironmentOpenFlags.NoSync);
            var config = new EnvironmentConfiguration { MapSize = InitialMapSize, MaxDatabases = 4, MaxReaders = 512 };
            _env = new LightningEnvironment(path, config);
            try { _env.Open(flags); }
            catch (LightningException) when (readOnly && exists)
            {
                // LMDB opens lock.mdb for writing even to read: another user's store (or a read-only copy) refuses
                // that. Read it without the lock table: only a writer working on it at the same moment could change
                // pages under this reader, and what is read is checked as always.
                try { _env.Dispose(); }
                catch (Exception e) when (e is LightningException or InvalidOperationException) { }
                GC.SuppressFinalize(_env);
                _env = new LightningEnvironment(path, config);
                _env.Open(flags | EnvironmentOpenFlags.NoLock);
            }
            if (exists) CheckTrees();
            (_images, _meta) = OpenDatabases(readOnly);
        }
        catch (LightningException e)
        {
            CloseAfterFailedOpen();
            if (e.StatusCode is LmdbCodes.EACCES or LmdbCodes.EROFS)
                throw ImageStashException.NotWritable(path, new UnauthorizedAccessException($"LMDB could not open '{path}' for writing: permission denied", e));
            throw new InvalidDataException($"store '{path}' cannot be opened by LMDB ({e.Message}); is it an LMDB store? Run 'imagestash verify {path}'.", e);
        }
        catch (Exception e) when (StoreChecks.OpenFailure(path, e) is { } failure)
        {
            CloseAfterFailedOpen();
            throw failure;
        }
        catch
        {
            CloseAfterFailedOpen();
            throw;
        }
    }

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public string Format => "lmdb";

    /// <summary>
    /// Releases what a failed constructor made. LightningDB's finalizer throws for an environment never disposed,
    /// which ends the process, so a store that cannot be opened must close its environment here.
    /// </summary>
    private void CloseAfterFailedOpen()
    {
        try { _env?.Dispose(); }
        catch (Exception e) when (e is LightningException or InvalidOperationException) { }
        if (_env is not null) GC.SuppressFinalize(_env);
        _lock?.Dispose();
        _mapGate.Dispose();
    }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            using var read = BeginRead();
            return read.Tx.GetEntriesCount(_images);
        }
    }

    /// <inheritdoc />
    public ImageShape? FixedShape => null;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>The current map size in bytes (the most the data file may grow to before the next doubling).</summary>
    public long MapSize => _env.MapSize;

    /// <inheritdoc />
    public void SetClassNames(IReadOnlyList<string> names)
    {
        ThrowIfReadOnly();
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(names.ToArray());
        WriteWithGrowth(json.Length + 4096, tx =>
        {
            var rc = tx.Put(_meta, "class_names"u8, json);
            return rc;
        });
        _classNames = [.. names];
    }

    /// <inheritdoc />
    public IEnumerable<long> EnumerateIds()
    {
        var ids = new List<long>();
        using var read = BeginRead();
        using var cursor = read.Tx.CreateCursor(_images);
        for (var (rc, key, _) = cursor.First(); rc == MDBResultCode.Success; (rc, key, _) = cursor.Next())
            ids.Add(LmdbRecord.ReadKey(key.AsSpan()));
        return ids;
    }

    /// <inheritdoc />
    public bool TryGetHeader(long id, out ImageHeader header)
    {
        using var read = BeginRead();
        if (!TryGetValue(read.Tx, id, out var value))
        {
            header = default;
            return false;
        }
        header = LmdbRecord.Parse(value, id, Path).ToHeader(id, Path);
        return true;
    }

    /// <inheritdoc />
    public ImageHeader Read(long id, Span<byte> payload)
    {
        using var read = BeginRead();
        if (!TryGetValue(read.Tx, id, out var value)) throw ImageStashException.MissingId(Path, id);
        var record = LmdbRecord.Parse(value, id, Path);
        var header = record.ToHeader(id, Path);
        StoreChecks.CheckPayloadBuffer(header, payload);
        LmdbRecord.CopyPayload(record, payload, id, Path);
        return header;
    }

    /// <inheritdoc />
    public bool TryReadPayload(long id, Span<byte> payload, out ImageHeader header)
    {
        using var read = BeginRead();
        if (!TryGetValue(read.Tx, id, out var value)) throw ImageStashException.MissingId(Path, id);
        var record = LmdbRecord.Parse(value, id, Path);
        header = new ImageHeader(id, record.Shape, record.Label) { Encoding = record.Encoding, PayloadLength = record.Payload.Length };
        if (payload.Length < record.Payload.Length) return false;
        LmdbRecord.CopyPayload(record, payload, id, Path);
        return true;
    }

    /// <inheritdoc />
    public void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        if (ids.IsEmpty) return;
        ImageShape shape;
        using (var read = BeginRead())
        {
            if (!TryGetValue(read.Tx, ids[0], out var value)) throw ImageStashException.MissingId(Path, ids[0]);
            var first = LmdbRecord.Parse(value, ids[0], Path);
            shape = first.Shape;
            StoreChecks.CheckReadManyRecord(Path, shape, first.ToHeader(ids[0], Path));
        }
        StoreChecks.CheckReadManyBuffers(ids.Length, shape, pixels, labels);
        // Each block in its own read transaction (the environment has no thread-local reader slots): a big request
        // goes on every core, each thread copying its block out of the map and checking the CRCs.
        ParallelReads.ReadMany(ids, pixels, labels, shape.Length, (blockIds, blockPixels, blockLabels) =>
        {
            using var read = BeginRead();
            ReadChecked(read.Tx, blockIds, blockPixels, blockLabels, shape);
        });
    }

    /// <summary>Reads the records into place, checking each has <paramref name="shape"/> and its CRC.</summary>
    private void ReadChecked(LightningTransaction tx, ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels, ImageShape shape)
    {
        int size = shape.Length;
        for (int i = 0; i < ids.Length; i++)
        {
            long id = ids[i];
            if (!TryGetValue(tx, id, out var value)) throw ImageStashException.MissingId(Path, id);
            var record = LmdbRecord.Parse(value, id, Path);
            if (record.Encoding != ImageEncoding.Raw || record.Shape != shape) StoreChecks.CheckReadManyRecord(Path, shape, record.ToHeader(id, Path));
            LmdbRecord.CopyPayload(record, pixels.Slice(i * size, size), id, Path);
            labels[i] = record.Label;
        }
    }

    /// <inheritdoc />
    public void Put(ImageBatch batch, bool overwrite = false)
    {
        ThrowIfReadOnly();
        if (batch.Count == 0) return;
        long estimate = 0;
        for (int i = 0; i < batch.Count; i++)
            estimate += LmdbRecord.PrefixLength(batch[i]) + batch[i].PayloadLength + 64;
        WriteWithGrowth(estimate, tx => WriteBatch(tx, batch, overwrite));
    }

    /// <summary>Closes the environment and releases the writer's lock.</summary>
    public void Dispose()
    {
        // A reset transaction is renewed before it is disposed: LightningDB aborts (frees) only a live one.
        while (TakeIdleReader() is { } idle)
        {
            try { idle.Renew(); }
            catch (LightningException) { }
            idle.Dispose();
        }
        _env.Dispose();
        _lock?.Dispose();
        _mapGate.Dispose();
    }

    private static bool IdsAscending(ImageBatch batch)
    {
        for (int i = 1; i < batch.Count; i++)
            if (batch[i].Id <= batch[i - 1].Id) return false;
        return true;
    }

    /// <summary>
    /// Checks the pages of the snapshot a read transaction pins before LMDB follows any of them (LmdbTreeCheck): a
    /// damaged page would otherwise abort the process. A writer in another process may overwrite the snapshot's meta
    /// page before it is read; then a newer snapshot is checked.
    /// </summary>
    private void CheckTrees()
    {
        for (int attempt = 1; ; attempt++)
        {
            using var tx = BeginAdoptingMapSize(TransactionBeginFlags.ReadOnly);
            try
            {
                LmdbTreeCheck.Check(DataFile(Path), Path, (ulong)tx.Id);
                return;
            }
            catch (LmdbTreeCheck.StaleSnapshotException) when (attempt < 10) { }
            catch (LmdbTreeCheck.StaleSnapshotException e)
            {
                throw new IOException($"store '{Path}' could not be checked: a writer in another process commits faster than its pages can be read; try again.", e);
            }
        }
    }

    private (LightningDatabase Images, LightningDatabase Meta) OpenDatabases(bool readOnly)
    {
        using var tx = BeginAdoptingMapSize(readOnly ? TransactionBeginFlags.ReadOnly : TransactionBeginFlags.None);
        var config = new DatabaseConfiguration { Flags = readOnly ? DatabaseOpenFlags.None : DatabaseOpenFlags.Create };
        LightningDatabase images, meta;
        try
        {
            meta = tx.OpenDatabase("meta", config);
            images = tx.OpenDatabase("images", config);
        }
        catch (LightningException e) when (e.StatusCode == LmdbCodes.NotFound)
        {
            throw ImageStashException.NotAStore(Path, "ImageStash LMDB (it has no 'images' and 'meta' databases)");
        }
        var (rc, _, kind) = tx.Get(meta, "format"u8);
        if (rc == MDBResultCode.Success)
        {
            if (!kind.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(FormatName)))
                throw ImageStashException.NotAStore(Path, "ImageStash LMDB");
            // The database layout is version 1; records carry their own versions (docs/formats/lmdb.md).
            var (versionRc, _, version) = tx.Get(meta, "version"u8);
            if (versionRc == MDBResultCode.Success && long.TryParse(version.AsSpan(), out long v) && v > 1)
                throw ImageStashException.NewerLayout(Path, "LMDB", v, 1);
        }
        else if (!readOnly)
        {
            tx.Put(meta, "format"u8, Encoding.UTF8.GetBytes(FormatName));
            tx.Put(meta, "version"u8, "1"u8);
        }
        var (namesRc, _, names) = tx.Get(meta, "class_names"u8);
        if (namesRc == MDBResultCode.Success)
        {
            try { _classNames = JsonSerializer.Deserialize<string[]>(names.AsSpan()) ?? []; }
            catch (JsonException e) { throw new InvalidDataException($"store '{Path}': meta 'class_names' is not a JSON list of strings ({e.Message}).", e); }
        }
        var commit = tx.Commit();
        if (commit == MDBResultCode.MapFull) throw new ImageStashException($"store '{Path}' is full and cannot take its metadata.");
        return (images, meta);
    }

    private void ThrowIfReadOnly()
    {
        if (_lock is null) throw ImageStashException.ReadOnly(Path);
    }

    private static string DataFile(string path) => System.IO.Path.Combine(path, "data.mdb");

    private sealed class LmdbProvider : IStoreProvider
    {
        public string Format => "lmdb";

        public string PathHint => ".lmdb";

        public bool Matches(string path) =>
            path.TrimEnd('/', '\\').EndsWith(".lmdb", StringComparison.OrdinalIgnoreCase) || File.Exists(DataFile(path));

        public IImageStore Open(string path, StoreOptions options) => new LmdbStore(path, options);
    }
}
