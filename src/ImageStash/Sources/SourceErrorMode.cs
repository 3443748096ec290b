namespace ImageStash.Sources;

/// <summary>What a source does with an input it cannot read.</summary>
public enum SourceErrorMode
{
    /// <summary>Stop with an error naming the input.</summary>
    Fail,

    /// <summary>Skip the input, list it in <see cref="IImageSource.Skipped"/>, and go on.</summary>
    Skip,
}
