using ImageStash.Parquet.Internal;
using ImageStash.Sources;

namespace ImageStash.Parquet;

/// <summary>
/// Reads a Hugging Face image dataset in Parquet as a source for import: one <c>.parquet</c> file, or a folder of
/// them as the Hub lays them out (<c>data/train-00000-of-00002.parquet</c>, <c>train/0000.parquet</c>, …). A row
/// group at a time is read while the previous chunk is decode-checked on every core, so memory stays flat however
/// large the files; image bytes are kept bit-exact and ClassLabel names become the store's class names.
/// </summary>
/// <remarks>
/// In a folder, <see cref="SourceOptions.Split"/> picks the files: those whose name or folder starts with
/// <c>train</c> (or <c>test</c>); all of them for <see cref="CifarSplit.All"/>, or when no file names a split. Every
/// file must give the same class names.
/// </remarks>
public sealed class HfParquetSource : IImageSource
{
    private readonly string _spec;
    private readonly SourceOptions _options;
    private readonly IReadOnlyList<string> _files;
    private readonly ImageFileBatcher _batcher;
    private readonly IReadOnlyList<string> _classNames;
    private readonly long _rows;

    /// <summary>Finds the Parquet files that <paramref name="spec"/> names and reads their schemas (no rows yet).</summary>
    /// <exception cref="ImageStashException">There are no Parquet files, a file has no image column, or files disagree on class names.</exception>
    /// <exception cref="InvalidDataException">A file is not Parquet or is truncated.</exception>
    public HfParquetSource(string spec, SourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        _spec = spec;
        _options = options ?? new SourceOptions();
        _batcher = new ImageFileBatcher(_options);
        _files = HfFiles.ForSplit(spec, _options.Split);
        IReadOnlyList<string>? names = null;
        foreach (string file in _files)
        {
            using var reader = new HfParquetReader(file);
            _rows += reader.RowCount;
            if (names is null) names = reader.ClassNames;
            else if (!names.SequenceEqual(reader.ClassNames))
                throw ImageStashException.BadSource(file, $"has class names [{string.Join(", ", reader.ClassNames)}] but '{_files[0]}' has [{string.Join(", ", names)}]; import the files into separate stores.");
        }
        _classNames = names ?? [];
    }

    /// <summary>Whether <paramref name="spec"/> is a <c>.parquet</c> file or a folder holding some (at any depth).</summary>
    public static bool Recognizes(string spec) =>
        spec.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) && File.Exists(spec)
        || Directory.Exists(spec) && Directory.EnumerateFiles(spec, "*.parquet", SearchOption.AllDirectories).Any();

    /// <summary>The Parquet files that will be read, in order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <inheritdoc />
    public string Description => $"Hugging Face Parquet '{_spec}' ({_files.Count} file{(_files.Count == 1 ? "" : "s")})";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <inheritdoc />
    public long? Count => _options.Limit is { } limit ? Math.Min(limit, _rows) : _rows;

    /// <inheritdoc />
    public IReadOnlyList<string> Skipped => _batcher.Skipped;

    /// <inheritdoc />
    public IEnumerable<ImageBatch> ReadBatches(int batchSize) => _batcher.Batch(Rows(), batchSize);

    /// <summary>Nothing to release: files are opened and closed while reading.</summary>
    public void Dispose() { }

    private IEnumerable<ImageFile> Rows()
    {
        foreach (string file in _files)
        {
            using var reader = new HfParquetReader(file);
            string name = Path.GetFileNameWithoutExtension(file);
            for (int g = 0; g < reader.RowGroupCount; g++)
                foreach (var row in reader.ReadRowGroup(g))
                    yield return new ImageFile(row.Bytes, row.Label, row.Path ?? $"{name}/{row.Row:D6}", $"'{file}' row {row.Row:N0}", row.Fields);
        }
    }
}
