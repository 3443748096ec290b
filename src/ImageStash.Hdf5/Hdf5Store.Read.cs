using System.Buffers;
using System.IO.Hashing;
using ImageStash.Hdf5.Internal;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5;

/// <summary>Reading: rows found in memory, pixels and payloads read straight from the file at their chunks' addresses, every one CRC-checked.</summary>
public sealed partial class Hdf5Store
{
    /// <summary>Reads the images into place (consecutive rows with one call), their labels, and checks their CRCs.</summary>
    private void ReadChecked(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels, int size)
    {
        for (int i = 0; i < ids.Length;)
        {
            if (!TryRow(ids[i], out int row)) throw ImageStashException.MissingId(Path, ids[i]);
            int run = 1; // a shuffled request costs one read per image
            while (i + run < ids.Length && TryRow(ids[i + run], out int next) && next == row + run) run++;
            ReadRows(row, run, pixels.Slice(i * size, run * size));
            for (int k = 0; k < run; k++)
            {
                labels[i + k] = _labels[row + k];
                if (_crcs is not null)
                {
                    uint crc = Crc32.HashToUInt32(pixels.Slice((i + k) * size, size));
                    if (crc != _crcs[row + k])
                        throw StoreChecks.Damaged(Path, ids[i + k], $"pixel CRC32 is {crc:x8} but /crc32 says {_crcs[row + k]:x8}");
                }
            }
            i += run;
        }
    }

    /// <summary>Reads row <paramref name="row"/>'s payload (ragged layout) and checks its CRC. Caller holds the read gate.</summary>
    private unsafe void ReadPayloadChecked(int row, long id, Span<byte> destination)
    {
        var r = _ragged!;
        var (offset, length) = r.SpanOf[row];
        var target = destination[..(int)length];
        if (CurrentMap() is { } map) map.Read(Volatile.Read(ref _data) ?? OpenDataHandle(), offset, length, target, Path);
        else
            lock (H5.Gate)
                fixed (byte* p = target) H5Util.Rows(r.Payload, H5.NATIVE_UINT8, (ulong)offset, (ulong)length, p, write: false, Path);
        uint crc = Crc32.HashToUInt32(target);
        if (crc != _crcs![row])
            throw StoreChecks.Damaged(Path, id, $"{(r.EncodingOf[row] == ImageEncoding.Raw ? "pixel" : "payload")} CRC32 is {crc:x8} but /crc32 says {_crcs[row]:x8}");
    }

    /// <summary>A read-many in the ragged layout: raw images of one shape, read one by one. Caller holds the read gate.</summary>
    private void ReadManyRagged(ReadOnlySpan<long> ids, Span<byte> pixels, Span<int> labels)
    {
        var r = _ragged!;
        if (!TryRow(ids[0], out int first)) throw ImageStashException.MissingId(Path, ids[0]);
        var shape = r.ShapeOf[first];
        StoreChecks.CheckReadManyBuffers(ids.Length, shape, pixels, labels);
        int size = shape.Length;
        for (int i = 0; i < ids.Length; i++)
        {
            if (!TryRow(ids[i], out int row)) throw ImageStashException.MissingId(Path, ids[i]);
            StoreChecks.CheckReadManyRecord(Path, shape, Header(row, ids[i], withName: false));
            ReadPayloadChecked(row, ids[i], pixels.Slice(i * size, size));
            labels[i] = _labels[row];
        }
    }

    /// <summary>A row's name, its span checked against /name_bytes before anything is read (the file may be damaged).</summary>
    private string? ReadName(int row) =>
        ReadSpanned(row, _nameSpans, _nameBytes, _nameBytesUsed, "name") is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    /// <summary>A row's fields, checked like a name, then as a JSON object.</summary>
    private RecordFields? ReadFields(int row)
    {
        if (ReadSpanned(row, _fieldSpans, _fieldBytes, _fieldBytesUsed, "field") is not { } bytes) return null;
        return RecordFields.TryFromUtf8(bytes, out var fields, out string? problem) ? fields
            : throw StoreChecks.Damaged(Path, _ids[row], $"its fields in /field_bytes are not {problem}");
    }

    /// <summary>Row <paramref name="row"/>'s bytes in a (bytes, spans) pair, or null when its span is (0, 0).</summary>
    private unsafe byte[]? ReadSpanned(int row, long spansSet, long bytesSet, long used, string what)
    {
        var span = stackalloc long[2];
        H5Util.Rows(spansSet, H5.NATIVE_INT64, (ulong)row, 1, span, write: false, Path);
        long start = span[0], length = span[1];
        if (length == 0) return null;
        if (start < 0 || length < 0 || length > ushort.MaxValue || start + length > used)
            throw StoreChecks.Damaged(Path, _ids[row], $"/{what}_spans gives ({start}, {length}) outside /{what}_bytes");
        var bytes = new byte[length];
        fixed (byte* p = bytes) H5Util.Rows(bytesSet, H5.NATIVE_UINT8, (ulong)start, (ulong)length, p, write: false, Path);
        return bytes;
    }

    private void UpdateRowIndex(int from)
    {
        if (_rowOf is null)
        {
            bool contiguous = true;
            for (int r = Math.Max(from, 1); r < _ids.Count && contiguous; r++) contiguous = _ids[r] == _ids[0] + r;
            if (contiguous) return;
            _rowOf = new Dictionary<long, int>(_ids.Count);
            from = 0;
        }
        for (int r = from; r < _ids.Count; r++) _rowOf[_ids[r]] = r;
    }

    private bool TryRow(long id, out int row)
    {
        if (_rowOf is not null) return _rowOf.TryGetValue(id, out row);
        long r = _ids.Count == 0 ? -1 : id - _ids[0];
        row = (int)r;
        return r >= 0 && r < _ids.Count;
    }

    private unsafe void ReadRows(int row, int count, Span<byte> destination)
    {
        if (CurrentMap() is { } map)
        {
            var data = Volatile.Read(ref _data) ?? OpenDataHandle(); // no closure per read: this is the training loop's path
            map.Read(data, row, count, destination, Path);
            return;
        }
        lock (H5.Gate)
            fixed (byte* p = destination) H5Util.Rows(_images, H5.NATIVE_UINT8, (ulong)row, (ulong)count, p, write: false, Path);
    }

    /// <summary>The handle pixels are read through, opened on first use (by one thread; a loser closes its own).</summary>
    private SafeFileHandle OpenDataHandle()
    {
        var opened = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var existing = Interlocked.CompareExchange(ref _data, opened, null);
        if (existing is null) return opened;
        opened.Dispose();
        return existing;
    }

    /// <summary>The chunk addresses for direct reads, looked up again after a commit added chunks.</summary>
    private PixelMap? CurrentMap()
    {
        if (!_mapStale) return _map;
        lock (H5.Gate)
        {
            if (_mapStale)
            {
                _map = _ragged is { } r
                    ? PixelMap.Build(r.Payload, 1, r.PayloadUsed, Path, _map)
                    : PixelMap.Build(_images, _shape!.Value.Length, _ids.Count, Path, _map);
                _mapStale = false;
            }
        }
        return _map;
    }
}
