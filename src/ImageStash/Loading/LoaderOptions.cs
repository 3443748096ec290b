namespace ImageStash.Loading;

/// <summary>How an <see cref="ImageLoader"/> batches a store. Setters validate at once.</summary>
public sealed class LoaderOptions
{
    /// <summary>Images per batch.</summary>
    /// <value>The default value is 256.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int BatchSize
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Batch size must be at least 1.");
    } = 256;

    /// <summary>Visit images in a new random order each epoch (derived from <see cref="Seed"/> and the epoch); otherwise in id order.</summary>
    /// <value>The default value is true.</value>
    public bool Shuffle { get; set; } = true;

    /// <summary>The seed of every epoch's order and of the random transforms.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; set; }

    /// <summary>
    /// Drop what does not fill a whole batch (and, with several ranks, the images past an even split); otherwise the
    /// last batch is smaller and shards are padded with images from the start of the epoch, as PyTorch's
    /// DistributedSampler does.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool DropLast { get; set; }

    /// <summary>This process's index among <see cref="WorldSize"/> processes.</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int Rank
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Rank must be 0 or more.");
    }

    /// <summary>How many processes share each epoch; each gets a disjoint, equal-sized shard.</summary>
    /// <value>The default value is 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int WorldSize
    {
        get;
        set => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "World size must be at least 1.");
    } = 1;

    /// <summary>Batches prepared ahead of the one being used (each holds one pooled buffer).</summary>
    /// <value>The default value is 2.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 0.</exception>
    public int Prefetch
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Prefetch must be 0 or more.");
    } = 2;

    /// <summary>Threads that read and decode images; 0 prepares batches on the thread that asks for them.</summary>
    /// <value>The default value is the number of processors.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 0.</exception>
    public int Workers
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Workers must be 0 or more.");
    } = Environment.ProcessorCount;

    /// <summary>
    /// The photo pipeline: decode every image (raw or encoded, any size), crop it per <see cref="Crop"/> and resize
    /// it to <c>Size × Size</c> RGB. Null hands out images as stored, which must then be raw and of one shape (CIFAR).
    /// </summary>
    /// <value>The default value is null.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not 1 to 4,096.</exception>
    public int? Size
    {
        get;
        set => field = value is < 1 or > 4096 ? throw new ArgumentOutOfRangeException(nameof(value), value, "The output size is 1 to 4,096 pixels.") : value;
    }

    /// <summary>How the photo pipeline cuts images to <see cref="Size"/>.</summary>
    /// <value>The default value is <see cref="LoaderCrop.Random"/>.</value>
    public LoaderCrop Crop { get; set; } = LoaderCrop.Random;

    /// <summary>The smallest fraction of an image's area a random crop covers.</summary>
    /// <value>The default value is 0.08.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1].</exception>
    public double MinScale
    {
        get;
        set => field = value is > 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The smallest crop is a fraction of the area in (0, 1].");
    } = 0.08;

    /// <summary>The largest fraction of an image's area a random crop covers.</summary>
    /// <value>The default value is 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1].</exception>
    public double MaxScale
    {
        get;
        set => field = value is > 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The largest crop is a fraction of the area in (0, 1].");
    } = 1.0;

    /// <summary>The narrowest aspect ratio (width ÷ height) of a random crop.</summary>
    /// <value>The default value is 3/4.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public double MinRatio
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Aspect ratios are positive.");
    } = 3.0 / 4.0;

    /// <summary>The widest aspect ratio (width ÷ height) of a random crop.</summary>
    /// <value>The default value is 4/3.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public double MaxRatio
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Aspect ratios are positive.");
    } = 4.0 / 3.0;

    /// <summary>For <see cref="LoaderCrop.Center"/>: the output's share of the resized shorter side (224 of 256).</summary>
    /// <value>The default value is 0.875.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in (0, 1].</exception>
    public double CenterFraction
    {
        get;
        set => field = value is > 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The centre crop's share is in (0, 1].");
    } = 0.875;

    /// <summary>
    /// With <see cref="Size"/> and <see cref="LoaderCrop.Random"/>: decode only each crop's rows and columns where the
    /// codec can (<see cref="Codecs.IImageCodec.DecodesRegions"/>: JPEG, where ImageStash's libjpeg shim is built),
    /// instead of whole images; the output is the same (docs/formats/codecs.md). Centre crops always decode whole
    /// images (they span most rows: region decode saved nothing there). False gives the whole-decode pipeline, for comparison.
    /// </summary>
    /// <value>The default value is true.</value>
    public bool DecodeRegions { get; set; } = true;

    /// <summary>
    /// For the photo pipeline (<see cref="Size"/>): the most pixels an encoded image may have. A header claiming more
    /// is refused before it is decoded, as a likely decompression bomb (left out under <see cref="SkipDamaged"/>).
    /// </summary>
    /// <value>The default value is <see cref="ImageShape.DefaultMaxPixels"/> (178,956,970, PIL's limit).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not 1 to <see cref="ImageShape.MaxPixels"/>.</exception>
    public long MaxPixels
    {
        get;
        set => field = Codecs.PixelLimit.Validate(value);
    } = ImageShape.DefaultMaxPixels;

    /// <summary>The layout and type of the batches' pixels.</summary>
    /// <value>The default value is <see cref="LoaderOutput.BytesHwc"/>.</value>
    public LoaderOutput Output { get; set; } = LoaderOutput.BytesHwc;

    /// <summary>Per-channel means for <see cref="LoaderOutput.FloatsChw"/>, on the 0–1 scale.</summary>
    /// <value>The default value is ImageNet's: 0.485, 0.456, 0.406.</value>
    public IReadOnlyList<float> Mean { get; set; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviations for <see cref="LoaderOutput.FloatsChw"/>, on the 0–1 scale.</summary>
    /// <value>The default value is ImageNet's: 0.229, 0.224, 0.225.</value>
    public IReadOnlyList<float> Std { get; set; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Skip an image that cannot be read or decoded (its batch comes out one smaller, and <see cref="ImageLoader.Skipped"/> names it) instead of failing.</summary>
    /// <value>The default value is false.</value>
    public bool SkipDamaged { get; set; }

    /// <summary>Raw images of one shape only: pad each side by this many pixels (zeros) and crop a random window of the original size; 0 for none (CIFAR uses 4).</summary>
    /// <value>The default value is 0.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int RandomCropPadding
    {
        get;
        set => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Padding must be 0 or more.");
    }

    /// <summary>
    /// Hand out each image's fields (<see cref="RecordFields"/>: a caption, tags, ...) with its batch, in
    /// <see cref="LoaderBatch.Fields"/>. Off, the loader never reads them: the pixels' path is the same as a store
    /// without fields.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool WithFields { get; set; }

    /// <summary>Mirror each image left–right with probability ½.</summary>
    /// <value>The default value is false.</value>
    public bool RandomHorizontalFlip { get; set; }
}
