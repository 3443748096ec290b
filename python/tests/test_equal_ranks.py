"""Equal samples per rank, whatever the world size (1-8) and DataLoader worker count (0-4): a property of the epoch
plan checked over many random set layouts, then real DataLoaders against what `imagestash order` prints."""
import random

import pytest

import imagestash
from imagestash import plan

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402

from imagestash.torch import ShardDataset  # noqa: E402

from conftest import imagestash_all  # noqa: E402


def _rows(epoch_plan, ranges):
    return [epoch_plan.shard_rows[s] + i for s, i in epoch_plan.walk(ranges)]


def _batches(sequence, size):
    return [sequence[i:i + size] for i in range(0, len(sequence), size)]


def test_every_rank_and_worker_gets_its_share_for_any_layout_world_size_and_worker_count():
    """Random sets (1-12 shards of 1-40 samples, so uneven), windows, seeds, epochs and batch sizes; for each, every
    world size 1-8 and worker count 0-4: every rank reads exactly ⌈n / world⌉ samples, the ranks together read every
    sample (repeating only to even out, at most once per rank), and a DataLoader taking one batch from each worker in
    turn hands out the rank's sequence unchanged."""
    draw = random.Random(19)
    for case in range(60):
        samples = [draw.randint(1, 40) for _ in range(draw.randint(1, 12))]
        n, window, batch = sum(samples), draw.randint(1, 4), draw.randint(1, 6)
        epoch_plan = plan.EpochPlan(samples, draw.randrange(1 << 64), draw.randint(0, 9), window, draw.random() < 0.8)
        where = (case, samples, window, batch)
        assert sorted(_rows(epoch_plan, [(0, n)])) == list(range(n)), where  # the plan is a permutation
        for world in range(1, 9):
            share, read = -(-n // world), []
            for rank in range(world):
                ranges = plan.rank_ranges([(0, n)], rank, world)
                sequence = _rows(epoch_plan, ranges)
                assert len(sequence) == share, (where, world, rank)
                read.extend(sequence)
                for workers in range(1, 5):  # 0 workers read as one
                    streams = [_batches(_rows(epoch_plan, plan.worker_ranges(ranges, batch, k, workers)), batch)
                               for k in range(workers)]
                    handed = [streams[i % workers][i // workers] for i in range(len(_batches(sequence, batch)))]
                    assert [r for b in handed for r in b] == sequence, (where, world, rank, workers)
                    assert sum(len(b) for s in streams for b in s) == share
            assert set(read) == set(range(n)) and len(read) - n == world * share - n < world, (where, world)


def _order(shard_set, seed, epoch, rank, world):
    return ["order", shard_set, "--seed", seed, "--epoch", epoch, "--rank", rank, "--world-size", world]


# Up to 4 workers on this 2-core machine on purpose (the split by worker is what is tested): torch's advice is noise here.
@pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")
def test_real_dataloaders_with_0_to_4_workers_give_every_rank_the_same_count_in_the_csharp_order(shard_set):
    """Every world size 1-8, each with a worker count 0-4 (all five used), its first and last rank (the one that
    evens out) through a real DataLoader: ⌈n / world⌉ samples each, in the order `ShardDataset.ids()` gives (which the
    test above checks for every rank), the last rank's against `imagestash order` itself."""
    n = len(imagestash.ShardSet(shard_set))
    seed, epoch, batch = 11, 3, 4
    cases = [(world, world % 5) for world in range(1, 9)]
    printed = imagestash_all([_order(shard_set, seed, epoch, world - 1, world) for world, _ in cases])
    for (world, workers), out in zip(cases, printed):
        counts = set()
        for rank in sorted({0, world - 1}):
            data = ShardDataset(shard_set, rank=rank, world_size=world, seed=seed, batch_size=batch, decode=False, with_ids=True)
            data.set_epoch(epoch)
            loader = DataLoader(data, batch_size=batch, num_workers=workers, collate_fn=lambda items: [int(i[2]) for i in items])
            order = [i for ids in loader for i in ids]
            counts.add(len(order))
            assert order == data.ids(), (world, workers, rank)
            if rank == world - 1:
                assert order == [int(i) for i in out.split()], (world, workers, rank)
        assert counts == {-(-n // world)}, (world, workers, counts)
