using ImageStash.Sources;

namespace ImageStash.Parquet;

/// <summary>
/// Lets <see cref="ImageSources.Open"/> (and <c>imagestash import</c>) read Hugging Face Parquet datasets:
/// <c>ImageSources.Register(HfParquetSources.Provider)</c>.
/// </summary>
public sealed class HfParquetSources : ISourceProvider
{
    private HfParquetSources() { }

    /// <summary>The provider to register.</summary>
    public static HfParquetSources Provider { get; } = new();

    /// <inheritdoc />
    public string Hint => "a Hugging Face .parquet file or a folder of them";

    /// <inheritdoc />
    public bool Matches(string spec) => HfParquetSource.Recognizes(spec);

    /// <inheritdoc />
    public IImageSource Open(string spec, SourceOptions options) => new HfParquetSource(spec, options);
}
