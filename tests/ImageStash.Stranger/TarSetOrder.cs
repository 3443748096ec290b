namespace ImageStash.Stranger;

/// <summary>
/// A tar set's epochs for one rank: the parts in a seeded order, each part's records in a seeded order (both from
/// <see cref="EpochRandom"/>, so every rank agrees), and rank r of w takes positions [r·L, r·L + L) of that sequence,
/// wrapping to its start; L is n/w rounded up (every id once, the last ranks padded) or, dropping the last batch,
/// rounded down (disjoint). A resume needs the same world size: the position alone says where to go on.
/// </summary>
public sealed class TarSetOrder : IEpochOrder
{
    private readonly IReadOnlyList<long[]> _parts;
    private readonly EpochOrderOptions _options;
    private (int Epoch, long[] Ids)? _current;

    /// <summary>An order over <paramref name="parts"/> (each part's ids as written), resumed from <paramref name="resume"/>
    /// (checked by the caller with <see cref="EpochOrderOptions.CheckResume"/>).</summary>
    public TarSetOrder(IReadOnlyList<long[]> parts, EpochOrderOptions options, EpochOrderState? resume)
    {
        _parts = parts;
        _options = options;
        Start = resume is null ? options.Beginning : resume with { BatchSize = options.BatchSize, WorldSize = options.WorldSize, Stream = null };
    }

    public EpochOrderState Start { get; }

    public EpochOrderState Save(EpochOrderState position) => position with { BatchSize = _options.BatchSize, WorldSize = _options.WorldSize };

    public long[] Ids(int epoch)
    {
        if (_current is { } c && c.Epoch == epoch) return c.Ids;
        var sequence = new List<long>();
        foreach (int part in Shuffled(_parts.Count, epoch, salt: -1))
            foreach (int k in Shuffled(_parts[part].Length, epoch, salt: part))
                sequence.Add(_parts[part][k]);
        long n = sequence.Count, w = _options.WorldSize;
        long length = n == 0 ? 0 : _options.DropLast ? n / w : (n + w - 1) / w;
        var ids = new long[length];
        for (long k = 0; k < length; k++) ids[k] = sequence[(int)((_options.Rank * length + k) % n)];
        _current = (epoch, ids);
        return ids;
    }

    public void Scheduled(int epoch, long start) { } // every part is read whole when first needed: nothing to fetch ahead

    /// <summary>0 … count−1, in a Fisher–Yates order drawn from (seed, epoch, salt); in order when not shuffling.</summary>
    private int[] Shuffled(int count, int epoch, long salt)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (!_options.Shuffle) return order;
        ulong state = EpochRandom.Mix(_options.Seed, epoch, salt);
        for (int i = count - 1; i > 0; i--)
        {
            state = EpochRandom.Mix((int)state, (int)(state >> 32), i);
            int j = (int)(state % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
