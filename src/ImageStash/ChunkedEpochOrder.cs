using System.Globalization;
using System.Text;

namespace ImageStash;

/// <summary>
/// The epoch plan of docs/formats/shards.md for one rank, over a store read chunk by chunk — a shard set's shards, a
/// Parquet dataset's row groups, a stranger's blocks — as an <see cref="IStreamingStore"/> hands it to the loader. Each
/// epoch visits the chunks in a seeded order and shuffles the samples of every window of consecutive chunks, so a
/// reader holds only a window of chunks (and those it fetches ahead) at a time. An epoch's positions
/// (<see cref="EpochPlan"/>) not yet handed out when this rank's segment began — all of them at an epoch's start —
/// are split into one contiguous range per rank. Every rank gets the same number of samples, ⌈positions / world⌉:
/// a rank the split leaves one short repeats its first sample (so at most one repeat per rank per epoch). A saved state records the segment (world size and the ranges left) and batches done; resuming on the
/// same world size continues the segment, on another one splits what is left anew: every sample exactly once.
/// </summary>
public sealed class ChunkedEpochOrder : IEpochOrder
{
    /// <summary>The epoch plan's version, the first part of a saved state's stream position.</summary>
    public const string Version = "shards-v2";

    private readonly Func<long, long> _idAt;
    private readonly Action<int>? _prefetch;
    private readonly int _prefetchChunks;
    private readonly EpochOrderOptions _options;
    private readonly long[] _shardSamples;
    private readonly int _window;
    private readonly int _segmentEpoch;
    private readonly List<(long Start, long End)>? _segment; // the resumed epoch's positions left at the segment's start; null: all
    private (int Epoch, long[] Ids, (int Shard, long First)[] Visits)? _current;

    /// <summary>Creates the order for one rank, resumed from <paramref name="resume"/> when given.</summary>
    /// <param name="chunkSamples">Samples in each chunk, in the order the store holds them (none empty).</param>
    /// <param name="idAt">The id of the sample at a row: rows count samples in the order the store holds them.</param>
    /// <param name="window">Chunks whose samples are shuffled together (at least 1).</param>
    /// <param name="options">The loader's seed, batching and rank.</param>
    /// <param name="resume">A state saved from <see cref="Save"/>, or null to start at epoch 0.</param>
    /// <param name="prefetch">Called with a chunk's index when the reader will soon need it (from the reader's thread:
    /// start a fetch and return); null when the store needs no warning.</param>
    /// <param name="prefetchChunks">How many chunks beyond the current batch's to announce (0–64).</param>
    /// <exception cref="ArgumentOutOfRangeException">A chunk is empty, or the window or prefetch count is out of range.</exception>
    /// <exception cref="ArgumentException">The saved state was made with other options or another window, or is malformed.</exception>
    public ChunkedEpochOrder(IReadOnlyList<long> chunkSamples, Func<long, long> idAt, int window, EpochOrderOptions options,
        EpochOrderState? resume, Action<int>? prefetch = null, int prefetchChunks = 0)
    {
        ArgumentNullException.ThrowIfNull(chunkSamples);
        ArgumentNullException.ThrowIfNull(idAt);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetchChunks);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefetchChunks, 64);
        foreach (long samples in chunkSamples) ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1, nameof(chunkSamples));
        (_idAt, _prefetch, _prefetchChunks) = (idAt, prefetch, prefetchChunks);
        _options = options;
        _shardSamples = [.. chunkSamples];
        _window = window;
        if (resume is null)
        {
            Start = options.Beginning;
            return;
        }
        options.CheckResume(resume, anyWorldSize: true);
        var (savedWindow, remaining) = Parse(resume.Stream);
        if (savedWindow != _window)
            throw new ArgumentException($"The saved state was made with a shuffle window of {savedWindow} chunks, this store is read with {_window}; resume with the same shuffle window.", nameof(resume));
        _segmentEpoch = resume.Epoch;
        if (resume.WorldSize == options.WorldSize)
        {
            _segment = remaining;
            Start = resume with { Stream = null };
            return;
        }
        // Another world size: what the old ranks had not handed out is split among the new ones.
        var plan = Plan(resume.Epoch);
        var old = remaining ?? [(0, plan.Length)];
        long total = Total(old), consumed = resume.Batch * options.BatchSize;
        var left = new List<(long, long)>();
        for (int r = 0; r < resume.WorldSize; r++)
        {
            var (lo, hi) = RankRange(total, r, resume.WorldSize);
            left.AddRange(Slice(old, Math.Min(hi, lo + consumed), hi));
        }
        _segment = left;
        Start = new EpochOrderState(resume.Epoch, 0, options.Seed, options.BatchSize, options.WorldSize);
    }

    /// <inheritdoc />
    public EpochOrderState Start { get; }

    /// <inheritdoc />
    public long[] Ids(int epoch) => Sequence(epoch).Ids;

    /// <inheritdoc />
    public void Scheduled(int epoch, long start)
    {
        if (_prefetch is null) return;
        var visits = Sequence(epoch).Visits;
        long now = start + _options.BatchSize;
        int ahead = 0;
        foreach (var (shard, first) in visits)
        {
            if (first < start) continue;
            if (first >= now && ahead++ >= _prefetchChunks) break;
            _prefetch(shard);
        }
    }

    /// <inheritdoc />
    public EpochOrderState Save(EpochOrderState position) => position with
    {
        BatchSize = _options.BatchSize,
        WorldSize = _options.WorldSize,
        Stream = Format(_window, position.Epoch == _segmentEpoch ? _segment : null),
    };

    /// <summary>This rank's ids for the epoch and the chunks in the order it first needs them.</summary>
    private (long[] Ids, (int Shard, long First)[] Visits) Sequence(int epoch)
    {
        if (_current is { } c && c.Epoch == epoch) return (c.Ids, c.Visits);
        var plan = Plan(epoch);
        var positions = epoch == _segmentEpoch && _segment is not null ? _segment : [(0, plan.Length)];
        long total = Total(positions);
        int w = _options.WorldSize, b = _options.BatchSize;
        var (lo, hi) = RankRange(total, _options.Rank, w);
        // Every rank gets ⌈total / w⌉ samples (plan v2): equal counts, so DDP never waits, with workers or not.
        long largest = (total + w - 1) / w;
        long length = _options.DropLast ? largest / b * b : largest;
        var mine = Slice(positions, lo, hi);
        var ids = new long[length];
        var visits = new List<(int, long)>();
        var seen = new HashSet<int>();
        long k = 0;
        foreach (var (start, end) in mine)
            for (long p = start; p < end && k < length; p++) Put(p);
        // One short of ⌈total / w⌉: repeat this rank's first sample (or the segment's first, if it got none).
        var pad = mine.Count > 0 ? mine : Slice(positions, 0, Math.Min(total, 1));
        for (int i = 0; k < length && pad.Count > 0; i = (i + 1) % pad.Count)
            for (long p = pad[i].Start; p < pad[i].End && k < length; p++) Put(p);
        _current = (epoch, ids, [.. visits]);
        return (ids, _current.Value.Visits);

        void Put(long position)
        {
            var (row, shard) = plan.At(position);
            if (seen.Add(shard)) visits.Add((shard, k));
            ids[k++] = _idAt(row);
        }
    }

    private EpochPlan Plan(int epoch) => new(_shardSamples, _options.Seed, epoch, _window, _options.Shuffle);

    private static long Total(List<(long Start, long End)> ranges) => ranges.Sum(r => r.End - r.Start);

    /// <summary>Rank <paramref name="rank"/>'s share of <paramref name="total"/> positions: [lo, hi), sizes differing by at most one.</summary>
    private static (long Lo, long Hi) RankRange(long total, int rank, int world) =>
        ((long)(System.Numerics.BigInteger)total * rank / world, (long)((System.Numerics.BigInteger)total * (rank + 1) / world));

    /// <summary>The positions [from, to) of the concatenation of <paramref name="ranges"/>.</summary>
    private static List<(long Start, long End)> Slice(List<(long Start, long End)> ranges, long from, long to)
    {
        var slice = new List<(long, long)>();
        long offset = 0;
        foreach (var (start, end) in ranges)
        {
            long length = end - start;
            long a = Math.Max(from, offset), z = Math.Min(to, offset + length);
            if (a < z) slice.Add((start + a - offset, start + z - offset));
            offset += length;
        }
        return slice;
    }

    private static string Format(int window, List<(long Start, long End)>? remaining)
    {
        var text = new StringBuilder($"{Version};window={window}");
        if (remaining is not null) text.Append(";left=").AppendJoin(',', remaining.Select(r => $"{r.Start}-{r.End}"));
        return text.ToString();
    }

    private static (int Window, List<(long Start, long End)>? Remaining) Parse(string? stream)
    {
        if (stream is null) throw new ArgumentException("The saved state has no stream position: it was saved by a loader over a store that is not read chunk by chunk.", "resume");
        if (stream.StartsWith("shards-v1", StringComparison.Ordinal))
            throw new ArgumentException($"The saved state '{stream}' follows epoch plan v1, which this version no longer computes (plan v2 draws from SplitMix64, docs/formats/shards.md); start the epoch afresh.", "resume");
        int window = 0;
        List<(long, long)>? left = null;
        foreach (string part in stream.Split(';'))
        {
            if (part == Version) continue;
            if (part.StartsWith("window=", StringComparison.Ordinal) && int.TryParse(part[7..], CultureInfo.InvariantCulture, out window)) continue;
            if (part.StartsWith("left=", StringComparison.Ordinal))
            {
                left = [];
                foreach (string range in part[5..].Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    var ends = range.Split('-');
                    if (ends.Length != 2 || !long.TryParse(ends[0], CultureInfo.InvariantCulture, out long a) || !long.TryParse(ends[1], CultureInfo.InvariantCulture, out long z) || a < 0 || z < a)
                        throw new ArgumentException($"The saved state's stream position '{stream}' is malformed.", "resume");
                    left.Add((a, z));
                }
                continue;
            }
            throw new ArgumentException($"The saved state's stream position '{stream}' is not one this version reads.", "resume");
        }
        if (!stream.StartsWith(Version, StringComparison.Ordinal) || window < 1)
            throw new ArgumentException($"The saved state's stream position '{stream}' is not one this version reads.", "resume");
        return (window, left);
    }
}
