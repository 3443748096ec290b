namespace ImageStash.Sources;

/// <summary>
/// Opens one kind of source. Register a provider with <see cref="ImageSources.Register"/> so that
/// <see cref="ImageSources.Open"/> (and <c>imagestash import</c>) reads a kind that lives in another assembly.
/// </summary>
public interface ISourceProvider
{
    /// <summary>How a user names this kind, for the message that lists what import reads (".parquet file or a folder of them").</summary>
    string Hint { get; }

    /// <summary>Whether <paramref name="spec"/> (a path or pattern) names this kind, by its extension or its contents.</summary>
    bool Matches(string spec);

    /// <summary>Opens the source that <paramref name="spec"/> names.</summary>
    /// <exception cref="ImageStashException">The spec names nothing this kind reads; the message says what was expected.</exception>
    /// <exception cref="InvalidDataException">The input is damaged; the message names the file.</exception>
    IImageSource Open(string spec, SourceOptions options);
}
