namespace ImageStash.Sources;

/// <summary>How to read a source. Setters validate at once.</summary>
public sealed class SourceOptions
{
    /// <summary>Read at most this many images; null for all.</summary>
    /// <value>The default value is null.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long? Limit
    {
        get;
        set => field = value is < 0 ? throw new ArgumentOutOfRangeException(nameof(value), value, "Limit must be 0 or more.") : value;
    }

    /// <summary>Resize every image to exactly this size (raw pixels of one shape, as the article's stores need); null keeps each image's own size.</summary>
    /// <value>The default value is null.</value>
    public ImageShape? Resize { get; set; }

    /// <summary>Shrink images whose longer side is over this many pixels so that it is this long, keeping the aspect ratio (FFCV's max_resolution); null for no limit.</summary>
    /// <value>The default value is null.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above <see cref="ImageShape.MaxSide"/>.</exception>
    public int? MaxSide
    {
        get;
        set => field = value is < 1 or > ImageShape.MaxSide ? throw new ArgumentOutOfRangeException(nameof(value), value, $"The longest side must be 1 to {ImageShape.MaxSide}.") : value;
    }

    /// <summary>
    /// What to store for each image. Under <see cref="EncodeAs.Keep"/> an image resized to <see cref="Resize"/> is
    /// stored as raw pixels, and one shrunk to <see cref="MaxSide"/> is re-encoded in its own format (JPEG stays JPEG,
    /// others become PNG).
    /// </summary>
    /// <value>The default value is <see cref="EncodeAs.Keep"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not defined.</exception>
    public EncodeAs Encode
    {
        get;
        set => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown encoding.");
    } = EncodeAs.Keep;

    /// <summary>The quality of JPEGs that import writes (<see cref="EncodeAs.Jpeg"/>, or a shrunk JPEG).</summary>
    /// <value>The default value is 90.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not 1–100.</exception>
    public int JpegQuality
    {
        get;
        set => field = value is >= 1 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "JPEG quality is 1 to 100.");
    } = 90;

    /// <summary>How image files are checked before they are stored (ignored where the image is decoded anyway: resized or re-encoded).</summary>
    /// <value>The default value is <see cref="DecodeCheck.Scaled"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not defined.</exception>
    public DecodeCheck Check
    {
        get;
        set => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown check.");
    } = DecodeCheck.Scaled;

    /// <summary>
    /// The most pixels an image file may have: a header claiming more is refused (skipped under
    /// <see cref="SourceErrorMode.Skip"/>) before it is decoded, as a likely decompression bomb.
    /// </summary>
    /// <value>The default value is <see cref="ImageShape.DefaultMaxPixels"/> (178,956,970, PIL's limit).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not 1 to <see cref="ImageShape.MaxPixels"/>.</exception>
    public long MaxPixels
    {
        get;
        set => field = Codecs.PixelLimit.Validate(value);
    } = ImageShape.DefaultMaxPixels;

    /// <summary>What to do with an input that cannot be read.</summary>
    /// <value>The default value is <see cref="SourceErrorMode.Fail"/>.</value>
    public SourceErrorMode OnError { get; set; } = SourceErrorMode.Fail;

    /// <summary>Which CIFAR-10 batches to read.</summary>
    /// <value>The default value is <see cref="CifarSplit.Train"/>.</value>
    public CifarSplit Split { get; set; } = CifarSplit.Train;

    /// <summary>Refuse CIFAR-10 labels above 9 (a sign of a wrong file) instead of keeping them.</summary>
    /// <value>The default value is true.</value>
    public bool StrictLabels { get; set; } = true;

    /// <summary>The seed for synthetic images.</summary>
    /// <value>The default value is 42.</value>
    public int Seed { get; set; } = 42;
}
