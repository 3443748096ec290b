namespace ImageStash.Codecs;

/// <summary>What an encoded image's header says, read without decoding its pixels.</summary>
/// <param name="Width">Columns as stored.</param>
/// <param name="Height">Rows as stored.</param>
/// <param name="Channels">What a decode gives by default: 1 for grey, 3 for colour, 4 with alpha.</param>
/// <param name="Orientation">How to turn the stored pixels to show them upright.</param>
public readonly record struct ImageInfo(int Width, int Height, int Channels, ImageOrientation Orientation = ImageOrientation.Normal)
{
    /// <summary>Whether showing the image swaps width and height (a quarter turn).</summary>
    public bool SwapsSides => Orientation >= ImageOrientation.Transpose;

    /// <summary>The image as shown: upright (width and height swapped for quarter turns), default channels.</summary>
    public ImageShape Shape => SwapsSides ? new ImageShape(Width, Height, Channels) : new ImageShape(Height, Width, Channels);

    /// <summary>The stored size decoded at 1/<paramref name="scale"/>: each side divided and rounded up, as libjpeg does.</summary>
    public (int Width, int Height) ScaledSize(int scale) => ((Width + scale - 1) / scale, (Height + scale - 1) / scale);
}
