using ImageStash.Codecs;
namespace ImageStash.Hdf5.Internal;

/// <summary>
/// The ragged layout's state (docs/formats/hdf5.md): every payload back to back in <c>/payload</c>, and per row its
/// span there (<c>/payload_spans</c>), its shape (<c>/shapes</c>) and its encoding (<c>/encodings</c>) — in the file
/// (dataset handles) and in memory (one entry per committed row), so a header is known without touching the file.
/// </summary>
internal sealed class RaggedRows
{
    public const int PayloadChunkBytes = 1 << 20;

    public long Payload = -1, Spans = -1, Shapes = -1, Encodings = -1;

    /// <summary>Bytes of /payload in use (its extent).</summary>
    public long PayloadUsed;

    public readonly List<(long Offset, long Length)> SpanOf = [];
    public readonly List<ImageShape> ShapeOf = [];
    public readonly List<ImageEncoding> EncodingOf = [];

    public IEnumerable<long> Datasets => [Payload, Spans, Shapes, Encodings];

    public void CloseDatasets()
    {
        foreach (long set in Datasets) if (set >= 0) H5.Dclose(set);
        Payload = Spans = Shapes = Encodings = -1;
    }

    public void Add(long offset, long length, ImageShape shape, ImageEncoding encoding)
    {
        SpanOf.Add((offset, length));
        ShapeOf.Add(shape);
        EncodingOf.Add(encoding);
    }

    public void Replace(int row, long offset, long length, ImageShape shape, ImageEncoding encoding)
    {
        SpanOf[row] = (offset, length);
        ShapeOf[row] = shape;
        EncodingOf[row] = encoding;
    }
}
