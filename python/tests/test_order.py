"""Python's ShardDataset against the C# loader, through `imagestash order`: the same ids in the same order, and
saved states that move between the two."""
import json
import subprocess

import pytest

pytest.importorskip("torch")
from imagestash.torch import ShardDataset  # noqa: E402

from conftest import imagestash, imagestash_all  # noqa: E402

CASES = [  # seed, epoch, rank, world, shuffle
    (0, 0, 0, 1, True), (5, 2, 0, 3, True), (5, 2, 1, 3, True), (5, 2, 2, 3, True), (9, 1, 1, 2, False), (3, 4, 6, 8, True),
]


def _ids(out):
    return [int(i) for i in out.split()]


def test_python_reads_exactly_what_imagestash_order_prints(shard_set):
    outputs = imagestash_all([["order", shard_set, "--seed", s, "--epoch", e, "--rank", r, "--world-size", w] + ([] if shuffle else ["--no-shuffle"])
                              for s, e, r, w, shuffle in CASES])
    lengths = {}
    for (seed, epoch, rank, world, shuffle), out in zip(CASES, outputs):
        data = ShardDataset(shard_set, rank=rank, world_size=world, seed=seed, shuffle=shuffle)
        data.set_epoch(epoch)
        assert data.ids() == _ids(out), (seed, epoch, rank, world)
        lengths.setdefault((seed, epoch, world), set()).add(len(_ids(out)))
    assert all(len(v) == 1 for v in lengths.values())  # every rank the same count, on the C# side too


def test_batches_print_one_per_line(shard_set):
    lines = imagestash("order", shard_set, "--seed", 1, "--batch", 7).splitlines()
    data = ShardDataset(shard_set, seed=1, batch_size=7)
    assert [len(line.split()) for line in lines[:-1]] == [7] * (len(lines) - 1)
    assert _ids(" ".join(lines)) == data.ids()


def test_a_state_saved_by_the_csharp_loader_resumes_in_python_on_another_world_size(shard_set, tmp_path):
    saved = [tmp_path / f"rank{r}.json" for r in range(2)]
    imagestash_all([["order", shard_set, "--seed", 4, "--epoch", 1, "--rank", r, "--world-size", 2, "--batch", 4,
                     "--save-after", 3, "--save", saved[r]] for r in range(2)])
    states = [json.loads(p.read_text()) for p in saved]
    assert states[0]["Stream"].startswith("shards-v2;window=2") and states[0]["Batch"] == 3
    resumed = imagestash_all([["order", shard_set, "--seed", 4, "--rank", r, "--world-size", 3, "--resume", saved[0]] for r in range(3)])
    everything = []
    for rank in range(3):
        data = ShardDataset(shard_set, rank=rank, world_size=3, seed=4, batch_size=4)
        data.load_state_dict(states[0])
        assert data.ids() == _ids(resumed[rank]), rank
        everything += data.ids()
    first = [ShardDataset(shard_set, rank=r, world_size=2, seed=4, batch_size=4) for r in range(2)]
    for d in first:
        d.set_epoch(1)
        everything += d.ids()[:12]
    assert set(everything) == set(first[0].set.ids.tolist())


def test_a_state_saved_by_python_resumes_in_csharp(shard_set, tmp_path):
    data = ShardDataset(shard_set, rank=1, world_size=2, seed=8, batch_size=5)
    data.set_epoch(2)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data.state_dict(batches=4)))
    rest = data.ids()[20:]
    assert _ids(imagestash("order", shard_set, "--seed", 8, "--rank", 1, "--world-size", 2, "--resume", path)) == rest
    again = ShardDataset(shard_set, rank=1, world_size=2, seed=8, batch_size=5)
    again.load_state_dict(json.loads(path.read_text()))
    assert again.ids() == rest


def test_a_state_from_the_old_plan_is_refused_by_csharp_in_one_line(shard_set, tmp_path):
    path = tmp_path / "v1.json"
    path.write_text(json.dumps({"Epoch": 0, "Batch": 1, "Seed": 0, "BatchSize": 1, "WorldSize": 1, "Stream": "shards-v1;window=2"}))
    done = imagestash("order", shard_set, "--resume", path, check=False)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "epoch plan v1" in done.stderr, done.stderr
