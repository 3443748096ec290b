using System.Buffers;
using System.IO.Hashing;
using ImageStash.Codecs;
using ImageStash.Hdf5.Internal;
using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5;

/// <summary>
/// Writing: one journal commit per batch. The article's layout writes pixels straight into early-allocated chunks
/// while a helper thread writes the rows; the ragged layout appends payloads to /payload through libhdf5.
/// </summary>
public sealed partial class Hdf5Store
{
    private unsafe void WriteBatch(ImageBatch batch, IReadOnlySet<long> replaced, ImageShape shape)
    {
        int oldCount = _ids.Count;
        var fresh = replaced.Count == 0 ? Enumerable.Range(0, batch.Count).ToArray() : Enumerable.Range(0, batch.Count).Where(i => !replaced.Contains(batch[i].Id)).ToArray();
        // (index in the batch, row in the store) of each image that replaces a committed one
        var replacements = replaced.Count == 0 ? [] : Enumerable.Range(0, batch.Count).Where(i => replaced.Contains(batch[i].Id))
            .Select(i => (Index: i, Row: TryRow(batch[i].Id, out int row) ? row : -1)).ToArray();
        int newCount = oldCount + fresh.Length;
        var helper = new BatchHelper(batch); // the CRCs start on the other core now
        (int[] Labels, long[] Ids, uint[] Crcs)? written = null;
        bool flushed = false; // the rows' flush has happened and nothing was written since
        try
        {
            Commit(() =>
            {
                if (_images < 0) CreateFixed(shape);
                else AddMissingCompanions();
                if (fresh.Length > 0) written = AppendRows(batch, fresh, oldCount, newCount, shape, helper, out flushed);
                helper.FinishCrcs();
                foreach (var (i, row) in replacements)
                {
                    WriteReplacedPixels(row, batch.GetPixels(i));
                    int label = batch[i].Label;
                    uint crc = helper.Crcs[i];
                    H5Util.Rows(_meta, H5.NATIVE_INT32, (ulong)row, 1, &label, write: true, Path);
                    H5Util.Rows(_crcSet, H5.NATIVE_UINT32, (ulong)row, 1, &crc, write: true, Path);
                    WriteNames((ulong)row, [batch[i].Name]);
                    WriteFields(row, [batch[i].Fields]);
                }
                // The rows reach the file first, then the count that makes them visible, so that a reader opening
                // the file meanwhile never counts rows whose pixels are still on their way.
                if (!flushed || replacements.Length > 0) H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", Path);
                H5Util.WriteInt64Attribute(_root, "count", newCount, Path);
            });
        }
        finally { helper.Join(); } // after a failure before the rows were offered, the helper may still be at its CRCs
        foreach (var (i, row) in replacements)
        {
            _labels[row] = batch[i].Label;
            _crcs![row] = helper.Crcs[i];
        }
        if (written is { } rows)
        {
            _ids.AddRange(rows.Ids);
            _labels.AddRange(rows.Labels);
            _crcs!.AddRange(rows.Crcs);
        }
        UpdateRowIndex(oldCount);
        _mapStale = _map is null || _map.Rows < _ids.Count; // addresses of chunks written through libhdf5 are looked up at the next read
    }

    /// <summary>
    /// Grows the datasets and writes the fresh rows, using both cores: when the new chunks are allocated by the extent
    /// (stores made since early allocation), this thread writes the pixels straight into them with plain writes
    /// while the helper, its CRCs done, writes the rows through libhdf5 — whichever thread is free first writes
    /// the rows and prepares the flush, whose writes wait in memory until the pixels are down. Only one thread calls
    /// libhdf5 at a time (this one holds <see cref="H5.Gate"/> for both, and calls none while the helper may).
    /// Older files go through libhdf5 for the pixels too. The helper has finished when this returns or throws.
    /// </summary>
    private unsafe (int[] Labels, long[] Ids, uint[] Crcs) AppendRows(ImageBatch batch, int[] fresh, int oldCount, int newCount, ImageShape shape, BatchHelper helper, out bool flushed)
    {
        flushed = false;
        if (!H5Util.Extendible(_images, Path))
            throw new ImageStashException($"store '{Path}': /images was written with a fixed size ({oldCount} images, as h5py does by default), so it cannot grow; copy it into an appendable store with 'imagestash convert {Path} NEW.h5' and append there.");
        foreach (long set in new[] { _images, _meta, _idsSet, _crcSet, _nameSpans }) H5Util.Extend(set, (ulong)newCount, Path);
        if (fresh.Any(i => batch[i].Fields is not null)) EnsureFieldSets();
        ExtendFieldSpans(newCount);
        int size = shape.Length;
        var direct = _journal is not null ? PixelMap.Build(_images, size, newCount, Path, _map) : null;
        if (direct is null)
        {
            WithFreshPixels(batch, fresh, size, pixels =>
            {
                fixed (byte* p = pixels) WritePixelRows((ulong)oldCount, (ulong)fresh.Length, p, size);
            });
            return WriteRows(batch, fresh, oldCount, helper, flush: false);
        }

        _map = direct;
        var ranges = new List<(long Offset, long FirstRow, long Rows)>();
        foreach (var range in direct.Ranges(oldCount, fresh.Length)) ranges.Add(range);
        long end = ranges.Max(r => r.Offset + (long)r.Rows * size);
        _journal!.PrepareFresh(ranges.Min(r => r.Offset), end);
        _journal.Defer();
        (int[] Labels, long[] Ids, uint[] Crcs)? written = null;
        helper.Offer(() => written = WriteRows(batch, fresh, oldCount, helper, flush: true));
        Exception? failed = null;
        try
        {
            WithFreshPixels(batch, fresh, size, pixels =>
            {
                foreach (var (offset, first, count) in ranges)
                    _journal.WriteFresh(offset, pixels.Slice((int)(first - oldCount) * size, (int)count * size));
            });
            helper.RunOfferedUnlessTaken();
        }
        catch (Exception e) { failed = e; }
        try { helper.Wait(); }
        catch (Exception e) { failed ??= e; }
        if (failed is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
        _journal.NoteFresh(end);
        _journal.ApplyDeferred();
        flushed = true;
        return written!.Value;
    }

    /// <summary>
    /// Writes the labels, ids, names and CRCs of the fresh rows into libhdf5's chunk cache (the CRCs once all are
    /// computed, some perhaps by another thread), and with <paramref name="flush"/> flushes them; otherwise the
    /// commit's flush writes them out. Returns the labels, ids and CRCs for the in-memory index. Runs under the
    /// caller's <see cref="H5.Gate"/>.
    /// </summary>
    private unsafe (int[] Labels, long[] Ids, uint[] Crcs) WriteRows(ImageBatch batch, int[] fresh, int oldCount, BatchHelper helper, bool flush)
    {
        var labels = new int[fresh.Length];
        var ids = new long[fresh.Length];
        bool named = false;
        for (int k = 0; k < fresh.Length; k++)
        {
            var header = batch[fresh[k]];
            labels[k] = header.Label;
            ids[k] = header.Id;
            named |= header.Name is not null;
        }
        fixed (int* l = labels) H5Util.Rows(_meta, H5.NATIVE_INT32, (ulong)oldCount, (ulong)fresh.Length, l, write: true, Path);
        fixed (long* d = ids) H5Util.Rows(_idsSet, H5.NATIVE_INT64, (ulong)oldCount, (ulong)fresh.Length, d, write: true, Path);
        // Rows never written read back as (0, 0): no name. A batch without names writes nothing here.
        if (named) WriteNames((ulong)oldCount, [.. fresh.Select(i => batch[i].Name)]);
        if (_fieldSpans >= 0 && fresh.Any(i => batch[i].Fields is not null)) WriteFields(oldCount, [.. fresh.Select(i => batch[i].Fields)]);
        helper.FinishCrcs();
        var freshCrcs = fresh.Length == helper.Crcs.Length ? helper.Crcs : fresh.Select(i => helper.Crcs[i]).ToArray();
        fixed (uint* c = freshCrcs) H5Util.Rows(_crcSet, H5.NATIVE_UINT32, (ulong)oldCount, (ulong)fresh.Length, c, write: true, Path);
        if (flush) H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", Path);
        return (labels, ids, freshCrcs);
    }

    /// <summary>Hands <paramref name="write"/> the fresh images' pixels back to back (gathered when some were replacements).</summary>
    private static void WithFreshPixels(ImageBatch batch, int[] fresh, int size, PixelsAction write)
    {
        if (fresh.Length == batch.Count)
        {
            write(batch.Payloads);
            return;
        }
        byte[] gathered = ArrayPool<byte>.Shared.Rent(fresh.Length * size);
        try
        {
            for (int k = 0; k < fresh.Length; k++) batch.GetPixels(fresh[k]).CopyTo(gathered.AsSpan(k * size));
            write(gathered.AsSpan(0, fresh.Length * size));
        }
        finally { ArrayPool<byte>.Shared.Return(gathered); }
    }

    private delegate void PixelsAction(ReadOnlySpan<byte> pixels);

    /// <summary>Replaces one committed row's pixels: through the journal when they are written directly, else libhdf5.</summary>
    private unsafe void WriteReplacedPixels(int row, ReadOnlySpan<byte> pixels)
    {
        if (_journal is not null && CurrentMap() is { } map)
        {
            foreach (var (offset, _, _) in map.Ranges(row, 1)) _journal.Write(offset, pixels);
            return;
        }
        fixed (byte* p = pixels) H5Util.Rows(_images, H5.NATIVE_UINT8, (ulong)row, 1, p, write: true, Path);
    }

    /// <summary>
    /// Writes a batch in the ragged layout in one commit: the payloads appended to /payload in batch order, then each
    /// row's span, shape, encoding, label, id, CRC and name — a replaced id's row pointed at its new payload (the old
    /// bytes stay, unreferenced). Caller holds the write gate and <see cref="H5.Gate"/>.
    /// </summary>
    private unsafe void WriteRagged(ImageBatch batch, IReadOnlySet<long> replaced)
    {
        var crcs = new uint[batch.Count];
        ParallelWork.For(batch.Count, i => crcs[i] = Crc32.HashToUInt32(batch.GetPayload(i)), parallel: batch.Count >= 64);
        int oldCount = _ids.Count;
        var fresh = Enumerable.Range(0, batch.Count).Where(i => !replaced.Contains(batch[i].Id)).ToArray();
        var replacements = Enumerable.Range(0, batch.Count).Where(i => replaced.Contains(batch[i].Id))
            .Select(i => (Index: i, Row: TryRow(batch[i].Id, out int row) ? row : -1)).ToArray();
        int newCount = oldCount + fresh.Length;
        long start = _ragged?.PayloadUsed ?? 0;
        var offsets = new long[batch.Count];
        for (int i = 0, at = 0; i < batch.Count; at += (int)batch[i].PayloadLength, i++) offsets[i] = start + at;
        long total = batch.Payloads.Length;
        Commit(() =>
        {
            if (_ragged is null) CreateRagged();
            else AddMissingCompanions();
            var r = _ragged!;
            H5Util.Extend(r.Payload, (ulong)(start + total), Path);
            fixed (byte* bytes = batch.Payloads) H5Util.Rows(r.Payload, H5.NATIVE_UINT8, (ulong)start, (ulong)total, bytes, write: true, Path);
            foreach (long set in new[] { r.Spans, r.Shapes, r.Encodings, _meta, _idsSet, _crcSet, _nameSpans }) H5Util.Extend(set, (ulong)newCount, Path);
            bool withFields = false;
            for (int i = 0; i < batch.Count && !withFields; i++) withFields = batch[i].Fields is not null;
            if (withFields) EnsureFieldSets();
            ExtendFieldSpans(newCount);
            WriteRaggedRows(batch, fresh, oldCount, offsets, crcs);
            foreach (var (i, row) in replacements) WriteRaggedRows(batch, [i], row, offsets, crcs);
            H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", Path);
            H5Util.WriteInt64Attribute(_root, "count", newCount, Path);
        });
        var rows = _ragged!;
        rows.PayloadUsed = start + total;
        _crcs ??= [];
        foreach (int i in fresh)
        {
            var h = batch[i];
            rows.Add(offsets[i], h.PayloadLength, h.Shape, h.Encoding);
            _ids.Add(h.Id);
            _labels.Add(h.Label);
            _crcs.Add(crcs[i]);
        }
        foreach (var (i, row) in replacements)
        {
            var h = batch[i];
            rows.Replace(row, offsets[i], h.PayloadLength, h.Shape, h.Encoding);
            _labels[row] = h.Label;
            _crcs[row] = crcs[i];
        }
        UpdateRowIndex(oldCount);
        _mapStale = true; // the payload's new chunks are looked up at the next read
    }

    /// <summary>Writes the per-row datasets of the batch images <paramref name="indices"/> into rows [row, …).</summary>
    private unsafe void WriteRaggedRows(ImageBatch batch, int[] indices, int row, long[] offsets, uint[] crcs)
    {
        int n = indices.Length;
        if (n == 0) return;
        var spans = new long[2 * n];
        var shapes = new int[3 * n];
        var encodings = new byte[n];
        var labels = new int[n];
        var ids = new long[n];
        var rowCrcs = new uint[n];
        for (int k = 0; k < n; k++)
        {
            var h = batch[indices[k]];
            (spans[2 * k], spans[2 * k + 1]) = (offsets[indices[k]], h.PayloadLength);
            (shapes[3 * k], shapes[3 * k + 1], shapes[3 * k + 2]) = (h.Shape.Height, h.Shape.Width, h.Shape.Channels);
            encodings[k] = (byte)h.Encoding;
            labels[k] = h.Label;
            ids[k] = h.Id;
            rowCrcs[k] = crcs[indices[k]];
        }
        var r = _ragged!;
        fixed (long* p = spans) H5Util.Rows(r.Spans, H5.NATIVE_INT64, (ulong)row, (ulong)n, p, write: true, Path);
        fixed (int* p = shapes) H5Util.Rows(r.Shapes, H5.NATIVE_INT32, (ulong)row, (ulong)n, p, write: true, Path);
        fixed (byte* p = encodings) H5Util.Rows(r.Encodings, H5.NATIVE_UINT8, (ulong)row, (ulong)n, p, write: true, Path);
        fixed (int* p = labels) H5Util.Rows(_meta, H5.NATIVE_INT32, (ulong)row, (ulong)n, p, write: true, Path);
        fixed (long* p = ids) H5Util.Rows(_idsSet, H5.NATIVE_INT64, (ulong)row, (ulong)n, p, write: true, Path);
        fixed (uint* p = rowCrcs) H5Util.Rows(_crcSet, H5.NATIVE_UINT32, (ulong)row, (ulong)n, p, write: true, Path);
        if (indices.Any(i => batch[i].Name is not null)) WriteNames((ulong)row, [.. indices.Select(i => batch[i].Name)]);
        if (_fieldSpans >= 0) WriteFields(row, [.. indices.Select(i => batch[i].Fields)]);
    }

    /// <summary>
    /// Runs <paramref name="write"/>, flushes and commits. With the journal, a failure puts the file back as it was at
    /// the last commit and reopens it (libhdf5's picture of it is gone); without it the commit is libhdf5's flush.
    /// Caller holds <see cref="H5.Gate"/>.
    /// </summary>
    private void Commit(Action write)
    {
        try
        {
            write();
            H5.Check(H5.Fflush(_file, H5.F_SCOPE_LOCAL), "H5Fflush", Path);
            if (_journal is not null) _journal.Commit();
            else if (_options.SyncWrites)
            {
                using var sync = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
                RandomAccess.FlushToDisk(sync);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ImageStashException)
        {
            var cause = _journal?.Failure ?? e as IOException;
            if (_journal is not null) RollBack();
            if (cause is IOException io) throw StoreChecks.WriteFailed(Path, io);
            if (e is InvalidDataException)
                throw new ImageStashException($"writing to store '{Path}' failed (libhdf5 could not write: {e.Message.Split("; ")[0].Replace($"'{Path}': ", "")}); images committed before this batch are kept — run the import again, or verify the store.", e);
            throw;
        }
    }

    /// <summary>Drops what libhdf5 had not written, puts the file back as it was at the last commit and reopens it.</summary>
    private void RollBack()
    {
        var failed = _journal!;
        failed.Abandon();
        CloseHandles();
        JournaledFile.Recover(Path);
        failed.CloseJournal();
        _journal = null;
        _ids.Clear();
        _labels.Clear();
        _crcs = null;
        _rowOf = null;
        _shape = null;
        _ragged = null;
        _images = -1;
        _map = null;
        _mapStale = false;
        _chunkRows = 0;
        _nameBytesUsed = 0;
        _fieldBytes = _fieldSpans = -1;
        _fieldBytesUsed = _fieldSpanRows = 0;
        OpenFile(create: false);
    }

    /// <summary>
    /// Writes rows [start, start+count): whole chunks that line up with chunk boundaries go straight to the file
    /// (no copy through the chunk cache); the ragged ends go through H5Dwrite.
    /// </summary>
    private unsafe void WritePixelRows(ulong start, ulong count, byte* pixels, int rowBytes)
    {
        ulong per = _chunkRows;
        ulong firstWhole = per == 0 ? ulong.MaxValue : (start + per - 1) / per * per;
        ulong end = start + count;
        if (per == 0 || firstWhole + per > end)
        {
            H5Util.Rows(_images, H5.NATIVE_UINT8, start, count, pixels, write: true, Path);
            return;
        }
        if (firstWhole > start) H5Util.Rows(_images, H5.NATIVE_UINT8, start, firstWhole - start, pixels, write: true, Path);
        ulong row = firstWhole;
        var offset = stackalloc ulong[4];
        for (; row + per <= end; row += per)
        {
            offset[0] = row; offset[1] = offset[2] = offset[3] = 0;
            H5.Check(H5.Dwrite_chunk(_images, H5.P_DEFAULT, 0, offset, (nuint)(per * (ulong)rowBytes), pixels + (row - start) * (ulong)rowBytes), "H5Dwrite_chunk", Path);
        }
        if (row < end) H5Util.Rows(_images, H5.NATIVE_UINT8, row, end - row, pixels + (row - start) * (ulong)rowBytes, write: true, Path);
    }

    /// <summary>Appends the names' UTF-8 bytes to /name_bytes and points rows [row, …) at them in /name_spans.</summary>
    private void WriteNames(ulong row, string?[] names) =>
        WriteSpanned(_nameBytes, _nameSpans, ref _nameBytesUsed, row, [.. names.Select(n => n is null ? null : System.Text.Encoding.UTF8.GetBytes(n))]);

    /// <summary>Appends the fields' JSON to /field_bytes and points rows [row, …) at them in /field_spans (made first if need be).</summary>
    private void WriteFields(long row, RecordFields?[] fields)
    {
        if (_fieldSpans < 0)
        {
            if (fields.All(f => f is null)) return;
            EnsureFieldSets();
        }
        ExtendFieldSpans(row + fields.Length);
        WriteSpanned(_fieldBytes, _fieldSpans, ref _fieldBytesUsed, (ulong)row, [.. fields.Select(f => f?.Utf8.ToArray())]);
    }

    /// <summary>
    /// Makes /field_bytes and /field_spans (spans (0, 0), no fields, for the rows already there) and marks the file
    /// layout_version 2. Caller holds <see cref="H5.Gate"/>.
    /// </summary>
    private void EnsureFieldSets()
    {
        if (_fieldSpans >= 0) return;
        _fieldBytes = H5.Lexists(_file, "field_bytes", H5.P_DEFAULT) > 0 ? OpenDataset("field_bytes", 1)
            : H5Util.CreateExtendible(_file, "field_bytes", H5.STD_U8LE, [], 64 * 1024, Path);
        _fieldBytesUsed = (long)H5Util.Dims(_fieldBytes, Path)[0];
        _fieldSpans = H5.Lexists(_file, "field_spans", H5.P_DEFAULT) > 0 ? OpenDataset("field_spans", 2)
            : H5Util.CreateExtendible(_file, "field_spans", H5.STD_I64LE, [2], MetaChunkRows, Path);
        _fieldSpanRows = (long)H5Util.Dims(_fieldSpans, Path)[0];
        H5Util.WriteInt64Attribute(_root, "layout_version", LayoutVersion, Path);
    }

    /// <summary>Grows /field_spans to <paramref name="rows"/> (new rows read (0, 0): no fields), when the file has it.</summary>
    private void ExtendFieldSpans(long rows)
    {
        if (_fieldSpans < 0 || _fieldSpanRows >= rows) return;
        H5Util.Extend(_fieldSpans, (ulong)rows, Path);
        _fieldSpanRows = rows;
    }

    /// <summary>Appends byte strings to a (bytes, spans) pair and points rows [row, …) at them; null is the span (0, 0).</summary>
    private unsafe void WriteSpanned(long bytesSet, long spansSet, ref long used, ulong row, byte[]?[] items)
    {
        var spans = new long[items.Length * 2];
        var bytes = new List<byte>();
        for (int i = 0; i < items.Length; i++)
        {
            byte[] item = items[i] ?? [];
            spans[2 * i] = item.Length == 0 ? 0 : used + bytes.Count;
            spans[2 * i + 1] = item.Length;
            bytes.AddRange(item);
        }
        if (bytes.Count > 0)
        {
            H5Util.Extend(bytesSet, (ulong)(used + bytes.Count), Path);
            byte[] all = [.. bytes];
            fixed (byte* p = all) H5Util.Rows(bytesSet, H5.NATIVE_UINT8, (ulong)used, (ulong)all.Length, p, write: true, Path);
            used += all.Length;
        }
        fixed (long* p = spans) H5Util.Rows(spansSet, H5.NATIVE_INT64, row, (ulong)items.Length, p, write: true, Path);
    }
}
