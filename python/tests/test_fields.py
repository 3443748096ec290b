"""Fields per record (a caption, tags, ...): written by the C# tool from a folder's metadata.jsonl, read back by
every reader of the package and handed out by the torch datasets with `with_fields=True`."""
import json
import os
import shutil

import pytest

import imagestash

from conftest import SUFFIX, TEST_DATA, imagestash as cli_run, imagestash_all

torch = pytest.importorskip("torch")
from imagestash.torch import ShardDataset, StoreDataset  # noqa: E402


@pytest.fixture(scope="session")
def with_fields(tmp_path_factory):
    """({kind: path} for every store kind and a shard set, {file name: fields or None}): test photos in class
    folders, two in three captioned in a metadata.jsonl (non-ASCII text, a list of tags, a nested object)."""
    root = tmp_path_factory.mktemp("fields")
    source = root / "photos"
    shutil.copytree(os.path.join(TEST_DATA, "photos"), source)
    names = sorted(os.path.relpath(os.path.join(d, f), source).replace(os.sep, "/")
                   for d, _, files in os.walk(source) for f in files)
    expected = {}
    with open(source / "metadata.jsonl", "w", encoding="utf-8") as f:
        for i, name in enumerate(names):
            if i % 3 == 2:
                expected[name] = None
                continue
            fields = {"text": f"photo {i}: a \"café\" — 猫", "tags": ["t", str(i)], "source": {"n": i, "ok": True}}
            expected[name] = fields
            f.write(json.dumps({"file_name": name, **fields}, ensure_ascii=False) + "\n")
    paths = {kind: str(root / f"fields-{kind}{suffix}") for kind, suffix in SUFFIX.items()}
    imagestash_all([["import", source, path, "--batch", "8"] for path in paths.values()])
    paths["shards"] = str(root / "set")
    cli_run("shard", paths["lmdb"], paths["shards"], "--shard-size", "64KiB")
    return paths, expected


@pytest.mark.parametrize("kind", ["lmdb", "hdf5", "folder", "shards"])
def test_every_reader_gives_each_record_its_fields(with_fields, kind):
    paths, expected = with_fields
    records = list(imagestash.records(paths[kind]))
    assert len(records) == len(expected)
    assert {r.name: r.fields for r in records} == expected


@pytest.mark.parametrize("kind", ["lmdb", "hdf5", "folder"])
def test_store_dataset_hands_out_fields_when_asked(with_fields, kind):
    paths, expected = with_fields
    plain = StoreDataset(paths[kind], as_array=True)
    data = StoreDataset(paths[kind], as_array=True, with_ids=True, with_fields=True)
    names = {r.id: r.name for r in imagestash.records(paths[kind])}
    for i in range(len(data)):
        image, label, image_id, fields = data[i]
        assert fields == expected[names[image_id]]
        image2, label2 = plain[i]
        assert label == label2 and (image == image2).all()


@pytest.mark.parametrize("decode", [True, False])
def test_shard_dataset_hands_out_fields_when_asked(with_fields, decode):
    paths, expected = with_fields
    names = {r.id: r.name for r in imagestash.records(paths["shards"])}
    seen = {}
    for item in ShardDataset(paths["shards"], with_ids=True, with_fields=True, decode=decode, as_array=True):
        image, _, image_id, fields = item
        seen[names[int(image_id)]] = fields
        assert decode or type(image) is bytes  # raw payloads are bytes, with fields or without
    assert seen == expected
    assert len(next(iter(ShardDataset(paths["shards"], decode=decode)))) == 2
