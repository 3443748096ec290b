using System.Collections.Concurrent;

namespace ImageStash.Parquet;

// HfParquetStore: row groups read into memory (on the reader's thread, or ahead of the loader), shared between readers
// and let go when idle, a window's worth kept.
public sealed partial class HfParquetStore
{
    private readonly ConcurrentBag<HfParquetReader>[] _readers; // idle readers of each file: one per thread reading it
    private readonly ConcurrentBag<byte[]> _spare = []; // buffers of dropped row groups, for the next ones: fresh memory costs page faults
    private readonly ChunkWindow<RowGroup> _rowGroups; // read row groups: loaded once, shared, the least recently used let go

    /// <summary>Row group <paramref name="k"/>, read and held (dispose the lease to release it).</summary>
    /// <exception cref="InvalidDataException">The row group is damaged or truncated; the message names the file and row.</exception>
    private ChunkWindow<RowGroup>.Lease Acquire(int k) => _rowGroups.Acquire(k);

    /// <summary>Reads row group <paramref name="k"/>'s image bytes, labels and paths, and each image's header.</summary>
    private RowGroup Load(int k)
    {
        var (f, g) = _groups[k];
        long first = _groupRows[k];
        int count = (int)(_groupRows[k + 1] - first);
        if (!_readers[f].TryTake(out var reader)) reader = new HfParquetReader(_files[f]);
        try
        {
            string stem = System.IO.Path.GetFileNameWithoutExtension(_files[f]);
            // Sized from the footer at once: growing by doubling left a row group's buffer up to twice its images and its
            // outgrown copies on the large-object heap (the loader's peak RSS was 2.3× LMDB's over the same photos).
            long size = Math.Min(Array.MaxLength, Math.Max(1, reader.ImageBytesUpperBound(g)));
            if (!_spare.TryTake(out var bytes) || bytes.Length < size || bytes.Length > 2 * size) bytes = new byte[size];
            var offsets = new int[count + 1];
            var headers = new ImageHeader[count];
            var problems = new string?[count];
            int i = 0, at = 0;
            foreach (var row in reader.Read(g, checkLabels: false))
            {
                if (i == count) throw new InvalidDataException($"'{_files[f]}' row group {g} holds more rows than its metadata's {count:N0}.");
                var image = row.Bytes.Span;
                if ((long)at + image.Length > Array.MaxLength) throw new InvalidDataException($"'{_files[f]}' row group {g} holds more than 2 GB of images; ImageStash reads row groups of up to 2 GB.");
                if (bytes.Length < at + image.Length) Array.Resize(ref bytes, (int)Math.Min(Array.MaxLength, Math.Max(at + (long)image.Length, bytes.Length * 2L)));
                image.CopyTo(bytes.AsSpan(at));
                offsets[i] = at;
                at += image.Length;
                offsets[i + 1] = at;
                string where = $"'{_files[f]}' row {row.Row:N0}";
                (headers[i], string? problem) = HeaderOf(image, first + i, row.Label, row.Path ?? $"{stem}/{row.Row:D6}");
                headers[i] = headers[i] with { Fields = row.Fields };
                problems[i] = reader.LabelProblem(row.Row, row.Label) ?? (problem is null ? null : $"{where}: {problem}.");
                i++;
            }
            if (i != count) throw new InvalidDataException($"'{_files[f]}' row group {g} holds {i:N0} rows, its metadata says {count:N0}.");
            return new RowGroup(this, k) { Data = bytes, Offsets = offsets, Headers = headers, Problems = problems };
        }
        finally { _readers[f].Add(reader); }
    }

    /// <summary>Lets go of the row groups and closes the files.</summary>
    public void Dispose()
    {
        _rowGroups.Dispose();
        foreach (var bag in _readers)
            if (bag is not null)
                while (bag.TryTake(out var reader)) reader.Dispose();
    }

    /// <summary>One row group in memory: its images back to back, their headers, and what is wrong with any row.</summary>
    private sealed class RowGroup(HfParquetStore store, int index) : IDisposable
    {
        public int Index { get; } = index;
        public byte[] Data = [];
        public int[] Offsets = [];
        public ImageHeader[] Headers = [];
        public string?[] Problems = [];

        /// <summary>Row <paramref name="id"/>'s header.</summary>
        /// <exception cref="InvalidDataException">Its bytes are not an image, or its label is out of the ClassLabel's range.</exception>
        public ImageHeader Header(long id)
        {
            int k = (int)(id - store._groupRows[Index]);
            return Problems[k] is { } problem ? throw new InvalidDataException(problem) : Headers[k];
        }

        public ReadOnlySpan<byte> Bytes(long id)
        {
            int k = (int)(id - store._groupRows[Index]);
            return Data.AsSpan(Offsets[k], Offsets[k + 1] - Offsets[k]);
        }

        /// <summary>Lets go of the row group: its buffer goes to the next one read.</summary>
        public void Dispose()
        {
            if (Data.Length > 0 && store._spare.Count < 4) store._spare.Add(Data);
            Data = [];
        }
    }
}
