namespace ImageStash;

/// <summary>
/// The chunks of a store read chunk by chunk — a shard set's shards, a Parquet dataset's row groups, a stranger's
/// blocks — that are open at a time. A chunk is loaded once however many readers ask for it together, shared while
/// they hold it, and closed once it is idle and more than <see cref="Capacity"/> chunks are open, the least recently
/// used first. A store makes one window, takes a <see cref="Lease"/> from <see cref="Acquire"/> for every read, and
/// passes <see cref="Prefetch"/> to <see cref="ChunkedEpochOrder"/> so the loader's next chunks load ahead. All members
/// are thread-safe.
/// </summary>
/// <remarks>
/// A load that throws <see cref="InvalidDataException"/> (the chunk is damaged) is remembered like a loaded chunk:
/// every acquire rethrows it without loading again until the chunk is closed, so a loader that leaves damaged images
/// out reads a damaged chunk once, not once per image. Any other failure (I/O, network) is forgotten as soon as it is
/// thrown: the next acquire loads the chunk again.
/// </remarks>
/// <typeparam name="T">An open chunk; disposing it closes it (its file, its buffers).</typeparam>
public sealed class ChunkWindow<T> : IDisposable where T : class, IDisposable
{
    private readonly Func<int, T> _load;
    private readonly object _owner;
    private readonly object _gate = new();
    private readonly Dictionary<int, Entry> _open = [];
    private long _clock;
    private bool _disposed;

    /// <summary>Creates an empty window.</summary>
    /// <param name="capacity">How many chunks stay open when nobody reads them (at least 1): the chunks a reader
    /// shuffles together, those it fetches ahead and a little slack. Chunks being read or loaded are never closed, so
    /// more may be open for a while.</param>
    /// <param name="load">Opens chunk k (an index the store chooses, 0 or more). Called once per load, on the reading
    /// thread or, for <see cref="Prefetch"/>, on a thread of its own. If it throws, it closes what it opened.</param>
    /// <param name="owner">Named by the <see cref="ObjectDisposedException"/> a read after <see cref="Dispose"/>
    /// throws: the store. The window itself when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="load"/> is null.</exception>
    public ChunkWindow(int capacity, Func<int, T> load, object? owner = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(load);
        Capacity = capacity;
        _load = load;
        _owner = owner ?? this;
    }

    /// <summary>How many idle chunks stay open.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Starts loading chunk <paramref name="chunk"/> on a thread of its own, unless it is open or on its way (then it
    /// counts as just used, so the window keeps it until it is read), and returns at once. Does nothing after <see cref="Dispose"/>. A failure is thrown by the next
    /// <see cref="Acquire"/> of the chunk (remembered or not as the class remarks say).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunk"/> is negative.</exception>
    public void Prefetch(int chunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunk);
        lock (_gate)
        {
            if (_disposed) return;
            if (_open.TryGetValue(chunk, out var open))
            {
                // Announced again: it is needed soon, so it counts as just used. Otherwise a chunk fetched ahead is
                // the least recently used one until its first read, and the next prefetch closes it before that read
                // (a shard set with more shards than the window then loaded every shard about twice an epoch).
                open.LastUse = ++_clock;
                return;
            }
            var entry = new Entry(chunk) { LastUse = ++_clock };
            _open[chunk] = entry;
            // A thread of its own: a load may block on the network, and blocking pool threads starves the readers.
            Task.Factory.StartNew(() => Load(entry), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            Trim(keep: entry);
        }
    }

    /// <summary>
    /// Chunk <paramref name="chunk"/>, loaded on this thread if it is not open (readers of the same chunk wait for that
    /// one load), held open until the lease is disposed. Dispose each lease once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunk"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The window (its owner) is disposed.</exception>
    /// <exception cref="Exception">Whatever the load threw, as it threw it.</exception>
    public Lease Acquire(int chunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunk);
        Entry? entry;
        bool load = false;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, _owner);
            if (!_open.TryGetValue(chunk, out entry))
            {
                entry = new Entry(chunk);
                _open[chunk] = entry;
                load = true;
            }
            entry.References++; // before trimming: a chunk being loaded must not look idle
            entry.LastUse = ++_clock;
            if (load) Trim(keep: entry);
        }
        // Loaded here, not queued to the thread pool: readers blocking on pool work starve the pool.
        if (load) Load(entry);
        try { entry.Loaded.Task.GetAwaiter().GetResult(); }
        catch
        {
            Release(entry);
            throw;
        }
        return new Lease(this, entry);
    }

    /// <summary>Closes every chunk nobody holds and nobody is loading (e.g. before a benchmark deletes their files).</summary>
    public void CloseIdle()
    {
        lock (_gate)
            foreach (var entry in _open.Values.Where(e => e.References == 0 && e.Loaded.Task.IsCompleted).ToList())
            {
                _open.Remove(entry.Index);
                entry.Chunk?.Dispose();
            }
    }

    /// <summary>Waits for the loads under way and closes every chunk. Later acquires throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Entry[] entries;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            entries = [.. _open.Values];
            _open.Clear();
        }
        // Outside the gate: a failing load takes it to forget itself.
        foreach (var entry in entries)
        {
            try { entry.Loaded.Task.Wait(); }
            catch (AggregateException) { }
            entry.Chunk?.Dispose();
        }
    }

    private void Load(Entry entry)
    {
        try
        {
            entry.Chunk = _load(entry.Index) ?? throw new InvalidOperationException($"The load of chunk {entry.Index} returned null.");
        }
        catch (Exception e)
        {
            if (e is not InvalidDataException)
            {
                // Forgotten before the waiters see it, so that one who tries again loads again.
                lock (_gate)
                    if (!_disposed && _open.TryGetValue(entry.Index, out var open) && open == entry) _open.Remove(entry.Index);
            }
            entry.Loaded.SetException(e);
            return;
        }
        entry.Loaded.SetResult();
    }

    /// <summary>Closes the least recently used chunks nobody holds beyond <see cref="Capacity"/>, never <paramref name="keep"/> (the one just added). Under <see cref="_gate"/>.</summary>
    private void Trim(Entry keep)
    {
        while (_open.Count > Capacity)
        {
            Entry? idle = null;
            foreach (var e in _open.Values)
                if (e != keep && e.References == 0 && e.Loaded.Task.IsCompleted && (idle is null || e.LastUse < idle.LastUse)) idle = e;
            if (idle is null) return;
            _open.Remove(idle.Index);
            idle.Chunk?.Dispose();
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate) entry.References--;
    }

    /// <summary>A chunk held open for a read: dispose it (once) to let the window close the chunk when it is idle.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly ChunkWindow<T>? _window;
        private readonly Entry? _entry;

        internal Lease(ChunkWindow<T> window, Entry entry) => (_window, _entry) = (window, entry);

        /// <summary>The chunk's index, as given to <see cref="Acquire"/>.</summary>
        /// <exception cref="InvalidOperationException">The lease is the default value, from no window.</exception>
        public int Index => (_entry ?? throw NoChunk()).Index;

        /// <summary>The open chunk; valid until the lease is disposed.</summary>
        /// <exception cref="InvalidOperationException">The lease is the default value, from no window.</exception>
        public T Chunk => (_entry ?? throw NoChunk()).Chunk!;

        /// <summary>Releases the chunk (nothing for a default lease).</summary>
        public void Dispose() => _window?.Release(_entry!);

        private static InvalidOperationException NoChunk() => new("This lease holds no chunk: it was not made by ChunkWindow.Acquire.");
    }

    /// <summary>One chunk open or on its way, and who holds it. References and LastUse change under the window's gate.</summary>
    internal sealed class Entry(int index)
    {
        public int Index { get; } = index;
        public TaskCompletionSource Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public T? Chunk;
        public int References;
        public long LastUse;
    }
}
