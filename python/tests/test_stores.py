import hashlib
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import imagestash
from imagestash import DamagedRecord, NotAStore, ShardSet, open_store, store_kind


def _all(path):
    return list(imagestash.records(path))


@pytest.mark.parametrize("source", ["raw", "photos"])
def test_every_store_kind_reads_the_same_records(stores, source):
    read = {kind: _all(stores[(kind, source)]) for kind in ("lmdb", "hdf5", "folder")}
    lmdb = read["lmdb"]
    assert len(lmdb) == (40 if source == "raw" else 28)
    assert [r.id for r in lmdb] == sorted(r.id for r in lmdb)
    for kind, records in read.items():
        assert [(r.id, r.label, r.name, r.shape, r.encoding) for r in records] == \
               [(r.id, r.label, r.name, r.shape, r.encoding) for r in lmdb], kind
        assert [hashlib.sha256(r.payload).digest() for r in records] == [hashlib.sha256(r.payload).digest() for r in lmdb], kind


def test_raw_records_are_their_pixels_and_photos_keep_their_bytes(stores, photos_dir):
    for record in _all(stores[("hdf5", "raw")]):
        assert record.encoding == imagestash.RAW and record.shape == (10, 12, 3)
        assert imagestash.decode(record).shape == (10, 12, 3)
    photos = _all(stores[("lmdb", "photos")])
    encodings = {r.encoding for r in photos}
    assert {imagestash.JPEG, imagestash.PNG, imagestash.WEBP} <= encodings
    for record in photos:
        class_name, file = record.name.split("/")
        with open(os.path.join(photos_dir, class_name, file), "rb") as f:
            assert f.read() == record.payload, record.name
        pixels = imagestash.decode(record)
        assert pixels.shape == record.shape and pixels.dtype == np.uint8
    rotated = next(r for r in photos if r.name.endswith("exif-orientation-6.jpg"))
    assert imagestash.decode(rotated).shape == rotated.shape  # upright: the header's shape is after the EXIF turn


def test_class_names_and_labels_follow_the_folders(stores, photos_dir):
    with open_store(stores[("folder", "photos")]) as store:
        assert sorted(store.class_names) == sorted(os.listdir(photos_dir))
        for record in store:
            assert store.class_names[record.label] == record.name.split("/")[0]


def test_store_kinds_are_detected_once_for_every_reader(stores, shard_set, tmp_path):
    assert store_kind(stores[("lmdb", "raw")]) == "lmdb"
    assert store_kind(stores[("hdf5", "raw")]) == "hdf5"
    assert store_kind(stores[("folder", "raw")]) == "folder"
    assert store_kind(shard_set) == "shards"
    assert store_kind("s3://bucket/prefix") == "shards"
    with pytest.raises(NotAStore, match="is not an ImageStash store"):
        store_kind(str(tmp_path))
    with pytest.raises(NotAStore, match="does not exist"):
        open_store(str(tmp_path / "nothing"))


def test_a_shard_set_holds_the_store_it_was_written_from(stores, tmp_path, cli):
    cli("shard", stores[("lmdb", "photos")], tmp_path / "set", "--shard-size", "64KiB")
    data = ShardSet(tmp_path / "set")
    assert len(data.shards) > 1
    from_shards = sorted(_all(str(tmp_path / "set")), key=lambda r: r.id)
    assert from_shards == _all(stores[("lmdb", "photos")])
    assert sorted(data.ids.tolist()) == [r.id for r in from_shards]


def _damage(path, offset_from_end=1):
    with open(path, "r+b") as f:
        f.seek(-offset_from_end, os.SEEK_END)
        byte = f.read(1)
        f.seek(-offset_from_end, os.SEEK_END)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_a_damaged_folder_image_names_the_file_and_id(stores, tmp_path):
    import shutil

    path = tmp_path / "store"
    shutil.copytree(stores[("folder", "photos")], path)
    with open_store(path) as store:
        index = next(i for i in range(len(store)) if store.record(i).encoding == imagestash.JPEG)
        image_id = store.ids[index]
        file = imagestash.folder.image_file(str(path), image_id, imagestash.JPEG)
        _damage(file, 10)
        with pytest.raises(DamagedRecord) as e:
            store.record(index)
    assert isinstance(e.value, ValueError)
    assert e.value.path == file and e.value.record == f"id {image_id}"
    assert f"id {image_id}" in str(e.value) and "CRC-32" in str(e.value)


def test_a_damaged_lmdb_record_is_refused_even_under_python_O(stores, tmp_path):
    import shutil

    path = tmp_path / "store.lmdb"
    shutil.copytree(stores[("lmdb", "raw")], path)
    import lmdb

    env = lmdb.open(str(path), max_dbs=4, subdir=True)
    db = env.open_db(b"images")
    with env.begin(write=True, db=db) as txn:
        key = struct.pack(">q", 7)
        value = bytearray(txn.get(key))
        value[-1] ^= 0xFF
        txn.put(key, bytes(value))
    env.close()
    # -O strips assert statements: the check must not be one.
    script = "import sys, imagestash\ntry:\n    list(imagestash.records(sys.argv[1]))\nexcept imagestash.DamagedRecord as e:\n    print(e)\n"
    done = subprocess.run([sys.executable, "-O", "-c", script, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"'{path}', id 7: CRC-32" in done.stdout


def test_a_damaged_shard_names_the_shard(shard_set, tmp_path):
    import shutil

    copy = tmp_path / "set"
    shutil.copytree(shard_set, copy)
    data = ShardSet(copy)
    name = data.shards[1]["name"]
    _damage(copy / name, 1500)
    with pytest.raises(DamagedRecord, match=f"{name}': CRC-32 is .* the shard is damaged"):
        list(data.samples(1))
    assert len(list(data.samples(0))) == data.shard_samples[0]


def test_a_newer_shard_format_is_refused_in_one_line(shard_set, tmp_path):
    import json
    import shutil

    copy = tmp_path / "set"
    shutil.copytree(shard_set, copy)
    index = json.loads((copy / "index.json").read_text())
    newer = imagestash.shards.VERSION + 1
    index["version"] = newer
    (copy / "index.json").write_text(json.dumps(index))
    with pytest.raises(imagestash.NewerFormat, match=rf"written by a newer ImageStash \(shard format version {newer}; this one reads up to {newer - 1}\)"):
        ShardSet(copy)


def test_a_missing_optional_module_names_the_package(stores):
    script = ("import sys; sys.modules['h5py'] = None\nimport imagestash\n"
              "try:\n    imagestash.open_store(sys.argv[1])\nexcept imagestash.MissingDependency as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", script, stores[("hdf5", "raw")]], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "needs the Python module 'h5py': install it (apt-get install python3-h5py, or pip install h5py)" in done.stdout
    # Nothing optional is imported until a store needs it.
    done = subprocess.run([sys.executable, "-c", "import sys, imagestash; print(sorted({'lmdb', 'h5py', 'torch', 'boto3'} & set(sys.modules)))"],
                          capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr
