namespace ImageStash.Parquet;

/// <summary>One row of a Hugging Face image dataset as <see cref="HfParquetReader"/> reads it.</summary>
/// <param name="Row">The row's number in its file, from 0.</param>
/// <param name="Bytes">The image struct's <c>bytes</c>, exactly as stored; valid until the next row is asked for.</param>
/// <param name="Path">The image struct's <c>path</c>, or null.</param>
/// <param name="Label">The ClassLabel value, or -1 when the row has none (or the dataset has no label column).</param>
/// <param name="Fields">The row's other columns (a <c>text</c> caption, …) as fields, or null when it has none.</param>
public readonly record struct HfImageRow(long Row, ReadOnlyMemory<byte> Bytes, string? Path, int Label, RecordFields? Fields = null);
