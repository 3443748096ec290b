using ImageStash.Codecs;
using ImageStash.Parquet.Internal;

namespace ImageStash.Parquet;

/// <summary>
/// A Hugging Face image dataset in Parquet — one <c>.parquet</c> file, a pattern (<c>data/train-*.parquet</c>) or a
/// folder of one split's files — read in place as a store: <c>info</c>, <c>verify</c>, <c>get</c>, <c>export</c>,
/// <c>convert</c>, <c>shard</c> and the loader work on it as on any store. Row groups play the part a shard set's
/// shards do: the loader streams them in the epoch plan of docs/formats/shards.md, a window of row groups in memory at
/// a time, reading ahead. Image bytes come out exactly as stored; ids are row numbers across the files in order;
/// labels are the ClassLabel's integers and the class names its names; the other columns are the records' fields
/// (see <see cref="HfParquetReader"/>). Read-only: write one with
/// <see cref="HfParquetExporter"/> (<c>imagestash convert STORE OUT --format hf</c>).
/// </summary>
public sealed partial class HfParquetStore : IStreamingStore
{
    private readonly List<string> _files;
    private readonly (int File, int Group)[] _groups;  // every non-empty row group, in order
    private readonly long[] _groupRows;                 // the first row (id) of each, and the total at the end

    /// <summary>Opens Hugging Face Parquet datasets: <c>*.parquet</c> paths and patterns, and folders holding Parquet files.</summary>
    public static IStoreProvider Provider { get; } = new HfParquetProvider(null);

    /// <summary>A provider that opens datasets with <paramref name="options"/> instead of the defaults.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static IStoreProvider ProviderWith(HfParquetStoreOptions options) =>
        new HfParquetProvider(options ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>Opens the dataset at <paramref name="path"/> and reads its files' schemas and row counts (no rows yet).</summary>
    /// <exception cref="ImageStashException">Nothing is there or nothing matches; a folder holds several splits; a
    /// file has no image column; files disagree on the class names.</exception>
    /// <exception cref="InvalidDataException">A file is not Parquet or is truncated; the message names it.</exception>
    public HfParquetStore(string path, HfParquetStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        Options = options ?? new HfParquetStoreOptions();
        _files = HfFiles.ForStore(path);
        _readers = new System.Collections.Concurrent.ConcurrentBag<HfParquetReader>[_files.Count];
        // The row groups the loader shuffles together, those it reads ahead, and a little slack stay in memory.
        _rowGroups = new ChunkWindow<RowGroup>(Options.ShuffleRowGroups + Options.PrefetchRowGroups + 2, Load, owner: this);
        var groups = new List<(int, int)>();
        var firsts = new List<long> { 0 };
        IReadOnlyList<string>? names = null;
        try
        {
            for (int f = 0; f < _files.Count; f++)
            {
                _readers[f] = [];
                var reader = new HfParquetReader(_files[f]);
                _readers[f].Add(reader);
                if (names is null) names = reader.ClassNames;
                else if (!names.SequenceEqual(reader.ClassNames))
                    throw ImageStashException.BadSource(_files[f], $"has class names [{string.Join(", ", reader.ClassNames)}] but '{_files[0]}' has [{string.Join(", ", names)}]; open the files as separate stores.");
                for (int g = 0; g < reader.RowGroupCount; g++)
                {
                    long rows = reader.RowGroupRows(g);
                    if (rows == 0) continue;
                    groups.Add((f, g));
                    firsts.Add(firsts[^1] + rows);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        ClassNames = names ?? [];
        _groups = [.. groups];
        _groupRows = [.. firsts];
    }

    /// <summary>The settings the dataset was opened with.</summary>
    public HfParquetStoreOptions Options { get; }

    /// <summary>The Parquet files read, in order: ids count their rows from the first file's first row.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>The number of non-empty row groups, across the files.</summary>
    public int RowGroupCount => _groups.Length;

    /// <inheritdoc />
    public string Path { get; }

    /// <inheritdoc />
    public string Format => "hf";

    /// <inheritdoc />
    public long Count => _groupRows[^1];

    /// <inheritdoc />
    public ImageShape? FixedShape => null;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    /// <exception cref="ImageStashException">Always: the dataset is read in place, never changed.</exception>
    public void SetClassNames(IReadOnlyList<string> names) => throw ReadOnly(Path);

    /// <inheritdoc />
    /// <exception cref="ImageStashException">Always: the dataset is read in place, never changed.</exception>
    public void Put(ImageBatch batch, bool overwrite = false) => throw ReadOnly(Path);

    /// <inheritdoc />
    public IEnumerable<long> EnumerateIds()
    {
        for (long id = 0; id < Count; id++) yield return id;
    }

    /// <inheritdoc />
    public bool TryGetHeader(long id, out ImageHeader header)
    {
        header = default;
        if (id < 0 || id >= Count) return false;
        using var group = Acquire(GroupOf(id));
        header = group.Chunk.Header(id);
        return true;
    }

    /// <inheritdoc />
    public ImageHeader Read(long id, Span<byte> payload)
    {
        if (id < 0 || id >= Count) throw ImageStashException.MissingId(Path, id);
        using var group = Acquire(GroupOf(id));
        var header = group.Chunk.Header(id);
        StoreChecks.CheckPayloadBuffer(header, payload);
        group.Chunk.Bytes(id).CopyTo(payload);
        return header;
    }

    /// <inheritdoc />
    public bool TryReadPayload(long id, Span<byte> payload, out ImageHeader header)
    {
        if (id < 0 || id >= Count) throw ImageStashException.MissingId(Path, id);
        using var group = Acquire(GroupOf(id));
        header = group.Chunk.Header(id) with { Name = null, Fields = null };
        if (payload.Length < header.PayloadLength) return false;
        group.Chunk.Bytes(id).CopyTo(payload);
        return true;
    }

    IEpochOrder IStreamingStore.Order(EpochOrderOptions options, EpochOrderState? resume) =>
        new ChunkedEpochOrder(RowGroupSizes(), row => row, Options.ShuffleRowGroups, options, resume, _rowGroups.Prefetch, Options.PrefetchRowGroups);

    IEnumerable<long> IStreamingStore.StreamOrder() => EnumerateIds();

    private long[] RowGroupSizes()
    {
        var sizes = new long[_groups.Length];
        for (int k = 0; k < sizes.Length; k++) sizes[k] = _groupRows[k + 1] - _groupRows[k];
        return sizes;
    }

    /// <summary>The row group (index into <see cref="_groups"/>) holding row <paramref name="id"/>.</summary>
    private int GroupOf(long id)
    {
        int k = Array.BinarySearch(_groupRows, id);
        return k >= 0 ? k : ~k - 1;
    }

    private static ImageStashException ReadOnly(string path) =>
        new($"Hugging Face Parquet dataset '{path}' is read-only: write one with 'imagestash convert STORE OUT --format hf'.", ImageStashError.ReadOnly);

    /// <summary>The header of an image file's bytes, or what is wrong with them.</summary>
    private static (ImageHeader Header, string? Problem) HeaderOf(ReadOnlySpan<byte> bytes, long id, int label, string name)
    {
        try
        {
            var codec = ImageCodecs.Detect(bytes)
                ?? throw new InvalidDataException($"not an image ImageStash reads ({string.Join(", ", ImageCodecs.All.Select(c => c.Encoding))}); it is another kind of file or damaged");
            var info = codec.ReadInfo(bytes);
            return (new ImageHeader(id, info.Shape, label, name) { Encoding = codec.Encoding, PayloadLength = bytes.Length }, null);
        }
        catch (InvalidDataException e)
        {
            return (new ImageHeader(id, default, label, name), e.Message.TrimEnd('.'));
        }
    }

    private sealed class HfParquetProvider(HfParquetStoreOptions? options) : IStoreProvider
    {
        public string Format => "hf";

        public string PathHint => ".parquet (a file, 'data/train-*.parquet' or a folder of them)";

        /// <summary>
        /// Paths and patterns ending in .parquet (so a missing one is refused as such), and folders with Parquet files
        /// near the top that ImageStash did not write (an imagestash.json marks its own folders).
        /// </summary>
        public bool Matches(string path) =>
            path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)
            || Directory.Exists(path) && !File.Exists(System.IO.Path.Combine(path, "imagestash.json")) && HfFiles.FolderHasParquet(path);

        public IImageStore Open(string path, StoreOptions storeOptions)
        {
            if (storeOptions.Mode != StoreOpenMode.ReadOnly && storeOptions.Mode != StoreOpenMode.Open)
                throw new ImageStashException($"Hugging Face Parquet dataset '{path}' cannot be created or written as a store: write one with 'imagestash convert STORE {path} --format hf'.", ImageStashError.ReadOnly);
            return new HfParquetStore(path, options);
        }
    }
}
