namespace ImageStash.Codecs;

/// <summary>How stored pixels must be turned to be shown upright: the EXIF orientation tag's values.</summary>
public enum ImageOrientation : byte
{
    /// <summary>Upright as stored (EXIF 1, also when there is no tag).</summary>
    Normal = 1,

    /// <summary>Mirrored left–right (EXIF 2).</summary>
    FlipHorizontal = 2,

    /// <summary>Upside down (EXIF 3).</summary>
    Rotate180 = 3,

    /// <summary>Mirrored top–bottom (EXIF 4).</summary>
    FlipVertical = 4,

    /// <summary>Mirrored along the main diagonal (EXIF 5).</summary>
    Transpose = 5,

    /// <summary>Turn 90° clockwise to show (EXIF 6: a phone held upright).</summary>
    Rotate90 = 6,

    /// <summary>Mirrored along the other diagonal (EXIF 7).</summary>
    Transverse = 7,

    /// <summary>Turn 90° counter-clockwise to show (EXIF 8).</summary>
    Rotate270 = 8,
}
