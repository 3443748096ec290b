namespace ImageStash.Sources;

/// <summary>What import stores for each image (<c>--encode</c>).</summary>
public enum EncodeAs
{
    /// <summary>What the source has: an image file's bytes exactly as they are, raw pixels as raw pixels.</summary>
    Keep,

    /// <summary>Raw pixels (decoded, upright): largest, no decode when training.</summary>
    Raw,

    /// <summary>Lossless PNG.</summary>
    Png,

    /// <summary>JPEG at <see cref="SourceOptions.JpegQuality"/>.</summary>
    Jpeg,
}
