using Microsoft.Win32.SafeHandles;

namespace ImageStash.Hdf5.Internal;

/// <summary>
/// Where each row of an uncompressed dataset sits in the file — <c>/images</c> (a row is an image) or the ragged
/// layout's <c>/payload</c> (a row is a byte): one base address (contiguous layout, as h5py writes by default) or
/// one address per chunk (chunked, as ImageStash writes). With it, data is read with plain positioned reads — no
/// libhdf5 call, no global lock, any number of threads.
/// </summary>
internal sealed class PixelMap
{
    private readonly int _rowBytes;
    private readonly long _rowsPerChunk; // 0 for contiguous
    private readonly List<long> _addresses;
    private readonly int _rank; // of the chunked dataset

    private PixelMap(int rowBytes, long rowsPerChunk, List<long> addresses, long rows, int rank = 0)
    {
        Rows = rows;
        _rank = rank;
        _rowBytes = rowBytes;
        _rowsPerChunk = rowsPerChunk;
        _addresses = addresses;
    }

    /// <summary>How many rows the map covers.</summary>
    public long Rows { get; }

    /// <summary>Rows per chunk for a chunked layout, 0 for contiguous.</summary>
    public ulong RowsPerChunk => (ulong)_rowsPerChunk;

    /// <summary>
    /// Maps the first <paramref name="rows"/> rows, reusing <paramref name="previous"/>'s complete chunks; null when
    /// the layout needs libhdf5 to read (filters, chunks not spanning whole images, unallocated storage).
    /// Caller holds <see cref="H5.Gate"/>.
    /// </summary>
    public static unsafe PixelMap? Build(long dataset, int rowBytes, long rows, string path, PixelMap? previous)
    {
        // A chunked map only grows (its layout is fixed at creation): ask for the new chunks alone.
        if (previous is { _rowsPerChunk: > 0 } p && p._rowBytes == rowBytes)
            return Chunks(dataset, rowBytes, rows, p._rowsPerChunk, p._rank, p, path);
        long dcpl = H5.Check(H5.Dget_create_plist(dataset), "H5Dget_create_plist", path);
        try
        {
            if (H5.Pget_nfilters(dcpl) > 0) return null;
            int layout = H5.Pget_layout(dcpl);
            if (layout == H5.D_CONTIGUOUS)
            {
                ulong address = H5.Dget_offset(dataset);
                if (address == H5.HADDR_UNDEF) return rows == 0 ? new PixelMap(rowBytes, 0, [0], 0) : null;
                return new PixelMap(rowBytes, 0, [Checked(address, path)], rows);
            }
            if (layout != H5.D_CHUNKED) return null;
            var dims = H5Util.Dims(dataset, path);
            var chunk = new ulong[dims.Length];
            fixed (ulong* c = chunk) H5.Check(H5.Pget_chunk(dcpl, chunk.Length, c), "H5Pget_chunk", path);
            for (int i = 1; i < dims.Length; i++) if (chunk[i] != dims[i]) return null;
            return Chunks(dataset, rowBytes, rows, (long)chunk[0], dims.Length, null, path);
        }
        finally { H5.Pclose(dcpl); }
    }

    /// <summary>Looks up the chunk addresses <paramref name="previous"/> lacks (its last, partial chunk is asked again).</summary>
    private static unsafe PixelMap? Chunks(long dataset, int rowBytes, long rows, long perChunk, int rank, PixelMap? previous, string path)
    {
        long chunks = (rows + perChunk - 1) / perChunk;
        var addresses = previous is null ? new List<long>((int)chunks) : new List<long>(previous._addresses);
        if (addresses.Count > 0) addresses.RemoveAt(addresses.Count - 1);
        var offset = stackalloc ulong[rank];
        for (int i = 1; i < rank; i++) offset[i] = 0;
        try
        {
            for (long k = addresses.Count; k < chunks; k++)
            {
                offset[0] = (ulong)(k * perChunk);
                uint mask;
                ulong address, size;
                if (H5.Dget_chunk_info_by_coord(dataset, offset, &mask, &address, &size) < 0 || address == H5.HADDR_UNDEF) return null;
                addresses.Add(Checked(address, path));
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null; // libhdf5 older than 1.10.5: read through H5Dread
        }
        return new PixelMap(rowBytes, perChunk, addresses, rows, rank);
    }

    /// <summary>A data address from the file's metadata, refused when no file could hold it (damaged metadata).</summary>
    private static long Checked(ulong address, string path) =>
        address < 1UL << 60 ? (long)address
            : throw new InvalidDataException($"'{path}': a dataset's data address ({address:N0}) lies beyond any file; the file's metadata is damaged. Run 'imagestash verify {path}'.");

    /// <summary>Reads rows [row, row+count) into <paramref name="destination"/>, one positioned read per run of chunks.</summary>
    public void Read(SafeFileHandle file, long row, long count, Span<byte> destination, string path)
    {
        foreach (var (offset, first, rows) in Ranges(row, count))
        {
            var part = destination.Slice((int)((first - row) * _rowBytes), (int)(rows * _rowBytes));
            int done = 0;
            while (done < part.Length)
            {
                int n = RandomAccess.Read(file, part[done..], offset + done);
                if (n == 0) throw new InvalidDataException($"'{path}' ends early: row {first} at byte {offset + done} is past the end of the file; the file is truncated.");
                done += n;
            }
        }
    }

    /// <summary>
    /// The file ranges that hold rows [row, row+count), in row order: one per chunk touched, with chunks that follow
    /// each other in the file merged into one range. Enumerated without allocating (reads of single images go here).
    /// </summary>
    public RangeEnumerator Ranges(long row, long count) => new(this, row, count);

    /// <summary>Where row <paramref name="row"/> sits and how many rows follow it in the same chunk.</summary>
    private (long Offset, long RowsLeftInChunk) Locate(long row)
    {
        if (_rowsPerChunk == 0) return (_addresses[0] + (long)row * _rowBytes, long.MaxValue);
        long k = row / _rowsPerChunk, within = row % _rowsPerChunk;
        return (_addresses[(int)k] + within * _rowBytes, _rowsPerChunk - within);
    }

    /// <summary>See <see cref="Ranges"/>.</summary>
    public struct RangeEnumerator(PixelMap map, long row, long count)
    {
        public (long Offset, long FirstRow, long Rows) Current { get; private set; }

        public readonly RangeEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (count <= 0) return false;
            var (offset, left) = map.Locate(row);
            var current = (Offset: offset, FirstRow: row, Rows: Math.Min(count, left));
            row += current.Rows;
            count -= current.Rows;
            while (count > 0)
            {
                (offset, left) = map.Locate(row);
                if (offset != current.Offset + (long)current.Rows * map._rowBytes) break;
                long take = Math.Min(count, left);
                current.Rows += take;
                row += take;
                count -= take;
            }
            Current = current;
            return true;
        }
    }
}
