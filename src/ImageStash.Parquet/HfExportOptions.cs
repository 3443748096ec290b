namespace ImageStash.Parquet;

/// <summary>How <see cref="HfParquetExporter"/> writes a store as Hugging Face Parquet. Setters validate at once.</summary>
public sealed class HfExportOptions
{
    /// <summary>Rows per row group.</summary>
    /// <value>The default value is 100, what the Hub writes for image datasets.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int RowGroupRows
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A row group holds at least 1 row.");
    } = 100;

    /// <summary>Start a new file once a file holds this many bytes of images.</summary>
    /// <value>The default value is 500 MB (500,000,000 bytes), the Hub's own shard size.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public long MaxFileBytes
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A file holds at least 1 byte.");
    } = 500_000_000;

    /// <summary>The split the files are named after: <c>data/{split}-00000-of-00002.parquet</c>.</summary>
    /// <value>The default value is "train".</value>
    /// <exception cref="ArgumentException">The value is empty or holds a path separator or a dash.</exception>
    public string Split
    {
        get;
        set => field = !string.IsNullOrWhiteSpace(value) && value.IndexOfAny(['/', '\\', '-']) < 0 ? value
            : throw new ArgumentException($"A split is a plain name like 'train'; got '{value}'.", nameof(value));
    } = "train";
}
