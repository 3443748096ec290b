using ImageStash.Loading;

namespace ImageStash.Loading;

/// <summary>
/// The loader's threads: each batch handed in is split into units (an image, or the whole batch for one read-many)
/// that the threads take in order, oldest batch first, so batches finish in the order they are used. Each thread
/// keeps its own scratch state (buffers, a resampler) for its whole life: steady state allocates nothing.
/// </summary>
internal sealed class LoaderWorkers<TScratch> : IDisposable where TScratch : class
{
    public delegate void Work(LoaderBatch batch, int unit, TScratch scratch);

    private readonly List<LoaderBatch> _queue = [];
    private readonly Thread[] _threads;
    private readonly Work _work;
    private bool _stopping;

    public LoaderWorkers(int threads, Func<TScratch> scratch, Work work)
    {
        _work = work;
        _threads = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            _threads[t] = new Thread(() => Loop(scratch())) { IsBackground = true, Name = $"ImageStash loader {t}" };
            _threads[t].Start();
        }
    }

    /// <summary>Queues <paramref name="units"/> units of <paramref name="batch"/>; its <see cref="LoaderBatch.Done"/> is set when all are done.</summary>
    public void Submit(LoaderBatch batch, int units)
    {
        Reset(batch, units);
        if (units == 0)
        {
            batch.Done.Set();
            return;
        }
        lock (_queue)
        {
            _queue.Add(batch);
            Monitor.PulseAll(_queue);
        }
    }

    /// <summary>Runs every unit of <paramref name="batch"/> on the calling thread (a loader with no workers).</summary>
    public static void RunHere(LoaderBatch batch, int units, TScratch scratch, Work work)
    {
        Reset(batch, units);
        for (int unit = 0; unit < units; unit++) Run(batch, unit, scratch, work);
        batch.Done.Set();
    }

    public void Dispose()
    {
        lock (_queue)
        {
            _stopping = true;
            Monitor.PulseAll(_queue);
        }
        foreach (var thread in _threads) thread.Join();
    }

    private static void Reset(LoaderBatch batch, int units)
    {
        batch.Done.Reset();
        batch.Failure = null;
        batch.FailedUnit = int.MaxValue;
        batch.Units = units;
        batch.NextUnit = 0;
        batch.PendingUnits = units;
    }

    private void Loop(TScratch scratch)
    {
        while (true)
        {
            LoaderBatch batch;
            int unit;
            lock (_queue)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_queue);
                if (_stopping) return;
                batch = _queue[0];
                unit = batch.NextUnit++;
                if (batch.NextUnit == batch.Units) _queue.RemoveAt(0);
            }
            Run(batch, unit, scratch, _work);
            if (Interlocked.Decrement(ref batch.PendingUnits) == 0) batch.Done.Set();
        }
    }

    private static void Run(LoaderBatch batch, int unit, TScratch scratch, Work work)
    {
        try { work(batch, unit, scratch); }
        catch (Exception e)
        {
            // The earliest failing unit is reported, as a sequential loop would have met it first.
            lock (batch)
                if (unit < batch.FailedUnit) (batch.FailedUnit, batch.Failure) = (unit, e);
        }
    }
}
