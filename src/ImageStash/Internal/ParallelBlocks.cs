namespace ImageStash.Internal;

/// <summary>
/// Big reads on every core: [0, count) split into blocks taken in turn by one thread per core. Stores use it for
/// read-many requests of many megabytes, where each thread copies its block's pixels and checks their CRCs — one
/// core copies while another checks, instead of one core doing both in turn.
/// </summary>
internal static class ParallelBlocks
{
    /// <summary>Requests smaller than this many bytes are read on the calling thread.</summary>
    public const long MinBytes = 16 << 20;

    /// <summary>Bytes per block: large enough that a block is mostly copying, small enough to share out evenly.</summary>
    public const int BlockBytes = 4 << 20;

    /// <summary>Whether a request of <paramref name="bytes"/> is worth splitting on this machine.</summary>
    public static bool Worth(long bytes) => bytes >= MinBytes && Environment.ProcessorCount > 1;

    /// <summary>
    /// Runs <paramref name="block"/>(first, count) over [0, <paramref name="count"/>) in blocks of about
    /// <see cref="BlockBytes"/> (items of <paramref name="itemBytes"/> each). If blocks fail, the failure of the
    /// earliest one is rethrown — the one a sequential read would have met first — and later blocks are skipped.
    /// </summary>
    public static void Run(int count, int itemBytes, Action<int, int> block)
    {
        int perBlock = Math.Max(1, BlockBytes / Math.Max(1, itemBytes)), blocks = (count + perBlock - 1) / perBlock;
        int next = -1, failedBlock = int.MaxValue;
        Exception? failure = null;
        var failureLock = new object();
        Parallel.For(0, Math.Min(Environment.ProcessorCount, blocks), _ =>
        {
            for (int b; (b = Interlocked.Increment(ref next)) < blocks && b < Volatile.Read(ref failedBlock);)
            {
                int first = b * perBlock;
                try { block(first, Math.Min(perBlock, count - first)); }
                catch (Exception e)
                {
                    lock (failureLock)
                        if (b < failedBlock) (failedBlock, failure) = (b, e);
                }
            }
        });
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }
}
