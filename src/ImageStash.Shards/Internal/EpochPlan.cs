namespace ImageStash.Shards.Internal;

/// <summary>
/// One epoch's canonical order of a shard set, the same whatever the world size: the shards in a seeded order,
/// cut into windows of consecutive shards, the samples of each window in a seeded permutation. Position p of the
/// epoch is one row (sample, in the order written). Ranks take ranges of positions, so each reads about its share
/// of the shards, and a resume on another world size splits what is left (docs/formats/shards.md).
/// </summary>
internal sealed class EpochPlan
{
    private readonly long[] _shardRows;    // first row of each shard
    private readonly long[] _shardSamples;
    private readonly int[] _shards;        // the epoch's shard order
    private readonly long[] _windowStart;  // first position of each window, and the total at the end
    private readonly int _window, _seed, _epoch;
    private readonly bool _shuffle;
    private (int Window, int[] Permutation)? _cached;

    public EpochPlan(long[] shardSamples, int seed, int epoch, int window, bool shuffle)
    {
        (_shardSamples, _seed, _epoch, _window, _shuffle) = (shardSamples, seed, epoch, window, shuffle);
        int n = shardSamples.Length;
        _shardRows = new long[n];
        for (int k = 1; k < n; k++) _shardRows[k] = _shardRows[k - 1] + shardSamples[k - 1];
        _shards = [.. Enumerable.Range(0, n)];
        if (shuffle) Shuffle(_shards, Mix(seed, epoch, -1));
        int windows = (n + window - 1) / window;
        _windowStart = new long[windows + 1];
        for (int w = 0; w < windows; w++)
        {
            long samples = 0;
            for (int i = w * window; i < Math.Min(n, (w + 1) * window); i++) samples += shardSamples[_shards[i]];
            _windowStart[w + 1] = _windowStart[w] + samples;
        }
    }

    /// <summary>Positions in the epoch (every sample once).</summary>
    public long Length => _windowStart[^1];

    /// <summary>The row at <paramref name="position"/>, and its shard.</summary>
    public (long Row, int Shard) At(long position)
    {
        int w = Array.BinarySearch(_windowStart, position);
        w = w >= 0 ? w : ~w - 1;
        while (w + 1 < _windowStart.Length - 1 && _windowStart[w + 1] == position) w++;
        int j = (int)(position - _windowStart[w]);
        int m = _shuffle ? Permutation(w)[j] : j;
        for (int i = w * _window; ; i++)
        {
            int shard = _shards[i];
            if (m < _shardSamples[shard]) return (_shardRows[shard] + m, shard);
            m -= (int)_shardSamples[shard];
        }
    }

    private int[] Permutation(int w)
    {
        if (_cached is { } c && c.Window == w) return c.Permutation;
        var permutation = new int[_windowStart[w + 1] - _windowStart[w]];
        for (int i = 0; i < permutation.Length; i++) permutation[i] = i;
        Shuffle(permutation, Mix(_seed, _epoch, w));
        _cached = (w, permutation);
        return permutation;
    }

    private static void Shuffle(int[] values, int seed)
    {
        var rng = new Random(seed);
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static int Mix(int seed, int epoch, long salt) =>
        (int)(EpochRandom.Mix(seed, epoch, salt ^ 0x5A4D_0000) & 0x7FFFFFFF);
}
