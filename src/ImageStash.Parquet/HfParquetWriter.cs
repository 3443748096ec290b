using ImageStash.Parquet.Internal;
using ParquetSharp;
using ParquetSharp.Schema;

namespace ImageStash.Parquet;

/// <summary>
/// Writes one Parquet file that Hugging Face <c>datasets</c> loads as an image dataset: an <c>image</c> struct
/// {<c>bytes</c>, <c>path</c>}, an int64 <c>label</c>, and the features (Image, ClassLabel with its names) in the
/// <c>huggingface</c> key of the schema metadata; a row group every <see cref="RowGroupRows"/> rows, as the Hub's own
/// files have for images.
/// </summary>
public sealed class HfParquetWriter : IDisposable
{
    private readonly ParquetFileWriter _file;
    private readonly List<(byte[] Bytes, string? Path, int Label)> _pending = [];
    private bool _closed;

    /// <summary>Creates (or replaces) <paramref name="path"/>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="classNames">The ClassLabel names; empty to write <c>label</c> as a plain int64 value.</param>
    /// <param name="rowGroupRows">Rows per row group (the default 100 is what the Hub writes for images).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rowGroupRows"/> is below 1.</exception>
    /// <exception cref="IOException">The file cannot be created.</exception>
    public HfParquetWriter(string path, IReadOnlyList<string> classNames, int rowGroupRows = 100)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        Path = path;
        RowGroupRows = rowGroupRows;
        using var bytes = new PrimitiveNode("bytes", Repetition.Optional, LogicalType.None(), PhysicalType.ByteArray);
        using var imagePath = new PrimitiveNode("path", Repetition.Optional, LogicalType.String(), PhysicalType.ByteArray);
        using var image = new GroupNode("image", Repetition.Optional, [bytes, imagePath]);
        using var label = new PrimitiveNode("label", Repetition.Optional, LogicalType.None(), PhysicalType.Int64);
        using var schema = new GroupNode("schema", Repetition.Required, [image, label]);
        // Image bytes are already compressed: Snappy would spend time for nothing on them (the Hub's files use it
        // for the small columns; so do we, per column).
        using var properties = new WriterPropertiesBuilder()
            .Compression(Compression.Snappy)
            .Compression("image.bytes", Compression.Uncompressed)
            .DisableDictionary("image.bytes")
            .Build();
        var metadata = new Dictionary<string, string> { [HfFeatures.MetadataKey] = HfFeatures.Write("image", "label", classNames) };
        try { _file = new ParquetFileWriter(path, schema, properties, metadata); }
        catch (ParquetException e) { throw new IOException($"cannot create '{path}': {e.Message.Split('\n')[0]}", e); }
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Rows per row group.</summary>
    public int RowGroupRows { get; }

    /// <summary>The rows written so far (including those waiting for their row group).</summary>
    public long Rows { get; private set; }

    /// <summary>The image bytes written so far: what the file's size is close to.</summary>
    public long ImageBytes { get; private set; }

    /// <summary>Adds a row: the image file's bytes as they are, its path (a file name), and its label (-1 for none).</summary>
    /// <exception cref="ArgumentException">The image bytes are empty.</exception>
    /// <exception cref="ObjectDisposedException">The writer is closed.</exception>
    public void Write(ReadOnlySpan<byte> image, string? path, int label)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (image.IsEmpty) throw new ArgumentException("An image row needs the image's bytes.", nameof(image));
        _pending.Add((image.ToArray(), path, label));
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
                var (image, path, _) = _pending[i];
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
        }
        finally
        {
            foreach (var h in handles) h.Free();
            _pending.Clear();
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
