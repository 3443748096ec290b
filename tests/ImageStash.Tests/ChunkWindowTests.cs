namespace ImageStash.Tests;

/// <summary>
/// <see cref="ChunkWindow{T}"/>: one load per chunk however many readers ask at once, idle chunks closed least recently
/// used first and held ones never, everything closed on dispose, and failures rethrown (damage remembered, the rest
/// loaded again).
/// </summary>
public sealed class ChunkWindowTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>A chunk that counts how often it is closed.</summary>
    private sealed class Chunk(int index) : IDisposable
    {
        private int _closed;

        public int Index { get; } = index;

        public int Closed => Volatile.Read(ref _closed);

        public void Dispose() => Interlocked.Increment(ref _closed);
    }

    /// <summary>A load that records every chunk it makes, optionally waiting for a signal or failing first.</summary>
    private sealed class Loads
    {
        private readonly object _gate = new();
        private readonly List<Chunk> _made = [];

        public ManualResetEventSlim Started { get; } = new();
        public ManualResetEventSlim Release { get; } = new(initialState: true);
        public Func<int, int, Exception?> Failure { get; set; } = (_, _) => null; // (chunk, how many loads of it before) → what to throw

        public Chunk Load(int k)
        {
            int before;
            lock (_gate) before = _made.Count(c => c.Index == k) + Failed.Count(f => f == k);
            Started.Set();
            if (!Release.Wait(Patience)) throw new TimeoutException("the test never released the load");
            if (Failure(k, before) is { } failure)
            {
                lock (_gate) Failed.Add(k);
                throw failure;
            }
            var chunk = new Chunk(k);
            lock (_gate) _made.Add(chunk);
            return chunk;
        }

        public List<int> Failed { get; } = [];

        public int Count(int k)
        {
            lock (_gate) return _made.Count(c => c.Index == k) + Failed.Count(f => f == k);
        }

        public List<Chunk> Made
        {
            get { lock (_gate) return [.. _made]; }
        }
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="count"/> threads; a failure on one fails the test (rethrown here, not left to crash the run).</summary>
    private static List<Thread> Start(int count, Action<int> body, List<Exception> failures)
    {
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try { body(i); }
            catch (Exception e) { lock (failures) failures.Add(e); }
        })).ToList();
        threads.ForEach(t => t.Start());
        return threads;
    }

    private static void Join(List<Thread> threads, List<Exception> failures)
    {
        threads.ForEach(t => t.Join());
        if (failures.Count > 0) throw new AggregateException(failures);
    }

    [Fact]
    public void Readers_asking_for_a_chunk_together_share_one_load()
    {
        var loads = new Loads();
        loads.Release.Reset();
        using var window = new ChunkWindow<Chunk>(4, loads.Load);
        var leases = new ChunkWindow<Chunk>.Lease[16];
        var failures = new List<Exception>();
        var readers = Start(leases.Length, i => leases[i] = window.Acquire(7), failures);
        Assert.True(loads.Started.Wait(Patience));
        // The other readers reach the chunk while its load is held; how many do before the release does not matter:
        // every one of them must find that load, or its result.
        Thread.Sleep(200);
        loads.Release.Set();
        Join(readers, failures);
        Assert.Equal(1, loads.Count(7));
        var chunk = Assert.Single(loads.Made);
        Assert.All(leases, lease => Assert.Same(chunk, lease.Chunk));
        Assert.All(leases, lease => Assert.Equal(7, lease.Index));
        foreach (var lease in leases) lease.Dispose();
        Assert.Equal(0, chunk.Closed);
    }

    [Fact]
    public void A_reader_asking_for_a_chunk_being_prefetched_waits_for_that_load()
    {
        var loads = new Loads();
        loads.Release.Reset();
        using var window = new ChunkWindow<Chunk>(4, loads.Load);
        window.Prefetch(3);
        Assert.True(loads.Started.Wait(Patience));
        Chunk? seen = null;
        var failures = new List<Exception>();
        var reader = Start(1, _ =>
        {
            using var lease = window.Acquire(3);
            seen = lease.Chunk;
        }, failures);
        window.Prefetch(3); // on its way already: no second load
        Thread.Sleep(100);
        loads.Release.Set();
        Join(reader, failures);
        Assert.Equal(1, loads.Count(3));
        Assert.Same(Assert.Single(loads.Made), seen);
    }

    [Fact]
    public void Idle_chunks_beyond_the_capacity_close_least_recently_used_first_and_held_ones_never()
    {
        var loads = new Loads();
        using var window = new ChunkWindow<Chunk>(2, loads.Load);
        Chunk Touch(int k)
        {
            using var lease = window.Acquire(k);
            return lease.Chunk;
        }

        var held = window.Acquire(0);
        var one = Touch(1);
        var two = Touch(2); // three open, capacity two: 1 is the only idle one besides the newest
        Assert.Equal(1, one.Closed);
        Assert.Equal(0, held.Chunk.Closed);
        Assert.Equal(0, two.Closed);

        Assert.Same(two, Touch(2)); // still open: no second load
        var three = Touch(3); // 0 held, 3 newest: 2 goes
        Assert.Equal(1, two.Closed);
        Assert.Equal(0, held.Chunk.Closed);

        var zero = held.Chunk;
        Assert.Same(zero, Touch(0)); // 0 used after 3: 3 is now the least recently used
        held.Dispose();
        var four = Touch(4);
        Assert.Equal(1, three.Closed);
        Assert.Equal(0, zero.Closed);
        Assert.Equal(0, four.Closed);

        Assert.NotSame(one, Touch(1)); // closed chunks load again
        Assert.Equal(2, loads.Count(1));
        Assert.Equal(1, loads.Count(0));
        Assert.All(loads.Made, c => Assert.True(c.Closed <= 1, $"chunk {c.Index} closed {c.Closed} times"));
    }

    [Fact]
    public void Many_readers_over_many_chunks_never_read_a_closed_chunk()
    {
        var loads = new Loads();
        using var window = new ChunkWindow<Chunk>(3, loads.Load);
        var failures = new List<Exception>();
        var readers = Start(8, r =>
        {
            var random = new Random(r);
            for (int i = 0; i < 2_000; i++)
            {
                // A prefetch starts a thread of its own: one every 25 acquires keeps the test at about a second.
                if (i % 25 == 0) window.Prefetch(random.Next(12));
                using var lease = window.Acquire(random.Next(12));
                Assert.Equal(0, lease.Chunk.Closed);
                Assert.Equal(lease.Index, lease.Chunk.Index);
            }
        }, failures);
        Join(readers, failures);
        window.Prefetch(12); // nobody holds a chunk now: adding one trims the window to its capacity
        using (window.Acquire(12)) { }
        var made = loads.Made;
        Assert.True(made.Count > 12, "chunks were closed and loaded again: the trimming was tested");
        Assert.All(made, c => Assert.True(c.Closed <= 1, $"chunk {c.Index} closed {c.Closed} times"));
        Assert.Equal(3, made.Count(c => c.Closed == 0));
        // One open copy of a chunk at a time: a chunk loads again only after the last copy closed.
        Assert.All(made.GroupBy(c => c.Index), g => Assert.True(g.Count(c => c.Closed == 0) <= 1, $"chunk {g.Key} open twice"));
    }

    [Fact]
    public void Dispose_waits_for_a_load_under_way_and_closes_every_chunk_once()
    {
        var loads = new Loads();
        var owner = new object();
        var window = new ChunkWindow<Chunk>(8, loads.Load, owner);
        var held = window.Acquire(0);
        using (window.Acquire(1)) { }
        loads.Started.Reset();
        loads.Release.Reset();
        window.Prefetch(2);
        Assert.True(loads.Started.Wait(Patience));
        var disposing = new Thread(window.Dispose);
        disposing.Start();
        Assert.False(disposing.Join(200), "dispose returned while a load was under way");
        loads.Release.Set();
        disposing.Join();
        Assert.Equal([0, 1, 2], loads.Made.Select(c => c.Index).Order());
        Assert.All(loads.Made, c => Assert.Equal(1, c.Closed));

        held.Dispose(); // a lease outliving the window is harmless
        window.Dispose();
        Assert.All(loads.Made, c => Assert.Equal(1, c.Closed));
        var e = Assert.Throws<ObjectDisposedException>(() => window.Acquire(0));
        Assert.Equal(typeof(object).FullName, e.ObjectName);
        window.Prefetch(5);
        Assert.Equal(0, loads.Count(5));
    }

    [Fact]
    public void A_failed_load_is_rethrown_to_every_waiter_and_loaded_again_next_time()
    {
        var loads = new Loads { Failure = (k, before) => before == 0 ? new IOException($"chunk {k}: the network went away") : null };
        loads.Release.Reset();
        using var window = new ChunkWindow<Chunk>(4, loads.Load);
        var failures = new Exception?[6];
        var unexpected = new List<Exception>();
        var readers = Start(failures.Length, i =>
        {
            try { window.Acquire(2).Dispose(); }
            catch (Exception e) { failures[i] = e; }
        }, unexpected);
        Assert.True(loads.Started.Wait(Patience));
        Thread.Sleep(200);
        loads.Release.Set();
        Join(readers, unexpected);
        var failure = Assert.IsType<IOException>(failures.First(f => f is not null));
        Assert.Equal("chunk 2: the network went away", failure.Message);
        // Readers that came after the failure load again; those that waited for the first load all got its failure.
        Assert.All(failures.Where(f => f is not null), f => Assert.Same(failure, f));

        using (var lease = window.Acquire(2)) Assert.Equal(2, lease.Chunk.Index);
        Assert.Equal(2, loads.Count(2)); // the failed load and one good one, whichever reader made it
        Assert.Single(loads.Failed);
    }

    [Fact]
    public void A_failed_prefetch_is_loaded_again_by_the_next_reader()
    {
        var loads = new Loads { Failure = (k, before) => before == 0 ? new IOException("timed out") : null };
        using var window = new ChunkWindow<Chunk>(4, loads.Load);
        window.Prefetch(1);
        Assert.True(loads.Started.Wait(Patience));
        Chunk? chunk = null;
        for (int attempt = 0; attempt < 2 && chunk is null; attempt++)
        {
            // The first may meet the prefetch's failure (if it came before the window forgot it); the next one loads.
            try
            {
                using var lease = window.Acquire(1);
                chunk = lease.Chunk;
            }
            catch (IOException e) { Assert.Equal("timed out", e.Message); }
        }
        Assert.NotNull(chunk);
        Assert.Equal(2, loads.Count(1));
    }

    [Fact]
    public void A_damaged_chunk_is_remembered_until_it_is_closed_like_any_idle_one()
    {
        var loads = new Loads { Failure = (k, before) => k == 0 && before == 0 ? new InvalidDataException("chunk 0 is damaged") : null };
        using var window = new ChunkWindow<Chunk>(2, loads.Load);
        var first = Assert.Throws<InvalidDataException>(() => window.Acquire(0));
        for (int i = 0; i < 5; i++) Assert.Same(first, Assert.Throws<InvalidDataException>(() => window.Acquire(0)));
        Assert.Equal(1, loads.Count(0)); // read once, not once per image
        using (window.Acquire(1)) { }
        using (window.Acquire(2)) { } // three open: the damaged one is the least recently used idle one
        using (var lease = window.Acquire(0)) Assert.Equal(0, lease.Chunk.Index);
        Assert.Equal(2, loads.Count(0));
    }

    [Fact]
    public void Bad_arguments_and_a_default_lease_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkWindow<Chunk>(0, k => new Chunk(k)));
        Assert.Throws<ArgumentNullException>(() => new ChunkWindow<Chunk>(1, null!));
        using var window = new ChunkWindow<Chunk>(1, k => null!);
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Acquire(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => window.Prefetch(-1));
        Assert.Throws<InvalidOperationException>(() => window.Acquire(0)); // a load must return a chunk
        var none = default(ChunkWindow<Chunk>.Lease);
        none.Dispose();
        Assert.Throws<InvalidOperationException>(() => none.Chunk);
    }
}
