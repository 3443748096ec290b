namespace ImageStash;

/// <summary>How a store keeps pixels inside its records, where it has a choice (LMDB).</summary>
public enum PixelEncoding
{
    /// <summary>Raw HWC bytes: largest, fastest to read.</summary>
    Raw = 0,

    /// <summary>Lossless PNG: smaller on disk, slower to read (a decode per image).</summary>
    Png = 1,
}
