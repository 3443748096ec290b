using System.IO.Hashing;

namespace ImageStash.Hdf5.Internal;

/// <summary>
/// The CRC-32 of each image of a batch, computed by whichever threads call <see cref="Help"/> (each image is
/// claimed once through a shared counter), so a second core can take most of the work and the writing thread the
/// rest when it gets there.
/// </summary>
internal sealed class BatchCrcs(ImageBatch batch)
{
    private int _claimed = -1, _computed;

    public uint[] Values { get; } = new uint[batch.Count];

    /// <summary>Computes CRCs until none is left to claim.</summary>
    public void Help()
    {
        for (int i; (i = Interlocked.Increment(ref _claimed)) < Values.Length;)
        {
            Values[i] = Crc32.HashToUInt32(batch.GetPixels(i));
            Interlocked.Increment(ref _computed);
        }
    }

    /// <summary>Helps, then waits for the ones other threads are still computing.</summary>
    public void Finish()
    {
        Help();
        SpinWait.SpinUntil(() => Volatile.Read(ref _computed) == Values.Length);
    }
}
