using System.IO.Hashing;

namespace ImageStash.Hdf5.Internal;

/// <summary>
/// The second core's share of writing a batch. From the moment the batch arrives, a helper task computes the
/// CRC-32 of each image (each image is claimed once through a shared counter, so the writing thread can take the
/// rest when it gets there), then runs the one piece of work the writing thread has <see cref="Offer"/>ed, unless
/// the writing thread got to it first (<see cref="RunOfferedUnlessTaken"/>): whichever thread is free first does it.
/// </summary>
/// <remarks>
/// The task starts before the writer grows the datasets, not after: a thread-pool task took 0.1–0.7 ms to start
/// here, as long as a batch's CRCs take, and the writer used to wait for it at the end of the batch.
/// </remarks>
internal sealed class BatchHelper
{
    private readonly ImageBatch _batch;
    private readonly Task _helper;
    private Action? _offered;
    private int _claimed = -1, _computed, _offerTaken;

    public BatchHelper(ImageBatch batch)
    {
        _batch = batch;
        Crcs = new uint[batch.Count];
        _helper = Task.Run(() =>
        {
            Help();
            RunOfferedUnlessTaken();
        });
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
        SpinWait.SpinUntil(() => Volatile.Read(ref _computed) == Crcs.Length);
    }

    /// <summary>Waits until the helper has finished; rethrows what the offered work threw there.</summary>
    public void Wait()
    {
        try { _helper.Wait(); }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException!);
        }
    }

    private void Help()
    {
        for (int i; (i = Interlocked.Increment(ref _claimed)) < Crcs.Length;)
        {
            Crcs[i] = Crc32.HashToUInt32(_batch.GetPixels(i));
            Interlocked.Increment(ref _computed);
        }
    }
}
