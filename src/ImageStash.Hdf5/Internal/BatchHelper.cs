using System.IO.Hashing;

namespace ImageStash.Hdf5.Internal;

/// <summary>
/// The second core's share of writing a batch. From the moment the batch arrives, a helper thread computes the
/// CRC-32 of each image (each image is claimed once through a shared counter, so the writing thread can take the
/// rest when it gets there), then runs the one piece of work the writing thread has <see cref="Offer"/>ed, unless
/// the writing thread got to it first (<see cref="RunOfferedUnlessTaken"/>): whichever thread is free first does it.
/// </summary>
/// <remarks>
/// The helper is one long-lived background thread that sleeps until a batch is posted, and the writer blocks while
/// it waits for it; neither spins (spinning was measured against this and did not pay:
/// benchmarks/results/2026-12-03-house/hdf5-helper-spin-ab.md). One helper serves the process: batches reach it one
/// at a time, because the writer holds <see cref="H5.Gate"/> from construction to <see cref="Wait"/>. The helper
/// against none: benchmarks/results/2026-12-02-hdf5-helper-ab.md.
/// </remarks>
internal sealed class BatchHelper
{
    private readonly ImageBatch _batch;
    private readonly ManualResetEventSlim _done = new(false, spinCount: 0), _crcsDone = new(false, spinCount: 0);
    private Action? _offered;
    private Exception? _failure;
    private int _claimed = -1, _computed, _offerTaken;

    public BatchHelper(ImageBatch batch)
    {
        _batch = batch;
        Crcs = new uint[batch.Count];
        if (Crcs.Length == 0) _crcsDone.Set();
        Worker.Post(this);
    }

    /// <summary>Image i's CRC-32, complete after <see cref="FinishCrcs"/>.</summary>
    public uint[] Crcs { get; }

    /// <summary>Hands the helper <paramref name="work"/> for when its CRCs are done.</summary>
    public void Offer(Action work) => Volatile.Write(ref _offered, work);

    /// <summary>Runs the offered work here unless the helper has taken it (or nothing was offered).</summary>
    public void RunOfferedUnlessTaken()
    {
        var work = Volatile.Read(ref _offered);
        if (work is not null && Interlocked.Exchange(ref _offerTaken, 1) == 0) work();
    }

    /// <summary>Computes CRCs until none is left to claim, then waits for the ones the helper is still computing.</summary>
    public void FinishCrcs()
    {
        Help();
        _crcsDone.Wait();
    }

    /// <summary>Waits until the helper has finished with this batch; rethrows what the offered work threw there.</summary>
    public void Wait()
    {
        _done.Wait();
        if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
    }

    /// <summary>Waits until the helper has finished, without rethrowing: for a writer already unwinding from a
    /// failure (one the offered work threw has been rethrown by <see cref="Wait"/> already).</summary>
    public void Join() => _done.Wait();

    private void RunOnHelper()
    {
        try
        {
            Help();
            RunOfferedUnlessTaken();
        }
        catch (Exception e) { _failure = e; }
        finally { _done.Set(); }
    }

    private void Help()
    {
        for (int i; (i = Interlocked.Increment(ref _claimed)) < Crcs.Length;)
        {
            Crcs[i] = Crc32.HashToUInt32(_batch.GetPixels(i));
            if (Interlocked.Increment(ref _computed) == Crcs.Length) _crcsDone.Set();
        }
    }

    /// <summary>The helper thread: sleeps until a batch is posted.</summary>
    private static class Worker
    {
        private static readonly object Gate = new();
        private static BatchHelper? _next;

        static Worker() => new Thread(Loop) { IsBackground = true, Name = "ImageStash HDF5 helper" }.Start();

        public static void Post(BatchHelper helper)
        {
            lock (Gate)
            {
                _next = helper;
                Monitor.Pulse(Gate);
            }
        }

        private static void Loop()
        {
            while (true)
            {
                BatchHelper work;
                lock (Gate)
                {
                    while (_next is null) Monitor.Wait(Gate);
                    work = _next;
                    _next = null;
                }
                work.RunOnHelper();
            }
        }
    }
}
