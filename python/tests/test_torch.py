import os

import numpy as np
import pytest

import imagestash
from imagestash import plan

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402
from torchvision import transforms  # noqa: E402

from imagestash.torch import ShardDataset, StoreDataset  # noqa: E402


@pytest.mark.parametrize("kind", ["lmdb", "hdf5", "folder"])
def test_a_dataloader_with_two_workers_gives_every_image_of_every_store_kind(stores, kind):
    for source in ("raw", "photos"):
        path = stores[(kind, source)]
        expected = {r.id: r for r in imagestash.records(path)}
        data = StoreDataset(path, transform=transforms.PILToTensor(), with_ids=True)
        seen = []
        for image, label, image_id in DataLoader(data, batch_size=None, num_workers=2):
            record = expected[int(image_id)]
            assert int(label) == record.label
            assert np.array_equal(image.permute(1, 2, 0).numpy(), imagestash.decode(record)), (kind, source, record.name)
            seen.append(int(image_id))
        assert seen == sorted(expected)


def test_items_are_pil_images_or_arrays(stores):
    path = stores[("lmdb", "photos")]
    pil, label = StoreDataset(path)[0]
    array, label2, image_id = StoreDataset(path, as_array=True, with_ids=True)[0]
    assert pil.mode == "RGB" and label == label2 and image_id == imagestash.open_store(path).ids[0]
    assert np.array_equal(np.asarray(pil), array)
    raw, _ = StoreDataset(stores[("lmdb", "raw")], as_array=True)[3]
    assert raw.shape == (10, 12, 3) and raw.dtype == np.uint8


def test_mode_gives_every_image_one_mode_so_mixed_photos_make_batches(stores, tmp_path, cli):
    from PIL import Image

    path = stores[("lmdb", "photos")]
    assert {StoreDataset(path)[i][0].mode for i in range(len(StoreDataset(path)))} == {"L", "RGB", "RGBA"}
    assert {image.mode for image, _ in StoreDataset(path, mode="RGB")} == {"RGB"}
    cli("shard", path, tmp_path / "set", "--shard-size", "64KiB")
    crop = transforms.Compose([transforms.RandomResizedCrop(24), transforms.PILToTensor()])
    batches = list(DataLoader(ShardDataset(str(tmp_path / "set"), transform=crop, mode="RGB", batch_size=8), batch_size=8, num_workers=2))
    assert sum(len(labels) for _, labels in batches) == len(StoreDataset(path)) and batches[0][0].shape[1:] == (3, 24, 24)
    raw = stores[("lmdb", "raw")]  # the LMDB fast path converts too
    rgb, _ = StoreDataset(raw, as_array=True)[2]
    grey, _ = StoreDataset(raw, as_array=True, mode="L")[2]
    assert grey.shape == (10, 12, 1) and np.array_equal(grey[:, :, 0], np.asarray(Image.fromarray(rgb).convert("L")))
    assert StoreDataset(raw, mode="L")[2][0].mode == "L"
    with pytest.raises(ValueError, match="mode must be None"):
        StoreDataset(raw, mode="CMYK")


def test_every_rank_and_worker_count_gets_equal_samples_and_every_sample_is_read(shard_set):
    n = len(imagestash.ShardSet(shard_set))
    for world in range(1, 9):
        for workers in range(0, 5):
            for batch in (1, 4):
                per_rank, seen = set(), []
                for rank in range(world):
                    data = ShardDataset(shard_set, rank=rank, world_size=world, seed=3, batch_size=batch)
                    data.set_epoch(2)
                    parts = [data.ids(k, max(workers, 1)) for k in range(max(workers, 1))]
                    per_rank.add(tuple(len(p) for p in parts))
                    seen.extend(i for p in parts for i in p)
                    assert sorted(i for p in parts for i in p) == sorted(data.ids())
                assert len(per_rank) == 1, (world, workers, per_rank)
                assert sum(next(iter(per_rank))) == -(-n // world)
                assert set(seen) == set(imagestash.ShardSet(shard_set).ids.tolist())
                assert len(seen) - n < world  # at most one repeat per rank


def test_two_ranks_of_dataloaders_read_every_sample_once_in_the_planned_order(shard_set):
    expected = {r.id: r for r in imagestash.records(shard_set)}
    everything = []
    for rank in range(2):
        data = ShardDataset(shard_set, rank=rank, world_size=2, seed=1, batch_size=4, as_array=True, with_ids=True)
        data.set_epoch(1)
        order = []
        for images, labels, ids in DataLoader(data, batch_size=4, num_workers=2):
            for image, label, image_id in zip(images, labels, ids):
                record = expected[int(image_id)]
                assert int(label) == record.label and np.array_equal(image.numpy(), imagestash.decode(record))
                order.append(int(image_id))
        assert order == data.ids()  # the DataLoader hands out the rank's sequence in order
        everything.extend(order)
    assert sorted(set(everything)) == sorted(expected) and len(everything) - len(expected) <= 1


def test_epochs_differ_and_repeat(shard_set):
    data = ShardDataset(shard_set, seed=5)
    first = data.ids()
    data.set_epoch(1)
    assert data.ids() != first and sorted(data.ids()) == sorted(first)
    data.set_epoch(0)
    assert data.ids() == first
    unshuffled = ShardDataset(shard_set, shuffle=False)
    assert unshuffled.ids() == imagestash.ShardSet(shard_set).ids.tolist()


@pytest.mark.parametrize("old_world,new_world", [(2, 2), (2, 3), (3, 1)])
def test_a_resumed_epoch_reads_every_sample_once_on_any_world_size(shard_set, old_world, new_world):
    n = len(imagestash.ShardSet(shard_set))
    read, states = [], []
    for rank in range(old_world):
        data = ShardDataset(shard_set, rank=rank, world_size=old_world, seed=7, batch_size=4)
        data.set_epoch(3)
        read.extend(data.ids()[:5 * 4])
        states.append(data.state_dict(batches=5))
    assert len({s["Stream"] for s in states}) == 1
    for rank in range(new_world):
        data = ShardDataset(shard_set, rank=rank, world_size=new_world, seed=7, batch_size=4)
        data.load_state_dict(states[rank % old_world])
        assert data.epoch == 3
        read.extend(data.ids())
    # Every sample once, apart from the evening-out repeats (at most one per rank per segment).
    assert set(read) == set(imagestash.ShardSet(shard_set).ids.tolist())
    assert len(read) - n <= old_world + new_world


def test_an_old_plans_state_is_refused_in_one_line(shard_set):
    data = ShardDataset(shard_set, seed=0)
    with pytest.raises(ValueError, match=r"^the saved state's stream position 'shards-v1;window=2' is not a shards-v2 plan's"):
        data.load_state_dict({"Epoch": 0, "Batch": 1, "Seed": 0, "BatchSize": 1, "WorldSize": 1, "Stream": "shards-v1;window=2"})


def test_the_generator_is_splitmix64():
    # SplitMix64's published first outputs for seed 0 (Vigna's splitmix64.c): the spec's generator.
    state, out = 0, []
    for _ in range(3):
        state = (state + plan.GOLDEN) & plan.MASK
        out.append(plan.mix(state))
    assert out == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def test_the_numpy_shuffle_of_long_lists_draws_what_the_spec_loop_draws():
    def spec(values, state):
        for i in range(len(values) - 1, 0, -1):
            state = (state + plan.GOLDEN) & plan.MASK
            j = (plan.mix(state) * (i + 1)) >> 64
            values[i], values[j] = values[j], values[i]
        return values

    for n in (0, 1, 2, 64, 65, 1000, 70_001):
        for state in (0, 1, plan.MASK, 0x0123456789ABCDEF, plan.stream_seed(7, 3, 1)):
            assert plan.shuffle(list(range(n)), state) == spec(list(range(n)), state), (n, state)


def test_ddp_over_uneven_shards_finishes_and_every_sample_is_seen(shard_set, tmp_path):
    """Two processes in a gloo group all-reduce once per batch over a ShardDataset of uneven shards (the last one
    short): with unequal samples per rank one of them would block in all_reduce until the group's timeout."""
    import json
    import socket
    import subprocess
    import sys

    data = imagestash.ShardSet(shard_set)
    assert len(set(data.shard_samples)) > 1  # uneven shards
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = os.path.join(os.path.dirname(__file__), "ddp_rank.py")
    ranks = [subprocess.Popen([sys.executable, script, shard_set, str(r), "2", str(port), str(tmp_path / f"{r}.json")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(2)]
    for r, process in enumerate(ranks):
        _, err = process.communicate(timeout=240)
        assert process.returncode == 0, f"rank {r}: {err.strip()[-2000:]}"
    results = [json.loads((tmp_path / f"{r}.json").read_text()) for r in range(2)]
    assert results[0]["steps"] == results[1]["steps"] == results[0]["max_steps"]
    for epoch in range(2):
        ids = [i for result in results for e, batch in result["batches"] if e == epoch for i in batch]
        assert set(ids) == set(data.ids.tolist()) and len(ids) - len(data) <= 1, epoch
