namespace ImageStash;

/// <summary>
/// One epoch's canonical order of a store read chunk by chunk (plan version 2, docs/formats/shards.md; a chunk is a
/// shard of a shard set or a row group of a Parquet dataset), the same whatever the world size: the chunks in a seeded
/// order, cut into windows of consecutive chunks, the samples of each window in a seeded permutation. Position p of the epoch is one row (sample, in the order written). Ranks take ranges of positions, so
/// each reads about its share of the chunks, and a resume on another world size splits what is left. Every draw comes
/// from SplitMix64, which the spec writes out, so the Python package computes the identical order.
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
        if (shuffle) SplitMix64.Shuffle(_shards, SplitMix64.StreamSeed(seed, epoch, 0));
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
        SplitMix64.Shuffle(permutation, SplitMix64.StreamSeed(_seed, _epoch, w + 1));
        _cached = (w, permutation);
        return permutation;
    }
}

/// <summary>
/// The epoch plan's generator (docs/formats/shards.md, "The epoch plan"): SplitMix64 (Steele, Lea and Flood 2014;
/// Vigna's splitmix64.c), a Fisher–Yates shuffle drawing j = ⌊next · (i+1) / 2⁶⁴⌋, and one stream per purpose.
/// </summary>
internal static class SplitMix64
{
    public const ulong Golden = 0x9E3779B97F4A7C15;

    /// <summary>SplitMix64's output function of an (already advanced) state.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>The generator's starting state for one stream (0: the shard order; w + 1: window w's samples).</summary>
    public static ulong StreamSeed(int seed, int epoch, long stream) =>
        Mix((Mix((Mix((ulong)(long)seed + Golden) ^ (ulong)(long)epoch) + Golden) ^ (ulong)stream) + Golden);

    /// <summary>Fisher–Yates from the last element down, each draw the next SplitMix64 output scaled to [0, i].</summary>
    public static void Shuffle(int[] values, ulong state)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            state += Golden;
            int j = (int)Math.BigMul(Mix(state), (ulong)(i + 1), out _);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
