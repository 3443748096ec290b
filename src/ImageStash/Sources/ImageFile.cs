namespace ImageStash.Sources;

/// <summary>One encoded image file on its way into a store, as a source of image files reads it (see <see cref="ImageFileBatcher"/>).</summary>
/// <param name="Bytes">The file's bytes (JPEG, PNG, WebP, …); they need stay valid only until the next file is asked for.</param>
/// <param name="Label">The class label, or -1 for none.</param>
/// <param name="Name">The record's name (a relative path, or the dataset's own name for the image).</param>
/// <param name="Where">Where the file was found, for messages: "'train.parquet' row 1,234", "'a.tar' key 'x/0001'".</param>
/// <param name="Fields">The record's fields (a caption, tags, …), or null for none.</param>
public readonly record struct ImageFile(ReadOnlyMemory<byte> Bytes, int Label, string Name, string Where, RecordFields? Fields = null);
