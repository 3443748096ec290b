using Microsoft.ML;
using Microsoft.ML.Data;

namespace ImageStash.MLNet;

/// <summary>
/// Rows of a <see cref="StoreDataView"/>: runs of <see cref="StoreDataView.Run"/> rows number part, part + parts, …
/// of the order (one cursor: all of them). Each row's record is read when the row is reached, into one buffer the
/// cursor reuses, and only when an active column needs it.
/// </summary>
internal sealed class StoreCursor : DataViewRowCursor
{
    private readonly StoreDataView _view;
    private readonly long[] _order;
    private readonly bool[] _active;
    private readonly int _part, _parts;
    private readonly bool _needsHeader, _needsPayload, _needsName;
    private readonly bool _needsFields;
    private long _run = -1, _index = -1; // the current run, and the row's place in _order
    private int _inRun;
    private long _position = -1;
    private bool _done;
    private byte[] _payload = new byte[64 * 1024];
    private ImageHeader _header;

    public StoreCursor(StoreDataView view, long[] order, IEnumerable<DataViewSchema.Column> columns, int part, int parts)
    {
        _view = view;
        _order = order;
        _part = part;
        _parts = parts;
        _active = new bool[view.Schema.Count];
        foreach (var column in columns) _active[column.Index] = true;
        bool Active(string name) => view.Schema.GetColumnOrNull(name) is { } c && _active[c.Index];
        _needsPayload = Active("ImageBytes") || Active("Pixels");
        _needsFields = Active("Text") || Active("Fields");
        // Name and fields come from the header itself: TryReadPayload leaves them out.
        _needsName = Active("Name") || _needsFields;
        _needsHeader = _needsPayload || Active("Label") || _needsName;
    }

    public override DataViewSchema Schema => _view.Schema;

    public override long Position => _position;

    /// <summary>The run the current row belongs to (runs of one cursor set are numbered across all its cursors).</summary>
    public override long Batch => Math.Max(0, _run);

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override bool MoveNext()
    {
        if (_done) return false;
        if (_run < 0) (_run, _inRun) = (_part, 0);
        else if (++_inRun == StoreDataView.Run) (_run, _inRun) = (_run + _parts, 0);
        _index = _run * StoreDataView.Run + _inRun;
        if (_index >= _order.Length)
        {
            _done = true;
            return false;
        }
        _position++;
        long id = _order[_index];
        if (_needsPayload)
        {
            // One lookup for the payload and its header together (the loader's path), growing the buffer if asked.
            while (!_view.Store.TryReadPayload(id, _payload, out _header))
                _payload = new byte[Math.Max(_header.PayloadLength, _payload.Length * 2L)];
        }
        // TryReadPayload's header may leave the name out (shard sets do): the name comes from the header itself.
        if ((_needsName || _needsHeader && !_needsPayload) && !_view.Store.TryGetHeader(id, out _header))
            throw ImageStashException.MissingId(_view.Store.Path, id);
        if (!_needsHeader) _header = new ImageHeader(id, default, 0);
        return true;
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index]) throw new InvalidOperationException($"column '{column.Name}' was not asked for when the cursor was made");
        Delegate getter = column.Name switch
        {
            "Id" => (ValueGetter<long>)((ref long v) => v = _order[_index]),
            "Label" when _view.Classes > 0 => (ValueGetter<uint>)((ref uint v) => v = _header.Label >= 0 && _header.Label < _view.Classes ? (uint)_header.Label + 1 : 0),
            "Label" => (ValueGetter<int>)((ref int v) => v = _header.Label),
            "Name" => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = (_header.Name ?? "").AsMemory()),
            "Text" => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = (_header.Fields?.GetString("text") ?? "").AsMemory()),
            "Fields" => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = (_header.Fields?.Json ?? "").AsMemory()),
            "ImageBytes" => (ValueGetter<VBuffer<byte>>)((ref VBuffer<byte> v) =>
            {
                int length = (int)_header.PayloadLength;
                var editor = VBufferEditor.Create(ref v, length);
                _payload.AsSpan(0, length).CopyTo(editor.Values);
                v = editor.Commit();
            }),
            "Pixels" => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
            {
                int length = (int)_header.PayloadLength;
                var editor = VBufferEditor.Create(ref v, length);
                var values = editor.Values;
                for (int i = 0; i < length; i++) values[i] = _payload[i];
                v = editor.Commit();
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(column), column.Name, "not a column of this view"),
        };
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}");
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() =>
        (ref DataViewRowId v) => v = new DataViewRowId((ulong)_index, 0);
}
