using System.Collections.Concurrent;

namespace ImageStash.Parquet;

// HfParquetStore: row groups read into memory (on the reader's thread, or ahead of the loader), shared between readers
// and let go when idle, a window's worth kept.
public sealed partial class HfParquetStore
{
    private readonly ConcurrentBag<HfParquetReader>[] _readers; // idle readers of each file: one per thread reading it
    private readonly ConcurrentBag<byte[]> _spare = []; // buffers of dropped row groups, for the next ones: fresh memory costs page faults
    private readonly object _gate = new();
    private readonly Dictionary<int, RowGroup> _open = [];
    private long _clock;
    private bool _disposed;

    /// <summary>Starts reading row group <paramref name="k"/> on a thread of its own, if it is not in memory or on its way.</summary>
    private void Prefetch(int k)
    {
        lock (_gate)
        {
            if (_disposed || _open.ContainsKey(k)) return;
            var entry = new RowGroup(this, k) { LastUse = ++_clock };
            _open[k] = entry;
            entry.Loading = Task.Factory.StartNew(() => Load(entry), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            Trim(keep: entry);
        }
    }

    /// <summary>Row group <paramref name="k"/>, read (dispose it to release it).</summary>
    /// <exception cref="InvalidDataException">The row group is damaged or truncated; the message names the file and row.</exception>
    private RowGroup Acquire(int k)
    {
        RowGroup? entry;
        TaskCompletionSource? loading = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_open.TryGetValue(k, out entry))
            {
                // Read on this thread (readers of the same group wait for it): readers blocking on pool work starve the pool.
                loading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                entry = new RowGroup(this, k) { Loading = loading.Task };
                _open[k] = entry;
            }
            entry.References++; // before trimming: a group being read must not look idle
            entry.LastUse = ++_clock;
            if (loading is not null) Trim(keep: entry);
        }
        try
        {
            if (loading is not null)
            {
                try
                {
                    Load(entry);
                    loading.SetResult();
                }
                catch (Exception e)
                {
                    loading.SetException(e);
                }
            }
            entry.Loading!.GetAwaiter().GetResult();
        }
        catch
        {
            entry.Dispose();
            throw;
        }
        return entry;
    }

    /// <summary>Lets go of the least recently used row groups nobody reads beyond the window, prefetch and a little slack. Under <see cref="_gate"/>.</summary>
    private void Trim(RowGroup keep)
    {
        int limit = Options.ShuffleRowGroups + Options.PrefetchRowGroups + 2;
        while (_open.Count > limit)
        {
            var idle = _open.Values.Where(e => e != keep && e.References == 0 && e.Loading!.IsCompleted).MinBy(e => e.LastUse);
            if (idle is null) return;
            _open.Remove(idle.Index);
            if (idle.Data.Length > 0 && _spare.Count < 4) _spare.Add(idle.Data);
            idle.Data = [];
        }
    }

    /// <summary>Reads row group <paramref name="entry"/>'s image bytes, labels and paths, and each image's header.</summary>
    private void Load(RowGroup entry)
    {
        var (f, g) = _groups[entry.Index];
        long first = _groupRows[entry.Index];
        int count = (int)(_groupRows[entry.Index + 1] - first);
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
            (entry.Data, entry.Offsets, entry.Headers, entry.Problems) = (bytes, offsets, headers, problems);
        }
        finally { _readers[f].Add(reader); }
    }

    /// <summary>Lets go of the row groups and closes the files.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var entry in _open.Values)
            {
                try { entry.Loading?.Wait(); }
                catch (AggregateException) { }
            }
            _open.Clear();
        }
        foreach (var bag in _readers)
            if (bag is not null)
                while (bag.TryTake(out var reader)) reader.Dispose();
    }

    /// <summary>One row group in memory: its images back to back, their headers, and what is wrong with any row.</summary>
    private sealed class RowGroup(HfParquetStore store, int index) : IDisposable
    {
        public int Index { get; } = index;
        public Task? Loading;
        public int References;
        public long LastUse;
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

        /// <summary>Releases this reference.</summary>
        public void Dispose()
        {
            lock (store._gate) References--;
        }
    }
}
