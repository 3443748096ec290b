using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using ImageStash.Shards.Internal;

namespace ImageStash.Shards;

/// <summary>
/// A shard set — WebDataset-style tar shards with an <c>index.json</c> — in a local folder or under
/// <c>s3://bucket/prefix</c>, read as a store: <c>info</c>, <c>verify</c>, <c>export</c>, <c>convert</c> and the
/// loader work on it as on any store. Shards from object storage are downloaded (parallel ranged GETs) into a disk
/// cache shared by the machine's processes; the loader streams them shard by shard, fetching ahead. Read-only:
/// sets are written by <see cref="ShardWriter"/> (<c>imagestash shard</c>). Layout: docs/formats/shards.md.
/// </summary>
public sealed partial class ShardSetStore : IStreamingStore
{
    private readonly ShardLocation _location;
    private readonly ShardCache? _cache;
    private readonly ShardIndex _index;
    private readonly long[] _rowIds;      // each sample's id, in the order written (shard k: rows from _shardRows[k])
    private readonly int[] _rowLabels;
    private readonly long[] _shardRows;   // the first row of each shard, and the total at the end
    private readonly long[] _sortedIds;   // ids ascending, and the row of each
    private readonly long[] _sortedRows;
    private readonly ChunkWindow<OpenShard> _shards; // open shards: fetched and opened once, shared, the least recently used closed
    private readonly SemaphoreSlim _fetching = new(2);

    /// <summary>Opens shard sets: s3:// URLs, and folders holding an index.json.</summary>
    public static IStoreProvider Provider { get; } = new ShardSetProvider(null);

    /// <summary>A provider with settings of its own (an endpoint, a cache) instead of the environment's.</summary>
    public static IStoreProvider ProviderWith(ShardSetOptions options) => new ShardSetProvider(options);

    /// <summary>Opens the shard set at <paramref name="path"/> (a folder or s3://bucket/prefix) for reading.</summary>
    /// <exception cref="ImageStashException">There is no set there (no index.json: never written, or its writing never finished), it was written by a newer version, or the server cannot be reached.</exception>
    /// <exception cref="InvalidDataException">The index or the ids file is damaged.</exception>
    public ShardSetStore(string path, ShardSetOptions? options = null)
    {
        Path = path;
        Options = options ?? new ShardSetOptions();
        _location = ShardLocation.Open(path, Options.S3);
        try
        {
            byte[] json = _location.TryReadSmall(ShardIndex.FileName, ShardIndex.MaxBytes, CancellationToken.None)
                ?? throw (_location is LocalLocation && !Directory.Exists(path)
                    ? ImageStashException.StoreNotFound(path)
                    : new ImageStashException($"'{path}' holds no {ShardIndex.FileName}: it is not a shard set, or writing it never finished (the index is written last); run 'imagestash shard SRC {path}' again.", ImageStashError.NotAStore));
            _index = ShardIndex.Parse(json, path);
            long idsLimit = IdsFile.MaxBytes(_index.Samples);
            if (_index.Ids.Bytes > idsLimit)
                throw new InvalidDataException($"'{path}': the index says the ids file is {_index.Ids.Bytes:N0} bytes, more than the {idsLimit:N0} its {_index.Samples:N0} samples take; write the set again.");
            byte[] ids = _location.TryReadSmall(_index.Ids.Name, idsLimit, CancellationToken.None)
                ?? throw new InvalidDataException($"'{path}': the ids file '{_index.Ids.Name}' its index names is missing; write the set again.");
            if (Crc32.HashToUInt32(ids) != _index.Ids.Crc32 || ids.Length != _index.Ids.Bytes)
                throw new InvalidDataException($"'{path}': the ids file '{_index.Ids.Name}' is damaged (its size or CRC-32 is not the index's); write the set again.");
            (_rowIds, _rowLabels) = IdsFile.Read(ids, _index.Samples, $"'{path}': {_index.Ids.Name}");
        }
        catch
        {
            _location.Dispose();
            throw;
        }
        _shardRows = new long[_index.Shards.Count + 1];
        for (int k = 0; k < _index.Shards.Count; k++) _shardRows[k + 1] = _shardRows[k] + _index.Shards[k].Samples;
        _sortedIds = (long[])_rowIds.Clone();
        _sortedRows = new long[_rowIds.Length];
        for (long r = 0; r < _sortedRows.Length; r++) _sortedRows[r] = r;
        Array.Sort(_sortedIds, _sortedRows);
        for (int i = 1; i < _sortedIds.Length; i++)
            if (_sortedIds[i] == _sortedIds[i - 1]) throw new InvalidDataException($"'{path}': id {_sortedIds[i]} appears twice in '{_index.Ids.Name}'; write the set again.");
        if (_location.LocalPath(ShardIndex.FileName) is null)
        {
            string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(_location.CacheKey)))[..16].ToLowerInvariant();
            _cache = new ShardCache(System.IO.Path.Combine(Options.CacheDirectory, key), Options.CacheLimit);
        }
        // The shards the loader shuffles together, those it fetches ahead, and a little slack stay open.
        _shards = new ChunkWindow<OpenShard>(Options.ShuffleShards + Options.PrefetchShards + 2, Load, owner: this);
    }

    /// <summary>The settings the set was opened with.</summary>
    public ShardSetOptions Options { get; }

    /// <summary>The set's index.</summary>
    public ShardIndex Index => _index;

    /// <summary>Where downloaded shards are kept (null for a local set, read in place).</summary>
    public string? CacheFolder => _cache?.Directory;

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public string Format => "shards";

    /// <inheritdoc />
    public long Count => _rowIds.Length;

    /// <inheritdoc />
    public ImageShape? FixedShape => _index.FixedShape;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _index.ClassNames;

    /// <summary>Every sample's label in the order written (from the ids file: no shard is read).</summary>
    public ReadOnlySpan<int> Labels => _rowLabels;

    /// <inheritdoc />
    /// <exception cref="ImageStashException">Always: a shard set is written whole by <see cref="ShardWriter"/>.</exception>
    public void SetClassNames(IReadOnlyList<string> names) => throw ReadOnly();

    /// <inheritdoc />
    /// <exception cref="ImageStashException">Always: a shard set is written whole by <see cref="ShardWriter"/>.</exception>
    public void Put(ImageBatch batch, bool overwrite = false) => throw ReadOnly();

    /// <inheritdoc />
    public IEnumerable<long> EnumerateIds() => _sortedIds;

    /// <inheritdoc />
    public bool TryGetHeader(long id, out ImageHeader header)
    {
        using var shard = TryAcquire(id, out var sample);
        header = sample.Header;
        return shard is not null;
    }

    /// <inheritdoc />
    public ImageHeader Read(long id, Span<byte> payload)
    {
        using var shard = Acquire(id, out var sample);
        StoreChecks.CheckPayloadBuffer(sample.Header, payload);
        shard.Chunk.ReadPayload(sample, payload);
        return sample.Header;
    }

    /// <inheritdoc />
    public bool TryReadPayload(long id, Span<byte> payload, out ImageHeader header)
    {
        using var shard = Acquire(id, out var sample);
        header = sample.Header with { Name = null, Fields = null };
        if (payload.Length < sample.Header.PayloadLength) return false;
        shard.Chunk.ReadPayload(sample, payload);
        return true;
    }

    /// <inheritdoc />
    public void ReadMany(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        var shape = FixedShape ?? (ids.Length > 0 && TryGetHeader(ids[0], out var first) ? first.Shape : default);
        StoreChecks.CheckReadManyBuffers(ids.Length, shape, pixels, labels);
        int size = shape.Length;
        for (int i = 0; i < ids.Length; i++)
        {
            using var shard = Acquire(ids[i], out var sample);
            StoreChecks.CheckReadManyRecord(Path, shape, sample.Header);
            shard.Chunk.ReadPayload(sample, pixels.Slice(i * size, size));
            labels[i] = sample.Header.Label;
        }
    }

    IEpochOrder IStreamingStore.Order(EpochOrderOptions options, EpochOrderState? resume) =>
        new ChunkedEpochOrder(ShardSamples, IdAt, Options.ShuffleShards, options, resume, _shards.Prefetch, Options.PrefetchShards);

    IEnumerable<long> IStreamingStore.StreamOrder() => _rowIds;

    /// <summary>Samples per shard, in index order.</summary>
    internal long[] ShardSamples => [.. _index.Shards.Select(s => s.Samples)];

    /// <summary>The id of the sample at <paramref name="row"/> (the order written).</summary>
    internal long IdAt(long row) => _rowIds[row];

    /// <summary>The shard holding <paramref name="row"/> (shards are never empty: the index says so).</summary>
    internal int ShardOf(long row)
    {
        int k = Array.BinarySearch(_shardRows, row);
        return k >= 0 ? k : ~k - 1;
    }

    private long? RowOf(long id)
    {
        int i = Array.BinarySearch(_sortedIds, id);
        return i >= 0 ? _sortedRows[i] : null;
    }

    /// <summary>
    /// A cache hit is checked as a download is: its length, then its CRC-32 on the same pass that reads its table (a
    /// file another user or a bad disk changed is caught here). Null when it fails, for a fresh download.
    /// </summary>
    private ShardTable? CheckedHit(CachedShard cached, ShardEntry info)
    {
        if (RandomAccess.GetLength(cached.Handle) != info.Bytes) return null;
        try
        {
            var table = ShardTable.Scan(cached.Handle, info.Name, computeCrc: true);
            return table.Crc == info.Crc32 && table.Samples.Length == info.Samples ? table : null;
        }
        catch (InvalidDataException) { return null; }
    }

    /// <summary>The shard's table, its CRC-32 computed on the same pass and checked against the index.</summary>
    private ShardTable ScanChecked(Microsoft.Win32.SafeHandles.SafeFileHandle file, ShardEntry info)
    {
        ShardTable table;
        try { table = ShardTable.Scan(file, info.Name, computeCrc: true); }
        catch (InvalidDataException) when (FileCrc(file) != info.Crc32)
        {
            CheckCrc(info, FileCrc(file)); // a bad byte anywhere: say so, rather than which member it broke
            throw;
        }
        CheckCrc(info, table.Crc);
        return Checked(info, table);
    }

    private void CheckLength(ShardEntry info, long length)
    {
        if (length != info.Bytes)
            throw Damaged(info, $"it is {length:N0} bytes, index.json says {info.Bytes:N0}{(length < info.Bytes ? " (truncated)" : "")}");
    }

    private void CheckCrc(ShardEntry info, uint crc)
    {
        if (crc != info.Crc32) throw Damaged(info, $"its CRC-32 is {crc:x8}, index.json says {info.Crc32:x8}");
    }

    private ShardTable Checked(ShardEntry info, ShardTable table) =>
        table.Samples.Length == info.Samples ? table : throw Damaged(info, $"it holds {table.Samples.Length:N0} samples, index.json says {info.Samples:N0}");

    private InvalidDataException Damaged(ShardEntry info, string what) =>
        new($"shard '{info.Name}' of '{Path}' is damaged: {what}; write the set again, or load with --skip-damaged to leave its samples out.");

    private static uint FileCrc(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        var crc = new Crc32();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;
            for (int n; (n = RandomAccess.Read(file, buffer, offset)) > 0; offset += n) crc.Append(buffer.AsSpan(0, n));
            return crc.GetCurrentHashAsUInt32();
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    private ImageStashException ReadOnly() =>
        new($"shard set '{Path}' is read-only: shard sets are written whole, with 'imagestash shard SRC {Path}'.", ImageStashError.ReadOnly);

    /// <summary>Closes every shard and the connection.</summary>
    public void Dispose()
    {
        _shards.Dispose();
        _location.Dispose();
    }

    /// <summary>One shard open for reading (disposing it closes it).</summary>
    private sealed class OpenShard(ShardSetStore store, int index) : IDisposable
    {
        public int Index { get; } = index;
        public Microsoft.Win32.SafeHandles.SafeFileHandle? Handle;
        public CachedShard? Cached;
        public ShardTable? Table;

        public ShardTable.Sample Sample(long k, long id)
        {
            var sample = Table!.Samples[k];
            if (sample.Header.Id != id)
                throw new InvalidDataException($"shard '{store._index.Shards[Index].Name}' of '{store.Path}' is damaged: sample {k} is id {sample.Header.Id}, the ids file says {id}; write the set again.");
            return sample;
        }

        public void ReadPayload(ShardTable.Sample sample, Span<byte> payload)
        {
            var target = payload[..(int)sample.Header.PayloadLength];
            for (int done = 0; done < target.Length;)
            {
                int n = RandomAccess.Read(Handle!, target[done..], sample.Offset + done);
                if (n == 0) throw StoreChecks.Damaged(store.Path, sample.Header.Id, "its shard ends inside it");
                done += n;
            }
            if (Crc32.HashToUInt32(target) != sample.Crc)
                throw StoreChecks.Damaged(store.Path, sample.Header.Id, $"its bytes' CRC-32 is not {sample.Crc:x8}, as its shard's JSON says");
        }

        public void Dispose()
        {
            if (Cached is not null) Cached.Dispose();
            else Handle?.Dispose();
        }
    }

    private sealed class ShardSetProvider(ShardSetOptions? options) : IStoreProvider
    {
        public string Format => "shards";

        public string PathHint => "s3://BUCKET/PREFIX, a folder with index.json";

        /// <summary>s3:// URLs, folders with an index.json, and half-written sets (shards but no index yet), so that those are refused as such.</summary>
        public bool Matches(string path) =>
            path.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)
            || File.Exists(System.IO.Path.Combine(path, ShardIndex.FileName))
            || Directory.Exists(System.IO.Path.Combine(path, ShardWriter.SpoolName))
            || (Directory.Exists(path) && Directory.EnumerateFiles(path, "shard-*.tar").Any());

        public IImageStore Open(string path, StoreOptions storeOptions)
        {
            if (storeOptions.Mode != StoreOpenMode.ReadOnly && storeOptions.Mode != StoreOpenMode.Open)
                throw new ImageStashException($"shard set '{path}' cannot be created or written as a store: write it with 'imagestash shard SRC {path}'.", ImageStashError.ReadOnly);
            return new ShardSetStore(path, options);
        }
    }
}
