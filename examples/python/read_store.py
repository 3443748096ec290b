#!/usr/bin/env python3
"""Read an ImageStash store with the standard Python modules only, following docs/formats/.

    python3 read_store.py STORE OUT.npz

Every store kind and layout: an LMDB store (py-lmdb), an HDF5 store in the article's fixed layout or the ragged
one (h5py), a PNG folder store (csv); raw pixels and encoded files (JPEG, PNG, WebP, decoded with PIL, turned
upright by their EXIF orientation as ImageStash does). Every payload is checked against its CRC-32.

OUT.npz holds `ids`, `labels` (N,) int64, `shapes` (N, 3) int64, `encodings` (N,) (0 raw, 1 PNG, 2 JPEG, 3 WebP),
`pixels` (every image's decoded HWC bytes back to back) with `offsets` (N + 1,), `payload_sha256` (N,) of the
stored bytes, and `images` (N, H, W, C) when all images have one shape.

As a module: `records(path)` yields one `Record` per image in id order; `decode(record)` gives its pixels.
Needs: python3-lmdb, python3-h5py, python3-numpy, python3-pil (Debian package names).
"""
import csv
import hashlib
import io
import json
import os
import struct
import sys
import zlib
from collections import namedtuple

import numpy as np

RAW, PNG, JPEG, WEBP = 0, 1, 2, 3
NAMES = {"raw": RAW, "png": PNG, "jpeg": JPEG, "webp": WEBP}
EXTENSIONS = {RAW: ".png", PNG: ".png", JPEG: ".jpg", WEBP: ".webp"}

# One image: id, label, name (or None), shape (height, width, channels) as decoded and upright, encoding, and the
# payload as stored (raw HWC pixels, or the encoded file's bytes). `pixel_crc` marks an old LMDB PNG record whose
# CRC covers its decoded pixels rather than its bytes.
Record = namedtuple("Record", "id label name shape encoding payload pixel_crc")


def decode(record):
    """The record's pixels, (H, W, C) uint8, upright."""
    height, width, channels = record.shape
    if record.encoding == RAW:
        return np.frombuffer(record.payload, dtype=np.uint8).reshape(height, width, channels)
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(record.payload)) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("I", "I;16", "I;16B"):
            # 16-bit grey: PIL's convert("L") clips at 255; keep the high byte, as ImageStash (and Skia) do.
            image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8), "L")
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
        if image.mode != mode:
            image = image.convert(mode)
        array = np.asarray(image, dtype=np.uint8)
    return array.reshape(height, width, channels)


def class_names(path):
    """The store's class names, indexed by label ([] when unknown)."""
    if os.path.exists(os.path.join(path, "data.mdb")):
        import lmdb

        env = lmdb.open(path, readonly=True, lock=False, max_dbs=4, subdir=True)
        meta = env.open_db(b"meta", create=False)  # opened before the read transaction, which cannot open one
        with env.begin() as txn:
            names = txn.get(b"class_names", db=meta)
        env.close()
        return json.loads(names) if names else []
    if path.endswith((".h5", ".hdf5")):
        import h5py

        with h5py.File(path, "r") as f:
            return json.loads(f.attrs["class_names"]) if "class_names" in f.attrs else []
    with open(os.path.join(path, "imagestash.json"), encoding="utf-8") as f:
        return json.load(f).get("class_names") or []


def records(path):
    """Every record of the store at `path`, in id order."""
    if os.path.exists(os.path.join(path, "data.mdb")):
        return _lmdb(path)
    if path.endswith((".h5", ".hdf5")):
        return _hdf5(path)
    if os.path.exists(os.path.join(path, "imagestash.json")):
        return _folder(path)
    raise ValueError(f"{path}: not an ImageStash store")


def _check(record, crc):
    data = decode(record).tobytes() if record.pixel_crc else record.payload
    if zlib.crc32(data) != crc:
        raise ValueError(f"id {record.id}: CRC mismatch")
    return record


def _lmdb(path):
    import lmdb

    env = lmdb.open(path, readonly=True, lock=False, max_dbs=4, subdir=True)
    meta = env.open_db(b"meta", create=False)
    images_db = env.open_db(b"images", create=False)
    with env.begin() as txn:
        assert txn.get(b"format", db=meta) == b"imagestash-lmdb", "not an ImageStash LMDB store"
        for key, value in txn.cursor(db=images_db):
            yield lmdb_record(struct.unpack(">q", key)[0], value)
    env.close()


LMDB_HEADER = struct.Struct("<BBBxIIiIHxx")


def lmdb_record(image_id, value):
    """One value of an LMDB store's `images` database as a Record, its CRC checked."""
    version, encoding, channels, height, width, label, crc, name_len = LMDB_HEADER.unpack_from(value, 0)
    assert version in (1, 2), f"id {image_id}: record version {version}"
    name = bytes(value[24:24 + name_len]).decode() if name_len else None
    payload = bytes(value[24 + name_len:])
    return _check(Record(image_id, label, name, (height, width, channels), encoding, payload,
                         version == 1 and encoding == PNG), crc)


def _hdf5(path):
    import h5py

    with h5py.File(path, "r") as f:
        count = int(f.attrs["count"]) if "count" in f.attrs else None
        ragged = "payload" in f
        if not ragged:
            # The article's fixed layout; its own read code works on our files unchanged:
            #   images = np.array(f["/images"]).astype("uint8"); labels = np.array(f["/meta"]).astype("uint8")
            images = f["/images"]
            count = len(images) if count is None else count
        count = count or 0
        labels = np.array(f["/meta"][:count]).astype(np.int64) if "meta" in f else np.zeros(count, np.int64)
        ids = np.array(f["/ids"][:count]) if "ids" in f else np.arange(count)
        crcs = np.array(f["/crc32"][:count]) if "crc32" in f else None
        name_spans = np.array(f["/name_spans"][:count]) if "name_spans" in f else None
        name_bytes = np.array(f["/name_bytes"]).tobytes() if "name_bytes" in f else b""
        if ragged:
            spans = np.array(f["/payload_spans"][:count])
            shapes = np.array(f["/shapes"][:count])
            encodings = np.array(f["/encodings"][:count])
            payload = f["/payload"]
        for row in np.argsort(ids, kind="stable"):
            name = None
            if name_spans is not None and name_spans[row][1] > 0:
                s, n = name_spans[row]
                name = name_bytes[s:s + n].decode()
            if ragged:
                s, n = spans[row]
                record = Record(int(ids[row]), int(labels[row]), name, tuple(int(v) for v in shapes[row]),
                                int(encodings[row]), payload[s:s + n].tobytes(), False)
            else:
                pixels = np.asarray(images[row], dtype=np.uint8)
                shape = pixels.shape if pixels.ndim == 3 else pixels.shape + (1,)
                record = Record(int(ids[row]), int(labels[row]), name, shape, RAW, pixels.tobytes(), False)
            yield _check(record, int(crcs[row])) if crcs is not None else record


def _folder(path):
    rows = {}
    with open(os.path.join(path, "labels.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows[int(row["id"])] = row  # a later row for an id replaces an earlier one
    for image_id in sorted(rows):
        yield folder_record(path, image_id, rows[image_id])


def folder_record(path, image_id, row):
    """One image of a PNG folder store as a Record, from its labels.csv row; its CRC checked."""
    encoding = NAMES.get(row.get("encoding", "raw"), None)
    encoding = int(row["encoding"]) if encoding is None else encoding
    shape = (int(row["height"]), int(row["width"]), int(row["channels"]))
    file = os.path.join(path, "images", f"{image_id % 256:02x}", f"{image_id}{EXTENSIONS.get(encoding, '')}")
    with open(file, "rb") as f:
        data = f.read()
    name = row["name"] or None
    if encoding == RAW:
        # Raw pixels are kept as a lossless PNG: the record is its decoded pixels (PNG checks its own CRCs).
        png = Record(image_id, int(row["label"]), name, shape, PNG, data, False)
        return png._replace(encoding=RAW, payload=decode(png).tobytes())
    return _check(Record(image_id, int(row["label"]), name, shape, encoding, data, False), int(row["crc32"], 16))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    store, out = sys.argv[1], sys.argv[2]
    try:
        found = list(records(store))
    except ValueError as e:
        sys.exit(str(e))
    pixels = [decode(r) for r in found]
    offsets = np.cumsum([0] + [p.size for p in pixels])
    shapes = np.array([r.shape for r in found], dtype=np.int64).reshape(-1, 3)
    arrays = dict(
        ids=np.array([r.id for r in found], dtype=np.int64),
        labels=np.array([r.label for r in found], dtype=np.int64),
        shapes=shapes,
        encodings=np.array([r.encoding for r in found], dtype=np.int64),
        pixels=np.concatenate([p.ravel() for p in pixels]) if pixels else np.zeros(0, np.uint8),
        offsets=offsets,
        payload_sha256=np.array([hashlib.sha256(r.payload).hexdigest() for r in found]),
    )
    if pixels and len({p.shape for p in pixels}) == 1:
        arrays["images"] = np.stack(pixels)
    np.savez(out, **arrays)
    print(f"{store}: {len(found)} images -> {out}")


if __name__ == "__main__":
    main()
