using ImageStash.Parquet.Internal;
using ParquetSharp;

namespace ImageStash.Parquet;

/// <summary>
/// Reads one Parquet file of a Hugging Face image dataset a row group at a time: the image struct's <c>bytes</c>
/// bit-exact, its <c>path</c>, and the ClassLabel as an integer whose names come from the <c>huggingface</c> key of
/// the schema metadata. Memory stays bounded by one row group's column chunks, however large the file.
/// </summary>
/// <remarks>
/// The image column is the feature of type <c>Image</c>, or else a struct column named <c>image</c> or <c>img</c>
/// holding <c>bytes</c>. The label column is the feature of type <c>ClassLabel</c>, or else an integer column named
/// <c>label</c> or <c>labels</c>. Every other top-level column of strings, integers, floating-point numbers or
/// booleans becomes a field of the row's record under the column's name (a null is left out; a column of Parquet's
/// JSON logical type is parsed, so nested values our export writes as JSON come back as they were); nested Parquet
/// columns (lists, structs), decimals, dates and times are not read.
/// </remarks>
public sealed class HfParquetReader : IDisposable
{
    private const int Chunk = 64; // rows read per call into native code: few calls, little memory
    private readonly ParquetFileReader _file;
    private readonly int _bytesColumn, _pathColumn = -1, _labelColumn = -1;
    private readonly List<(int Index, string Name, bool Json)> _fieldColumns = [];
    private RowChunk? _spareChunk; // reused from row group to row group: its buffer grows once, not per group

    /// <summary>Opens <paramref name="path"/> and finds its image and label columns.</summary>
    /// <exception cref="ImageStashException">The file has no image column; the message lists its columns.</exception>
    /// <exception cref="InvalidDataException">The file is not Parquet or is truncated.</exception>
    public HfParquetReader(string path)
    {
        Path = path;
        try { _file = new ParquetFileReader(path); }
        catch (ParquetException e) { throw new InvalidDataException($"'{path}' is not a Parquet file or is truncated: {FirstLine(e)}.", e); }
        try
        {
            var meta = _file.FileMetaData;
            var features = HfFeatures.Read(meta.KeyValueMetadata);
            var columns = Enumerable.Range(0, meta.Schema.NumColumns).Select(i => meta.Schema.Column(i).Path.ToDotString()).ToList();
            string? image = features.FirstOrDefault(f => HfFeatures.Type(f.Value) == "Image").Key
                ?? new[] { "image", "img" }.FirstOrDefault(n => columns.Contains(n + ".bytes"));
            _bytesColumn = image is null ? -1 : columns.IndexOf(image + ".bytes");
            if (_bytesColumn < 0)
                throw ImageStashException.BadSource(path, $"has no image column (a struct {{bytes, path}} like Hugging Face's Image feature); its columns are {string.Join(", ", columns)}.");
            ImageColumn = image!;
            _pathColumn = columns.IndexOf(image + ".path");
            var label = features.FirstOrDefault(f => HfFeatures.Type(f.Value) == "ClassLabel");
            LabelColumn = label.Key ?? new[] { "label", "labels" }.FirstOrDefault(columns.Contains);
            if (LabelColumn is not null)
            {
                _labelColumn = columns.IndexOf(LabelColumn);
                var type = meta.Schema.Column(_labelColumn).PhysicalType;
                if (_labelColumn < 0 || type is not (PhysicalType.Int32 or PhysicalType.Int64))
                    throw ImageStashException.BadSource(path, $"has a label column '{LabelColumn}' that is not an integer column ({(_labelColumn < 0 ? "missing" : type)}).");
            }
            ClassNames = label.Value is { } feature ? HfFeatures.Names(feature) : [];
            for (int c = 0; c < columns.Count; c++)
            {
                var column = meta.Schema.Column(c);
                string[] names = column.Path.ToDotVector();
                if (c == _labelColumn || names.Length != 1 || column.MaxRepetitionLevel > 0) continue;
                bool text = column.PhysicalType == PhysicalType.ByteArray && column.LogicalType is StringLogicalType or JsonLogicalType;
                // Integers only as plain or INT logical types: a decimal, date or timestamp stored as an integer is not its number.
                bool integer = column.PhysicalType is PhysicalType.Int32 or PhysicalType.Int64 && column.LogicalType is NoneLogicalType or IntLogicalType;
                if (text || integer || column.PhysicalType is PhysicalType.Float or PhysicalType.Double or PhysicalType.Boolean)
                    _fieldColumns.Add((c, names[0], column.LogicalType is JsonLogicalType));
            }
            RowCount = meta.NumRows;
            RowGroupCount = meta.NumRowGroups;
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The name of the image column (a struct with <c>bytes</c> and <c>path</c>).</summary>
    public string ImageColumn { get; }

    /// <summary>The name of the label column, or null when the dataset has none.</summary>
    public string? LabelColumn { get; }

    /// <summary>The columns read as fields, in the file's order.</summary>
    public IReadOnlyList<string> FieldColumns => [.. _fieldColumns.Select(c => c.Name)];

    /// <summary>The ClassLabel's names, indexed by label; empty when the file's metadata gives none.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of rows in the file.</summary>
    public long RowCount { get; }

    /// <summary>The number of row groups in the file.</summary>
    public int RowGroupCount { get; }

    /// <summary>
    /// Reads the rows of row group <paramref name="index"/> in order. Each row's bytes stay valid only until the next
    /// row is asked for.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such row group.</exception>
    /// <exception cref="InvalidDataException">The row group is damaged, a row has no image bytes, or a label is out of
    /// the ClassLabel's range; the message names the file and row.</exception>
    public IEnumerable<HfImageRow> ReadRowGroup(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, RowGroupCount);
        return Read(index, checkLabels: true);
    }

    /// <summary>As <see cref="ReadRowGroup"/>; without <paramref name="checkLabels"/> a label out of range comes
    /// through as it is (<see cref="LabelProblem"/> says what is wrong with it), so a store can fail that row alone.</summary>
    internal IEnumerable<HfImageRow> Read(int index, bool checkLabels)
    {
        long first = 0;
        for (int g = 0; g < index; g++) first += RowGroupRows(g);
        var rows = Interlocked.Exchange(ref _spareChunk, null) ?? new RowChunk();
        using var group = Damaged(first, () => _file.RowGroup(index));
        long count = group.MetaData.NumRows;
        using var bytes = (ColumnReader<ByteArray>)group.Column(_bytesColumn);
        using var paths = _pathColumn >= 0 ? (ColumnReader<ByteArray>)group.Column(_pathColumn) : null;
        using var labels = _labelColumn >= 0 ? group.Column(_labelColumn) : null;
        var fieldReaders = _fieldColumns.Select(c => group.Column(c.Index)).ToArray();
        var fieldValues = _fieldColumns.Select(_ => new System.Text.Json.Nodes.JsonNode?[Chunk]).ToArray();
        try
        {
            for (long done = 0; done < count;)
            {
                int n = (int)Math.Min(Chunk, count - done);
                long at = first + done;
                Damaged(at, () =>
                {
                    rows.Read(bytes, paths, labels, n);
                    for (int c = 0; c < fieldReaders.Length; c++) rows.ReadField(fieldReaders[c], _fieldColumns[c].Json, n, fieldValues[c]);
                });
                for (int i = 0; i < n; i++)
                {
                    long row = at + i;
                    var image = rows.Image(i);
                    if (image.IsEmpty) throw new InvalidDataException($"'{Path}' row {row:N0} has no image bytes (its '{ImageColumn}' is null or empty).");
                    int label = rows.Label(i);
                    if (checkLabels && LabelProblem(row, label) is { } problem) throw new InvalidDataException(problem);
                    yield return new HfImageRow(row, image, rows.Path(i), label, Fields(row, fieldValues, i));
                }
                done += n;
            }
        }
        finally
        {
            foreach (var reader in fieldReaders) reader.Dispose();
            Volatile.Write(ref _spareChunk, rows);
        }
    }

    /// <summary>Row <paramref name="row"/>'s fields from the other columns' values, or null when they are all null.</summary>
    private RecordFields? Fields(long row, System.Text.Json.Nodes.JsonNode?[][] values, int i)
    {
        System.Text.Json.Nodes.JsonObject? fields = null;
        for (int c = 0; c < values.Length; c++)
            if (values[c][i] is { } value)
            {
                fields ??= new System.Text.Json.Nodes.JsonObject();
                fields[_fieldColumns[c].Name] = ReferenceEquals(value, RowChunk.JsonNull) ? null : value;
                values[c][i] = null; // a node has one parent: the next row gets new ones
            }
        if (fields is null) return null;
        try { return RecordFields.FromObject(fields); }
        catch (ArgumentException e) { throw new InvalidDataException($"'{Path}' row {row:N0}: its other columns are not fields a record keeps: {e.Message.TrimEnd('.')}.", e); }
    }

    /// <summary>
    /// At least the image bytes of row group <paramref name="index"/> (its image column chunk uncompressed, with
    /// page headers and levels), from the footer: what a buffer for them needs.
    /// </summary>
    internal long ImageBytesUpperBound(int index)
    {
        using var group = _file.RowGroup(index);
        using var chunk = group.MetaData.GetColumnChunkMetaData(_bytesColumn);
        return chunk.TotalUncompressedSize;
    }

    /// <summary>What is wrong with <paramref name="label"/> at <paramref name="row"/>, or null when it is in the ClassLabel's range (or -1).</summary>
    internal string? LabelProblem(long row, int label) =>
        label < -1 || ClassNames.Count > 0 && label >= ClassNames.Count
            ? $"'{Path}' row {row:N0}: label {label} is out of range for the {ClassNames.Count} ClassLabel names of '{LabelColumn}' (0–{ClassNames.Count - 1}, or -1 for none)."
            : null;

    /// <summary>The number of rows in row group <paramref name="g"/>.</summary>
    internal long RowGroupRows(int g)
    {
        using var meta = _file.RowGroup(g);
        return meta.MetaData.NumRows;
    }

    private T Damaged<T>(long row, Func<T> read)
    {
        try { return read(); }
        catch (ParquetException e) { throw new InvalidDataException($"'{Path}' is damaged or truncated at row {row:N0}: {FirstLine(e)}.", e); }
    }

    private void Damaged(long row, Action read) => Damaged(row, () => { read(); return 0; });

    private static string FirstLine(Exception e) => e.Message.Split('\n')[0].Trim().TrimEnd('.');

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>One chunk of rows copied out of native buffers: images back to back, paths, labels.</summary>
    private sealed class RowChunk
    {
        private byte[] _buffer = new byte[1 << 20];
        private readonly int[] _offsets = new int[Chunk + 1];
        private readonly string?[] _paths = new string?[Chunk];
        private readonly long[] _labels = new long[Chunk];
        private readonly short[] _def = new short[Chunk], _rep = new short[Chunk];
        private readonly ByteArray[] _values = new ByteArray[Chunk];
        private readonly long[] _longs = new long[Chunk];
        private readonly int[] _ints = new int[Chunk];

        public ReadOnlyMemory<byte> Image(int i) => _buffer.AsMemory(_offsets[i], _offsets[i + 1] - _offsets[i]);
        public string? Path(int i) => _paths[i];
        public int Label(int i) => _labels[i] is >= int.MinValue and <= int.MaxValue ? (int)_labels[i] : int.MinValue;

        public unsafe void Read(ColumnReader<ByteArray> bytes, ColumnReader<ByteArray>? paths, ColumnReader? labels, int n)
        {
            int at = 0;
            ReadAll(bytes, _values, n, (first, rows, present) =>
            {
                for (int i = first, v = 0; i < first + rows; i++)
                {
                    _offsets[i] = at;
                    if (!present(i)) continue;
                    var value = _values[v++];
                    if ((long)at + value.Length > Array.MaxLength) throw new InvalidDataException($"{n} images are more than one array holds.");
                    if (_buffer.Length < at + value.Length) Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max(at + (long)value.Length, _buffer.Length * 2L)));
                    new ReadOnlySpan<byte>((void*)value.Pointer, value.Length).CopyTo(_buffer.AsSpan(at));
                    at += value.Length;
                }
            });
            _offsets[n] = at;
            if (paths is null) Array.Clear(_paths);
            else
                ReadAll(paths, _values, n, (first, rows, present) =>
                {
                    for (int i = first, v = 0; i < first + rows; i++)
                        _paths[i] = present(i) ? System.Text.Encoding.UTF8.GetString((byte*)_values[v].Pointer, _values[v++].Length) : null;
                });
            if (labels is null) _labels.AsSpan().Fill(-1);
            else if (labels is ColumnReader<long> l64) ReadAll(l64, _longs, n, (first, rows, present) =>
            {
                for (int i = first, v = 0; i < first + rows; i++) _labels[i] = present(i) ? _longs[v++] : -1;
            });
            else if (labels is ColumnReader<int> l32) ReadAll(l32, _ints, n, (first, rows, present) =>
            {
                for (int i = first, v = 0; i < first + rows; i++) _labels[i] = present(i) ? _ints[v++] : -1;
            });
        }

        /// <summary>Stands for a JSON column's <c>null</c> (a null node would read as a missing value); never put in an object.</summary>
        public static readonly System.Text.Json.Nodes.JsonNode JsonNull = System.Text.Json.Nodes.JsonValue.Create(0);

        /// <summary>Reads <paramref name="n"/> rows of a flat column read as a field into <paramref name="into"/> (null where the row has none). A JSON column's values are parsed.</summary>
        public unsafe void ReadField(ColumnReader reader, bool json, int n, System.Text.Json.Nodes.JsonNode?[] into)
        {
            switch (reader)
            {
                case ColumnReader<ByteArray> text:
                    ReadAll(text, _values, n, (first, rows, present) =>
                    {
                        for (int i = first, v = 0; i < first + rows; i++)
                            into[i] = present(i) ? Text(new ReadOnlySpan<byte>((byte*)_values[v].Pointer, _values[v++].Length), json) : null;
                    });
                    break;
                case ColumnReader<long> l64: Typed(l64, x => System.Text.Json.Nodes.JsonValue.Create(x)); break;
                case ColumnReader<int> l32: Typed(l32, x => System.Text.Json.Nodes.JsonValue.Create(x)); break;
                case ColumnReader<double> f64: Typed(f64, x => double.IsFinite(x) ? HfFieldColumns.DoubleNode(x) : null); break;
                case ColumnReader<float> f32: Typed(f32, x => float.IsFinite(x) ? HfFieldColumns.DoubleNode(double.Parse(x.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture)) : null); break;
                case ColumnReader<bool> b: Typed(b, x => System.Text.Json.Nodes.JsonValue.Create(x)); break;
            }

            // A JSON column's values are parsed (our export writes nested values, nulls and mixed kinds so); text that
            // is not JSON stays a string.
            static System.Text.Json.Nodes.JsonNode? Text(ReadOnlySpan<byte> utf8, bool json)
            {
                if (json)
                    try { return System.Text.Json.Nodes.JsonNode.Parse(utf8) ?? JsonNull; }
                    catch (System.Text.Json.JsonException) { }
                return System.Text.Json.Nodes.JsonValue.Create(System.Text.Encoding.UTF8.GetString(utf8));
            }

            void Typed<T>(ColumnReader<T> column, Func<T, System.Text.Json.Nodes.JsonNode?> make) where T : unmanaged
            {
                var values = new T[n];
                ReadAll(column, values, n, (first, rows, present) =>
                {
                    for (int i = first, v = 0; i < first + rows; i++) into[i] = present(i) ? make(values[v++]) : null;
                });
            }
        }

        /// <summary>
        /// Reads <paramref name="n"/> rows of a flat column, a page's worth per call: the values of each call (only
        /// rows that are not null) are valid until the next, so <paramref name="consume"/> takes them at once.
        /// </summary>
        private void ReadAll<T>(ColumnReader<T> reader, T[] values, int n, Action<int, int, Func<int, bool>> consume) where T : unmanaged
        {
            short max = reader.ColumnDescriptor.MaxDefinitionLevel;
            Func<int, bool> present = max == 0 ? _ => true : i => _def[i] == max;
            for (int got = 0; got < n;)
            {
                long levels = reader.ReadBatch(n - got, _def.AsSpan(got), _rep.AsSpan(got), values, out _);
                if (levels <= 0) throw new InvalidDataException($"column '{reader.ColumnDescriptor.Path.ToDotString()}' ended after {got} of {n} rows.");
                consume(got, (int)levels, present);
                got += (int)levels;
            }
        }
    }
}
