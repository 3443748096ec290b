namespace ImageStash.Sources;

/// <summary>How import checks that each image file decodes before it is stored (<c>--check</c>).</summary>
public enum DecodeCheck
{
    /// <summary>
    /// Decode all of the file's data at the smallest size its codec offers: a JPEG at 1/8 scale, which decodes every
    /// coefficient of the entropy-coded data (where truncation and corruption show) and cuts only the inverse DCT
    /// short, so it costs less than a full-size decode; other formats at full size.
    /// </summary>
    Scaled,

    /// <summary>Decode every file at full size.</summary>
    Full,

    /// <summary>Read only the header (size and channels); damaged data is found later, by <c>verify --deep</c> or the loader.</summary>
    None,
}
