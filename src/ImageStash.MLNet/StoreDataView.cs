using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageStash.MLNet;

/// <summary>
/// A store (or shard set) as an ML.NET <see cref="IDataView"/>, one row per image, streamed: cursors read the store
/// row by row into one reused buffer and never load the dataset.
/// </summary>
/// <remarks>
/// <para>Columns:</para>
/// <list type="bullet">
/// <item><c>Id</c> (Int64): the image's id.</item>
/// <item><c>Label</c>: a key (UInt32, 1-based, 0 = missing) whose key values are the store's class names, when it
/// has them; else the plain Int32 label (map it with <c>MapValueToKey</c>).</item>
/// <item><c>Name</c> (Text): the name the image was imported under, or empty.</item>
/// <item><c>Text</c> (Text): the record's <c>text</c> field (a caption: Hugging Face's and WebDataset's name for
/// it) when it is a string, else empty; ready for <c>FeaturizeText</c>.</item>
/// <item><c>Fields</c> (Text): all the record's fields as one compact JSON object (<see cref="RecordFields"/>), or
/// empty when it has none.</item>
/// <item><c>ImageBytes</c> (variable vector of Byte): the stored payload, an encoded file's bytes as ML.NET's image
/// APIs take them (raw images: their HWC pixels).</item>
/// <item><c>Pixels</c> (vector of Single, H×W×C, values 0–255, HWC order): only for stores of raw images of one
/// shape, such as CIFAR.</item>
/// </list>
/// <para>Rows come in the store's read order (ids ascending; a shard set's shard order). A cursor asked for with a
/// random source visits a permutation of it; <see cref="GetRowCursorSet"/> splits the rows into interleaved runs
/// of 256 for parallel cursors.</para>
/// </remarks>
public sealed class StoreDataView : IDataView
{
    internal const int Run = 256;
    private readonly long[] _ids;
    private readonly int _classes;

    /// <summary>A view of <paramref name="store"/>, which must stay open while the view is used.</summary>
    public StoreDataView(IImageStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        _ids = [.. StreamingStores.ReadOrder(store)];
        _classes = store.ClassNames.Count;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Id", NumberDataViewType.Int64);
        if (_classes > 0)
        {
            var names = new VBuffer<ReadOnlyMemory<char>>(_classes, [.. store.ClassNames.Select(n => n.AsMemory())]);
            var annotations = new DataViewSchema.Annotations.Builder();
            // "KeyValues": the annotation ML.NET reads a key's names from (MapKeyToValue, evaluation, the trainers).
            annotations.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, _classes), (ref VBuffer<ReadOnlyMemory<char>> v) => names.CopyTo(ref v));
            builder.AddColumn("Label", new KeyDataViewType(typeof(uint), _classes), annotations.ToAnnotations());
        }
        else builder.AddColumn("Label", NumberDataViewType.Int32);
        builder.AddColumn("Name", TextDataViewType.Instance);
        builder.AddColumn("Text", TextDataViewType.Instance);
        builder.AddColumn("Fields", TextDataViewType.Instance);
        builder.AddColumn("ImageBytes", new VectorDataViewType(NumberDataViewType.Byte));
        if (PixelShape(store, _ids) is { } shape) builder.AddColumn("Pixels", new VectorDataViewType(NumberDataViewType.Single, shape.Length));
        Schema = builder.ToSchema();
    }

    /// <summary>The store the rows come from.</summary>
    public IImageStore Store { get; }

    /// <inheritdoc />
    public bool CanShuffle => true;

    /// <inheritdoc />
    public DataViewSchema Schema { get; }

    /// <inheritdoc />
    public long? GetRowCount() => _ids.Length;

    /// <inheritdoc />
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new StoreCursor(this, Order(rand), columnsNeeded, part: 0, parts: 1);

    /// <inheritdoc />
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var order = Order(rand);
        var columns = columnsNeeded.ToList();
        int parts = Math.Clamp(n, 1, Math.Max(1, (_ids.Length + Run - 1) / Run));
        return [.. Enumerable.Range(0, parts).Select(k => (DataViewRowCursor)new StoreCursor(this, order, columns, k, parts))];
    }

    internal int Classes => _classes;

    /// <summary>
    /// The one shape of every image when all are raw pixels of one shape: the store's own fixed shape, else found
    /// by reading every header (stores such as LMDB allow any mix; their headers are cheap). Null otherwise.
    /// </summary>
    private static ImageShape? PixelShape(IImageStore store, long[] ids)
    {
        if (store.FixedShape is { } fixedShape) return fixedShape;
        if (store is IStreamingStore || ids.Length == 0) return null; // a shard set says so in its index, or it is mixed
        ImageShape? shape = null;
        foreach (long id in ids)
        {
            if (!store.TryGetHeader(id, out var header) || !header.IsRaw || (shape is { } s && s != header.Shape)) return null;
            shape = header.Shape;
        }
        return shape;
    }

    private long[] Order(Random? rand)
    {
        if (rand is null) return _ids;
        var order = (long[])_ids.Clone();
        rand.Shuffle(order);
        return order;
    }
}
