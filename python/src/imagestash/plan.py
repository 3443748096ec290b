"""The epoch plan, version 2 (docs/formats/shards.md, "The loader's order"): which sample a rank reads when.

The C# loader and `imagestash order` compute the same thing; both follow the spec, so for one seed, epoch, rank and
world size they hand out the same ids in the same order.
"""
import bisect

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
VERSION = "shards-v2"


def mix(x):
    """SplitMix64's output function of state `x` (the state already advanced)."""
    z = x & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def stream_seed(seed, epoch, stream):
    """The starting state of the generator for one purpose (stream 0: the shard order; w + 1: window w's samples)."""
    return mix((mix((mix((seed & MASK) + GOLDEN) ^ (epoch & MASK)) + GOLDEN) ^ (stream & MASK)) + GOLDEN)


def shuffle(values, state):
    """Fisher–Yates with SplitMix64 from `state`: for i = n−1 … 1, j = ⌊next · (i+1) / 2⁶⁴⌋, swap values[i], values[j]."""
    if len(values) > 64:
        for i, j in zip(range(len(values) - 1, 0, -1), _draws(len(values), state)):
            values[i], values[j] = values[j], values[i]
        return values
    for i in range(len(values) - 1, 0, -1):
        state = (state + GOLDEN) & MASK
        j = (mix(state) * (i + 1)) >> 64
        values[i], values[j] = values[j], values[i]
    return values


def _draws(n, state):
    """The j of `shuffle`'s steps i = n−1 … 1 (a list), computed by numpy: the k-th state is state + k·GOLDEN, `mix`
    is the same arithmetic on uint64 (wrapping as & MASK does), and ⌊z · (i+1) / 2⁶⁴⌋ is put together from 32-bit
    halves (i+1 < 2³² here). This halves the time of a window's permutation (the swaps stay a Python loop)."""
    if n >= 1 << 32:
        raise ValueError(f"cannot shuffle {n} values (at most 2**32 - 1)")
    import numpy as np

    with np.errstate(over="ignore"):
        k = np.arange(1, n, dtype=np.uint64)
        z = np.uint64(state & MASK) + k * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
        bound = np.arange(n, 1, -1, dtype=np.uint64)  # i + 1 for i = n−1 … 1
        high, low = z >> np.uint64(32), z & np.uint64(0xFFFFFFFF)
        j = (high * bound + ((low * bound) >> np.uint64(32))) >> np.uint64(32)
    return j.tolist()


class EpochPlan:
    """One epoch's canonical order over a set's shards, the same on every rank: position p is one row (the p-th sample
    of the set in the order written)."""

    def __init__(self, shard_samples, seed, epoch, window, shuffled):
        self.shard_samples = [int(s) for s in shard_samples]
        self.window, self.shuffled = int(window), bool(shuffled)
        self.seed, self.epoch = int(seed), int(epoch)
        n = len(self.shard_samples)
        self.shard_rows = [0] * n
        for k in range(1, n):
            self.shard_rows[k] = self.shard_rows[k - 1] + self.shard_samples[k - 1]
        self.shards = list(range(n))
        if self.shuffled:
            shuffle(self.shards, stream_seed(self.seed, self.epoch, 0))
        self.window_start = [0]
        for w in range(0, n, self.window):
            self.window_start.append(self.window_start[-1] + sum(self.shard_samples[s] for s in self.shards[w:w + self.window]))
        self._cached, self._where = None, None

    def __len__(self):
        return self.window_start[-1]

    def window_of(self, position):
        return bisect.bisect_right(self.window_start, position) - 1

    def window_shards(self, w):
        return self.shards[w * self.window:(w + 1) * self.window]

    def permutation(self, w):
        """Window w's order: entry j is the index, among the window's samples (its shards' in plan order, each in
        written order), of the window's j-th position."""
        if self._cached is not None and self._cached[0] == w:
            return self._cached[1]
        order = list(range(self.window_start[w + 1] - self.window_start[w]))
        if self.shuffled:
            shuffle(order, stream_seed(self.seed, self.epoch, w + 1))
        self._cached = (w, order)
        return order

    def _samples(self, w):
        """(shard, index) of window w's samples in window order, kept for the last window asked (walk asks per range)."""
        if self._where is not None and self._where[0] == w:
            return self._where[1]
        where = [(shard, i) for shard in self.window_shards(w) for i in range(self.shard_samples[shard])]
        self._where = (w, where)
        return where

    def locate(self, position):
        """(shard, index within the shard) of the sample at `position`."""
        w = self.window_of(position)
        m = self.permutation(w)[position - self.window_start[w]]
        for shard in self.window_shards(w):
            if m < self.shard_samples[shard]:
                return shard, m
            m -= self.shard_samples[shard]
        raise IndexError(position)

    def row(self, position):
        shard, index = self.locate(position)
        return self.shard_rows[shard] + index

    def walk(self, ranges):
        """(shard, index within the shard) for every position of `ranges` ([start, end) pairs), in order."""
        for w, picks in self.chunks(ranges):
            where = self._samples(w)
            for m in picks:
                yield where[m]

    def chunks(self, ranges):
        """The positions of `ranges` in order, as runs within one window: (w, picks), where picks lists, for each
        position of the run, its index among window w's samples (as `permutation`). A reader can then fetch a run
        with one C-level map over the window's samples instead of one Python step per sample."""
        for start, end in ranges:
            p = start
            while p < end:
                w = self.window_of(p)
                base, stop = self.window_start[w], min(end, self.window_start[w + 1])
                yield w, self.permutation(w)[p - base:stop - base]
                p = stop


def total(ranges):
    return sum(end - start for start, end in ranges)


def cut(ranges, lo, hi):
    """Positions [lo, hi) of the concatenation of `ranges`, as ranges."""
    out, offset = [], 0
    for start, end in ranges:
        a, z = max(lo, offset), min(hi, offset + end - start)
        if a < z:
            out.append((start + a - offset, start + z - offset))
        offset += end - start
    return out


def rank_range(count, rank, world):
    """Rank `rank`'s share of `count` positions: [⌊count·rank/world⌋, ⌊count·(rank+1)/world⌋)."""
    return count * rank // world, count * (rank + 1) // world


def rank_ranges(ranges, rank, world):
    """What rank `rank` of `world` reads of the positions `ranges`, in order: its share, then, when that is short of
    ⌈count/world⌉, its own first positions again (or the set's first, when its share is empty), so every rank gets
    the same number of samples."""
    count = total(ranges)
    lo, hi = rank_range(count, rank, world)
    mine = cut(ranges, lo, hi)
    length = -(-count // world)
    out = list(mine)
    pad = mine if mine else cut(ranges, 0, min(count, 1))
    missing = length - (hi - lo)
    while missing > 0 and pad:
        for start, end in pad:
            take = min(missing, end - start)
            out.append((start, start + take))
            missing -= take
            if missing == 0:
                break
    return out


def worker_ranges(ranges, batch_size, worker, workers):
    """DataLoader worker `worker` of `workers`' slice of a rank's ranges: the rank's batches (of `batch_size`) worker,
    worker + workers, worker + 2·workers, …; the DataLoader, taking one batch from each worker in turn, so hands out
    the rank's sequence in order (docs/formats/shards.md)."""
    if workers == 1:
        return list(ranges)
    length, out = total(ranges), []
    for first in range(worker * batch_size, length, workers * batch_size):
        out.extend(cut(ranges, first, min(length, first + batch_size)))
    return out


def format_state(window, remaining):
    """The stream text of a saved state (the C# LoaderState.Stream)."""
    text = f"{VERSION};window={window}"
    if remaining is not None:
        text += ";left=" + ",".join(f"{a}-{z}" for a, z in remaining)
    return text


def parse_state(stream):
    """(window, remaining ranges or None) of a stream text; ValueError for any other version."""
    if not stream or not stream.startswith(VERSION + ";") and stream != VERSION:
        raise ValueError(f"the saved state's stream position {stream!r} is not a {VERSION} plan's (saved by an older "
                         f"ImageStash with another epoch order); start the epoch afresh")
    window, left = 0, None
    for part in stream.split(";")[1:]:
        if part.startswith("window="):
            window = int(part[7:])
        elif part.startswith("left="):
            left = []
            for item in filter(None, part[5:].split(",")):
                a, z = item.split("-")
                left.append((int(a), int(z)))
        else:
            raise ValueError(f"the saved state's stream position {stream!r} has an unknown part {part!r}")
    if window < 1:
        raise ValueError(f"the saved state's stream position {stream!r} has no window")
    return window, left
