namespace ImageStash;

/// <summary>Everything about a stored image except its pixels.</summary>
/// <param name="Id">The image's id: non-negative, unique within a store.</param>
/// <param name="Shape">Height, width and channels.</param>
/// <param name="Label">The class label (an index into the store's class names when it has them).</param>
/// <param name="Name">The original name (e.g. a file name), or null.</param>
public readonly record struct ImageHeader(long Id, ImageShape Shape, int Label, string? Name = null);
