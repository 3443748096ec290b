using System.Text.Json;
using ImageStash.Parquet.Internal;
using ParquetSharp;
using ParquetSharp.Schema;

namespace ImageStash.Parquet;

/// <summary>
/// Writes one Parquet file that Hugging Face <c>datasets</c> loads as an image dataset: an <c>image</c> struct
/// {<c>bytes</c>, <c>path</c>}, an int64 <c>label</c>, a column per field, and the features (Image, ClassLabel with its names) in the
/// <c>huggingface</c> key of the schema metadata; a row group every <see cref="RowGroupRows"/> rows, as the Hub's own
/// files have for images.
/// </summary>
public sealed class HfParquetWriter : IDisposable
{
    private readonly ParquetFileWriter _file;
    private readonly List<(byte[] Bytes, string? Path, int Label, RecordFields? Fields)> _pending = [];
    private readonly IReadOnlyList<HfFieldColumn> _fields;
    private bool _closed;

    /// <summary>Creates (or replaces) <paramref name="path"/>, with no columns but the image and the label.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="classNames">The ClassLabel names; empty to write <c>label</c> as a plain int64 value.</param>
    /// <param name="rowGroupRows">Rows per row group (the default 100 is what the Hub writes for images).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rowGroupRows"/> is below 1.</exception>
    /// <exception cref="IOException">The file cannot be created.</exception>
    public HfParquetWriter(string path, IReadOnlyList<string> classNames, int rowGroupRows = 100)
        : this(path, classNames, rowGroupRows, [])
    {
    }

    /// <summary>Creates (or replaces) <paramref name="path"/> with a column for each of <paramref name="fields"/>.</summary>
    internal HfParquetWriter(string path, IReadOnlyList<string> classNames, int rowGroupRows, IReadOnlyList<HfFieldColumn> fields)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        Path = path;
        RowGroupRows = rowGroupRows;
        _fields = fields;
        using var bytes = new PrimitiveNode("bytes", Repetition.Optional, LogicalType.None(), PhysicalType.ByteArray);
        using var imagePath = new PrimitiveNode("path", Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray);
        using var image = new GroupNode("image", Repetition.Optional, [bytes, imagePath]);
        using var label = new PrimitiveNode("label", Repetition.Optional, LogicalType.None(), PhysicalType.Int64);
        var fieldNodes = fields.Select(f => f.Kind switch
        {
            HfFieldKind.String => new PrimitiveNode(f.Column, Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray),
            HfFieldKind.Json => new PrimitiveNode(f.Column, Repetition.Optional, LogicalType.Json(), PhysicalType.ByteArray),
            HfFieldKind.Int64 => new PrimitiveNode(f.Column, Repetition.Optional, LogicalType.None(), PhysicalType.Int64),
            HfFieldKind.Double => new PrimitiveNode(f.Column, Repetition.Optional, LogicalType.None(), PhysicalType.Double),
            _ => new PrimitiveNode(f.Column, Repetition.Optional, LogicalType.None(), PhysicalType.Boolean),
        }).ToArray();
        try
        {
            using var schema = new GroupNode("schema", Repetition.Required, [image, label, .. fieldNodes]);
            // Image bytes are already compressed: Snappy would spend time for nothing on them (the Hub's files use it
            // for the small columns; so do we, per column).
            using var properties = new WriterPropertiesBuilder()
                .Compression(Compression.Snappy)
                .Compression("image.bytes", Compression.Uncompressed)
                .DisableDictionary("image.bytes")
                .Build();
            var metadata = new Dictionary<string, string> { [HfFeatures.MetadataKey] = HfFeatures.Write("image", "label", classNames, fields) };
            try { _file = new ParquetFileWriter(path, schema, properties, metadata); }
            catch (ParquetException e) { throw new IOException($"cannot create '{path}': {e.Message.Split('\n')[0]}", e); }
        }
        finally
        {
            foreach (var node in fieldNodes) node.Dispose();
        }
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Rows per row group.</summary>
    public int RowGroupRows { get; }

    /// <summary>The rows written so far (including those waiting for their row group).</summary>
    public long Rows { get; private set; }

    /// <summary>The image bytes written so far: what the file's size is close to.</summary>
    public long ImageBytes { get; private set; }

    /// <summary>
    /// Adds a row: the image file's bytes as they are, its path (a file name), its label (-1 for none) and its fields
    /// (each goes in its column; a field the writer has no column for is refused).
    /// </summary>
    /// <exception cref="ArgumentException">The image bytes are empty, or a field has no column.</exception>
    /// <exception cref="ObjectDisposedException">The writer is closed.</exception>
    public void Write(ReadOnlySpan<byte> image, string? path, int label, RecordFields? fields = null)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (image.IsEmpty) throw new ArgumentException("An image row needs the image's bytes.", nameof(image));
        if (fields is not null && fields.Names.FirstOrDefault(n => !_fields.Any(f => f.Field == n)) is { } missing)
            throw new ArgumentException($"'{Path}' has no column for the field '{missing}'; its field columns are: {string.Join(", ", _fields.Select(f => f.Field))}.", nameof(fields));
        _pending.Add((image.ToArray(), path, label, fields));
        Rows++;
        ImageBytes += image.Length;
        if (_pending.Count == RowGroupRows) Flush();
    }

    private unsafe void Flush()
    {
        if (_pending.Count == 0) return;
        int n = _pending.Count;
        var handles = new List<System.Runtime.InteropServices.GCHandle>(n * 2);
        try
        {
            var defs = new short[n];
            var bytes = new ByteArray[n];
            var paths = new ByteArray[n];
            var pathDefs = new short[n];
            int withPath = 0;
            for (int i = 0; i < n; i++)
            {
                var (image, path, _, _) = _pending[i];
                bytes[i] = Pin(image, handles);
                defs[i] = 2;
                if (path is null) { pathDefs[i] = 1; continue; }
                pathDefs[i] = 2;
                paths[withPath++] = Pin(System.Text.Encoding.UTF8.GetBytes(path), handles);
            }
            var labels = _pending.Select(p => (long)p.Label).ToArray();
            var labelDefs = new short[n];
            labelDefs.AsSpan().Fill(1);
            using var group = _file.AppendRowGroup();
            using (var w = (ColumnWriter<ByteArray>)group.NextColumn()) w.WriteBatch(n, defs, null, bytes);
            using (var w = (ColumnWriter<ByteArray>)group.NextColumn()) w.WriteBatch(n, pathDefs, null, paths.AsSpan(0, withPath));
            using (var w = (ColumnWriter<long>)group.NextColumn()) w.WriteBatch(n, labelDefs, null, labels);
            if (_fields.Count > 0) WriteFields(group, handles);
        }
        finally
        {
            foreach (var h in handles) h.Free();
            _pending.Clear();
        }
    }

    /// <summary>Writes the pending rows' fields, a column each (null where a row has no such field).</summary>
    private void WriteFields(RowGroupWriter group, List<System.Runtime.InteropServices.GCHandle> handles)
    {
        int n = _pending.Count;
        var docs = _pending.Select(p => p.Fields is null ? null : JsonDocument.Parse(p.Fields.Utf8)).ToArray();
        try
        {
            foreach (var field in _fields)
            {
                var defs = new short[n];
                var values = new JsonElement[n];
                int count = 0;
                for (int i = 0; i < n; i++)
                    if (docs[i] is { } doc && doc.RootElement.TryGetProperty(field.Field, out var value))
                    {
                        defs[i] = 1;
                        values[count++] = value;
                    }
                var present = values.AsSpan(0, count);
                using var column = group.NextColumn();
                switch (field.Kind)
                {
                    case HfFieldKind.String or HfFieldKind.Json:
                        var text = new ByteArray[count];
                        for (int i = 0; i < count; i++)
                            text[i] = Pin(System.Text.Encoding.UTF8.GetBytes(field.Kind == HfFieldKind.String ? present[i].GetString()! : present[i].GetRawText()), handles);
                        ((ColumnWriter<ByteArray>)column).WriteBatch(n, defs, null, text);
                        break;
                    case HfFieldKind.Int64:
                        ((ColumnWriter<long>)column).WriteBatch(n, defs, null, [.. present.ToArray().Select(v => v.GetInt64())]);
                        break;
                    case HfFieldKind.Double:
                        ((ColumnWriter<double>)column).WriteBatch(n, defs, null, [.. present.ToArray().Select(v => v.GetDouble())]);
                        break;
                    default:
                        ((ColumnWriter<bool>)column).WriteBatch(n, defs, null, [.. present.ToArray().Select(v => v.GetBoolean())]);
                        break;
                }
            }
        }
        finally
        {
            foreach (var doc in docs) doc?.Dispose();
        }
    }

    private static ByteArray Pin(byte[] data, List<System.Runtime.InteropServices.GCHandle> handles)
    {
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(data, System.Runtime.InteropServices.GCHandleType.Pinned);
        handles.Add(handle);
        return new ByteArray(handle.AddrOfPinnedObject(), data.Length);
    }

    /// <summary>Writes the last row group and the footer, and closes the file.</summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        try
        {
            Flush();
            _file.Close();
        }
        finally { _file.Dispose(); }
    }
}
