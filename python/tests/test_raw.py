"""ShardDataset(decode=False): the payloads as stored, each checked against its CRC-32."""
import json
import shutil
import zlib

import numpy as np
import pytest

import imagestash
from imagestash import DamagedRecord

pytest.importorskip("torch")
from imagestash.torch import ShardDataset  # noqa: E402


def test_raw_items_are_the_stored_payloads_with_their_labels_and_ids(shard_set):
    expected = {r.id: r for r in imagestash.records(shard_set)}
    data = ShardDataset(shard_set, rank=1, world_size=2, seed=6, decode=False, with_ids=True)
    seen = []
    for payload, label, image_id in data:
        record = expected[image_id]
        assert bytes(payload) == record.payload and label == record.label
        seen.append(image_id)
    assert seen == data.ids()
    payload, label = next(iter(ShardDataset(shard_set, shuffle=False, decode=False)))
    first = next(imagestash.records(shard_set))
    assert bytes(payload) == first.payload and label == first.label


@pytest.mark.parametrize("limit", [None, 0])
def test_raw_runs_of_every_rank_and_worker_slice_are_the_planned_samples(shard_set, monkeypatch, limit):
    # limit 0: every shard "too big" for the whole-shard read, so the per-sample path over the map is taken instead.
    from imagestash import shards

    if limit is not None:
        monkeypatch.setattr(shards, "RAW_BUFFER_LIMIT", limit)
    expected = {r.id: r for r in imagestash.records(shard_set)}
    for shuffle in (True, False):
        for world in (1, 3):
            for rank in range(world):
                data = ShardDataset(shard_set, rank=rank, world_size=world, seed=2, shuffle=shuffle, batch_size=4,
                                    window=3, decode=False, with_ids=True)
                for workers in (1, 2):
                    for worker in range(workers):
                        ranges = data.positions(worker, workers)
                        items = list(data._raw_items(data.plan(), ranges))
                        assert [i for _, _, i in items] == data.ids(worker, workers)
                        for payload, label, image_id in items:
                            assert bytes(payload) == expected[image_id].payload and label == expected[image_id].label


def test_raw_payloads_are_bytes_that_outlive_the_iteration(shard_set):
    items = list(ShardDataset(shard_set, shuffle=False, decode=False))  # every shard read and let go meanwhile
    assert all(type(payload) is bytes for payload, _ in items)
    assert [(p, label) for p, label in items] == [(r.payload, r.label) for r in imagestash.records(shard_set)]


def _damaged_copy(shard_set, tmp_path, damage):
    copy = tmp_path / "set"
    shutil.copytree(shard_set, copy)
    name = imagestash.ShardSet(copy).shards[1]["name"]
    raw = bytearray((copy / name).read_bytes())
    (copy / name).write_bytes(damage(raw))
    return copy, name


def test_a_damaged_shard_is_refused_by_its_whole_crc_naming_it_when_read_raw(shard_set, tmp_path):
    def flip(raw):
        raw[len(raw) // 2] ^= 0x01
        return raw

    copy, name = _damaged_copy(shard_set, tmp_path, flip)
    with pytest.raises(DamagedRecord, match=rf"{name}': CRC-32 is [0-9a-f]{{8}}, index.json says [0-9a-f]{{8}}: the shard is damaged"):
        list(ShardDataset(copy, shuffle=False, decode=False))


@pytest.mark.parametrize("change", ["truncated", "longer"])
def test_a_shard_of_another_size_is_refused_naming_it_when_read_raw(shard_set, tmp_path, change):
    copy, name = _damaged_copy(shard_set, tmp_path, lambda raw: raw[:-512] if change == "truncated" else raw + bytes(512))
    with pytest.raises(DamagedRecord, match=rf"{name}': is [0-9,]+ bytes, index.json says [0-9,]+ \(truncated or replaced\)"):
        list(ShardDataset(copy, shuffle=False, decode=False))


def _rewrite_index(folder, name, data):
    """The shard's entry in index.json made to match its bytes again, so only the payload's own CRC can tell."""
    index = json.loads((folder / "index.json").read_text())
    entry = next(s for s in index["shards"] if s["name"] == name)
    entry["crc32"] = f"{zlib.crc32(data):08x}"
    (folder / "index.json").write_text(json.dumps(index))


def test_a_raw_payload_that_does_not_match_its_crc_is_refused_naming_the_shard_and_sample(shard_set, tmp_path):
    copy = tmp_path / "set"
    shutil.copytree(shard_set, copy)
    data = imagestash.ShardSet(copy)
    name = data.shards[0]["name"]
    with data.open(0) as shard:
        _, _, start, _ = shard.samples[2]
        meta, _ = shard.payload(2)
    raw = bytearray((copy / name).read_bytes())
    raw[start] ^= 0xFF
    (copy / name).write_bytes(raw)
    _rewrite_index(copy, name, bytes(raw))
    with pytest.raises(DamagedRecord, match=rf"{name}', sample {meta['id']}: payload CRC-32 is [0-9a-f]{{8}}, its \.json says {meta['crc32']}"):
        list(ShardDataset(copy, shuffle=False, decode=False))
    assert np.array_equal(imagestash.ShardSet(copy).ids, data.ids)


def test_shards_as_imagestash_writes_them_take_the_quick_scan_and_others_the_general_one(shard_set, tmp_path):
    import io
    import tarfile

    from imagestash import shards

    data = imagestash.ShardSet(shard_set)
    for entry in data.shards:
        with open(f"{shard_set}/{entry['name']}", "rb") as f:
            raw = f.read()
        quick = shards._scan_written(raw, len(raw))
        assert quick is not None and quick == shards._scan(memoryview(raw), entry["name"])
        assert shards._scan_blocks(raw, len(raw)).T.tolist() == [list(span) for span in quick]
    # The same shard repacked by Python's tarfile (PAX headers, a folder in every name): only the general scan reads it.
    copy = tmp_path / "set"
    shutil.copytree(shard_set, copy)
    name = data.shards[0]["name"]
    out = io.BytesIO()
    with tarfile.open(copy / name) as source, tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            member.name = "repacked/" + member.name
            member.pax_headers = {"comment": "repacked"}
            target.addfile(member, io.BytesIO(content))
    repacked = out.getvalue()
    assert shards._scan_written(repacked, len(repacked)) is None and shards._scan_blocks(repacked, len(repacked)) is None
    (copy / name).write_bytes(repacked)
    index = json.loads((copy / "index.json").read_text())
    index["shards"][0]["bytes"] = len(repacked)
    (copy / "index.json").write_text(json.dumps(index))
    _rewrite_index(copy, name, repacked)
    assert list(imagestash.ShardSet(copy).samples(0)) == list(data.samples(0))
