using System.Runtime.ExceptionServices;

namespace ImageStash;

/// <summary>
/// A parallel loop whose failure is the failure itself, not an <see cref="AggregateException"/> around it: when items
/// fail, the error of the lowest-numbered one is rethrown (the one a sequential loop would have met) and the loop
/// stops taking new items.
/// </summary>
public static class ParallelWork
{
    /// <summary>Runs <paramref name="body"/> for 0 … count−1 on every core (on this thread alone when <paramref name="parallel"/> is false).</summary>
    /// <param name="count">How many items.</param>
    /// <param name="body">The work for one item; it may run on any thread, several at once.</param>
    /// <param name="parallel">False to run the items in order on the calling thread.</param>
    public static void For(int count, Action<int> body, bool parallel = true)
    {
        if (!parallel || count < 2 || Environment.ProcessorCount < 2)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        int next = 0, failedAt = int.MaxValue;
        Exception? failure = null;
        var gate = new object();
        // One worker per core, not one per pool thread: a body that waits on I/O (a shard download) needs free pool
        // threads for that I/O to finish, and an unbounded loop would take every thread the pool adds. The workers
        // take blocks of consecutive items in order from one counter (up to 16 items a step: a counter step per item
        // measured slower on small reads, see benchmarks/results/2026-12-03-house), so when an item fails every lower
        // one has been taken and runs to its end: the lowest failure is found, and no item above it starts afterwards.
        int workers = Math.Min(Environment.ProcessorCount, count);
        int block = Math.Clamp(count / (workers * 4), 1, 16);
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            for (int start; (start = Interlocked.Add(ref next, block) - block) < count && start < Volatile.Read(ref failedAt);)
            {
                for (int i = start, end = Math.Min(count, start + block); i < end && i < Volatile.Read(ref failedAt); i++)
                {
                    try { body(i); }
                    catch (Exception e)
                    {
                        lock (gate)
                            if (i < failedAt) (failedAt, failure) = (i, e);
                        break;
                    }
                }
            }
        });
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }
}
