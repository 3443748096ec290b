#!/usr/bin/env python3
"""Read an ImageStash store with the standard Python modules only, following docs/formats/.

    python3 read_store.py STORE OUT.npz

Saves `images` (N, H, W, C) uint8 in id order, `labels` (N,) int64 and `ids` (N,) int64. Works for the three
store kinds: an LMDB store (py-lmdb + numpy), an HDF5 store (h5py), a PNG folder store (PIL + csv).
Needs: python3-lmdb, python3-h5py, python3-numpy, python3-pil (Debian package names).
"""
import csv
import os
import struct
import sys
import zlib

import numpy as np


def read_lmdb(path):
    import lmdb

    env = lmdb.open(path, readonly=True, lock=False, max_dbs=4, subdir=True)
    meta = env.open_db(b"meta", create=False)
    images_db = env.open_db(b"images", create=False)
    ids, labels, pixels = [], [], []
    with env.begin() as txn:
        assert txn.get(b"format", db=meta) == b"imagestash-lmdb", "not an ImageStash LMDB store"
        for key, value in txn.cursor(db=images_db):
            (image_id,) = struct.unpack(">q", key)
            version, encoding, channels, height, width, label, crc, name_len = struct.unpack_from("<BBBxIIiIHxx", value, 0)
            assert version == 1, f"id {image_id}: record version {version}"
            payload = value[24 + name_len:]
            if encoding == 0:
                array = np.frombuffer(payload, dtype=np.uint8).reshape(height, width, channels)
            else:
                array = decode_png(payload, channels)
            assert zlib.crc32(array.tobytes()) == crc, f"id {image_id}: CRC mismatch"
            ids.append(image_id)
            labels.append(label)
            pixels.append(array)
    env.close()
    return ids, labels, pixels


def read_hdf5(path):
    import h5py

    with h5py.File(path, "r") as f:
        # The article's own read code works on our files unchanged:
        #   images = np.array(f["/images"]).astype("uint8"); labels = np.array(f["/meta"]).astype("uint8")
        # Here labels keep their full range (/meta is int32 in our files, uint8 in the article's).
        images = np.array(f["/images"]).astype("uint8")
        labels = np.array(f["/meta"]).astype(np.int64)
        count = int(f.attrs["count"]) if "count" in f.attrs else len(images)  # rows past it: unfinished append
        ids = np.array(f["/ids"])[:count] if "ids" in f else np.arange(count)
        images, labels = images[:count], labels[:count]
        if "crc32" in f:
            crcs = np.array(f["/crc32"])[:count]
            for i in range(count):
                assert zlib.crc32(images[i].tobytes()) == int(crcs[i]), f"id {ids[i]}: CRC mismatch"
        order = np.argsort(ids, kind="stable")
        return [int(i) for i in ids[order]], [int(l) for l in labels[order]], list(images[order])


def decode_png(data, channels):
    import io
    from PIL import Image

    mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
    return np.asarray(Image.open(io.BytesIO(data)).convert(mode), dtype=np.uint8)


def read_png_folder(path):
    from PIL import Image

    rows = {}
    with open(os.path.join(path, "labels.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[int(row["id"])] = row  # a later row for an id replaces an earlier one
    ids = sorted(rows)
    labels, pixels = [], []
    for image_id in ids:
        channels = int(rows[image_id]["channels"])
        with Image.open(os.path.join(path, "images", f"{image_id % 256:02x}", f"{image_id}.png")) as im:
            pixels.append(np.asarray(im.convert({1: "L", 3: "RGB", 4: "RGBA"}[channels]), dtype=np.uint8))
        labels.append(int(rows[image_id]["label"]))
    return ids, labels, pixels


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    store, out = sys.argv[1], sys.argv[2]
    if os.path.exists(os.path.join(store, "data.mdb")):
        ids, labels, pixels = read_lmdb(store)
    elif store.endswith((".h5", ".hdf5")):
        ids, labels, pixels = read_hdf5(store)
    elif os.path.exists(os.path.join(store, "imagestash.json")):
        ids, labels, pixels = read_png_folder(store)
    else:
        sys.exit(f"{store}: not an ImageStash store")
    images = np.stack(pixels) if pixels else np.zeros((0, 0, 0, 0), np.uint8)
    np.savez(out, images=images, labels=np.array(labels, dtype=np.int64), ids=np.array(ids, dtype=np.int64))
    print(f"{store}: {len(ids)} images {images.shape[1:]} -> {out}")


if __name__ == "__main__":
    main()
