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
    assert shards._scan_written(repacked, len(repacked)) is None
    (copy / name).write_bytes(repacked)
    index = json.loads((copy / "index.json").read_text())
    index["shards"][0]["bytes"] = len(repacked)
    (copy / "index.json").write_text(json.dumps(index))
    _rewrite_index(copy, name, repacked)
    assert list(imagestash.ShardSet(copy).samples(0)) == list(data.samples(0))
