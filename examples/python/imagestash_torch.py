"""PyTorch datasets over ImageStash stores and shard sets, with numpy, PIL, py-lmdb, h5py and torch only.

    from imagestash_torch import StoreDataset, ShardDataset
    from torch.utils.data import DataLoader
    from torchvision import transforms

    train = StoreDataset("photos.lmdb", transform=transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.PILToTensor()]))
    loader = DataLoader(train, batch_size=256, shuffle=True, num_workers=2)

    shards = ShardDataset("photos-shards/", transform=..., rank=rank, world_size=world, shuffle=True, seed=1)
    for epoch in range(epochs):
        shards.set_epoch(epoch)
        for images, labels in DataLoader(shards, batch_size=256, num_workers=2): ...

`StoreDataset` is a map-style dataset over an LMDB, HDF5 (the article's fixed layout or the ragged one) or PNG
folder store, raw pixels or encoded images (kept JPEG/PNG/WebP bytes); each file is opened lazily in every
DataLoader worker. `ShardDataset` is an IterableDataset over a local shard set (the folder holding index.json):
shards are split by rank, then by worker, as WebDataset does, with an optional shuffle buffer; for a set in S3,
sync it to a local folder first (this module has no S3 client). Both yield `(image, label)`, or
`(image, label, id)` with `with_ids=True`; `image` is a PIL image turned upright by its EXIF orientation, in the
mode of its channels (L, RGB or RGBA), or with `as_array=True` a (H, W, C) uint8 numpy array, passed through
`transform` when given. Every payload is checked against
its CRC-32. Layouts: docs/formats/.
"""
import json
import os
import random
import struct
import tarfile
import zlib

import numpy as np
from PIL import Image
from torch.utils.data import Dataset, IterableDataset, get_worker_info

import read_store

MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def to_pil(encoding, shape, payload):
    """A record's image as PIL, upright, in the mode of its channels (decoded as read_store.decode does)."""
    pixels = read_store.decode(read_store.Record(None, None, None, tuple(shape), encoding, payload, False))
    return Image.fromarray(pixels[:, :, 0] if shape[2] == 1 else pixels, MODES[shape[2]])


def to_array(encoding, shape, payload):
    """A record's pixels as a (H, W, C) uint8 array, upright: raw pixels without a copy, encoded images decoded."""
    if encoding == read_store.RAW:
        return np.frombuffer(payload, dtype=np.uint8).reshape(shape)
    return read_store.decode(read_store.Record(None, None, None, tuple(shape), encoding, payload, False))


def _worker():
    """(number of DataLoader workers, this worker's index); (1, 0) outside a worker."""
    info = get_worker_info()
    return (info.num_workers, info.id) if info is not None else (1, 0)


class StoreDataset(Dataset):
    """Map-style: item i is the store's i-th image in id order (`ids[i]` is its id)."""

    def __init__(self, path, transform=None, with_ids=False, as_array=False):
        self.path, self.transform, self.with_ids, self.as_array = path, transform, with_ids, as_array
        self.class_names = read_store.class_names(path)
        if os.path.exists(os.path.join(path, "data.mdb")):
            self.kind = "lmdb"
            env = self._lmdb_env()
            with env.begin() as txn:
                db = env.open_db(b"images", txn=txn, create=False)
                self.ids = [struct.unpack(">q", key)[0] for key in txn.cursor(db=db).iternext(keys=True, values=False)]
            env.close()
        elif path.endswith((".h5", ".hdf5")):
            self.kind = "hdf5"
            import h5py

            with h5py.File(path, "r") as f:
                count = int(f.attrs["count"]) if "count" in f.attrs else len(f["/images"])
                ids = np.array(f["/ids"][:count]) if "ids" in f else np.arange(count)
            self._rows = np.argsort(ids, kind="stable")
            self.ids = [int(ids[r]) for r in self._rows]
        elif os.path.exists(os.path.join(path, "imagestash.json")):
            self.kind = "folder"
            import csv

            with open(os.path.join(path, "labels.csv"), newline="", encoding="utf-8") as f:
                self._rows = {int(row["id"]): row for row in csv.DictReader(f)}
            self.ids = sorted(self._rows)
        else:
            raise ValueError(f"{path}: not an ImageStash store (no data.mdb, .h5/.hdf5 or imagestash.json)")
        self._handle = None  # opened in each worker on first use: LMDB environments and HDF5 files don't survive fork

    def __len__(self):
        return len(self.ids)

    def _lmdb_env(self):
        import lmdb

        return lmdb.open(self.path, readonly=True, lock=False, max_dbs=4, subdir=True, readahead=False)

    def _open(self):
        if self._handle is None:
            if self.kind == "lmdb":
                env = self._lmdb_env()
                db = env.open_db(b"images", create=False)
                # One read transaction per worker for the dataset's life: a snapshot, as the id list is.
                self._handle = (env, env.begin(db=db))
            elif self.kind == "hdf5":
                import h5py

                f = h5py.File(self.path, "r")
                ragged = "payload" in f
                self._handle = (f, ragged, np.array(f["/meta"]).astype(np.int64) if "meta" in f else None,
                                np.array(f["/crc32"]) if "crc32" in f else None,
                                np.array(f["/payload_spans"]) if ragged else None,
                                np.array(f["/shapes"]) if ragged else None,
                                np.array(f["/encodings"]) if ragged else None)
            else:
                self._handle = True
        return self._handle

    def record(self, index):
        """(id, label, encoding, shape, payload) of item `index`, its CRC checked."""
        image_id = self.ids[index]
        handle = self._open()
        if self.kind == "lmdb":
            return _fields(read_store.lmdb_record(image_id, handle[1].get(struct.pack(">q", image_id))))
        if self.kind == "hdf5":
            f, ragged, labels, crcs, spans, shapes, encodings = handle
            row = int(self._rows[index])
            label = int(labels[row]) if labels is not None else 0
            if ragged:
                start, length = spans[row]
                payload = f["/payload"][start:start + length].tobytes()
                encoding, shape = int(encodings[row]), tuple(int(v) for v in shapes[row])
            else:
                pixels = np.asarray(f["/images"][row], dtype=np.uint8)
                shape = pixels.shape if pixels.ndim == 3 else pixels.shape + (1,)
                encoding, payload = read_store.RAW, pixels.tobytes()
            if crcs is not None and zlib.crc32(payload) != int(crcs[row]):
                raise ValueError(f"{self.path}: id {image_id} is damaged (CRC mismatch)")
            return image_id, label, encoding, shape, payload
        return _fields(read_store.folder_record(self.path, image_id, self._rows[image_id]))

    def __getitem__(self, index):
        if self.kind == "lmdb":
            return self._lmdb_item(index)
        return _item(self.record(index), self.transform, self.with_ids, self.as_array)

    def _lmdb_item(self, index):
        """__getitem__ for LMDB, the common case kept short: one get, the CRC over a view, no copy of raw pixels."""
        image_id = self.ids[index]
        txn = self._open()[1]
        value = txn.get(struct.pack(">q", image_id))
        version, encoding, channels, height, width, label, crc, name_len = read_store.LMDB_HEADER.unpack_from(value, 0)
        start = 24 + name_len
        if encoding == read_store.RAW and version == 2:
            if zlib.crc32(memoryview(value)[start:]) != crc:
                raise ValueError(f"{self.path}: id {image_id} is damaged (CRC mismatch)")
            image = np.frombuffer(value, np.uint8, height * width * channels, start).reshape(height, width, channels)
            if not self.as_array:
                image = Image.fromarray(image[:, :, 0] if channels == 1 else image, MODES[channels])
            if self.transform is not None:
                image = self.transform(image)
            return (image, label, image_id) if self.with_ids else (image, label)
        return _item(self.record(index), self.transform, self.with_ids, self.as_array)


class ShardDataset(IterableDataset):
    """Iterable over a local shard set: this rank's and this worker's shards, in a seeded order per epoch."""

    def __init__(self, folder, transform=None, rank=0, world_size=1, shuffle=False, seed=0, buffer=1000, with_ids=False, as_array=False):
        with open(os.path.join(folder, "index.json"), encoding="utf-8") as f:
            self.index = json.load(f)
        if self.index.get("format") != "imagestash-shards":
            raise ValueError(f"{folder}: index.json is not an ImageStash shard index")
        if self.index.get("version", 0) > 1:
            raise ValueError(f"{folder}: shard format version {self.index['version']}; this module reads up to 1")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size - 1}")
        self.folder, self.transform, self.rank, self.world_size = folder, transform, rank, world_size
        self.shuffle, self.seed, self.buffer, self.with_ids, self.as_array, self.epoch = shuffle, seed, buffer, with_ids, as_array, 0
        self.class_names = self.index.get("class_names") or []

    def set_epoch(self, epoch):
        """A new shard order and shuffle each epoch (call it before iterating, on every rank)."""
        self.epoch = epoch

    def shards(self):
        """The shard files this rank and worker read, in this epoch's order."""
        names = [s["name"] for s in self.index["shards"]]
        if self.shuffle:
            random.Random(self.seed * 1_000_003 + self.epoch).shuffle(names)
        workers, worker = _worker()
        return names[self.rank * workers + worker::self.world_size * workers]

    def samples(self, name):
        """(id, label, encoding, shape, payload) of every sample of one shard, its CRC checked."""
        with tarfile.open(os.path.join(self.folder, name), mode="r|") as tar:
            key, files = None, {}
            for member in tar:
                member_key, extension = member.name.split(".", 1)
                if member_key != key and files:
                    yield self._sample(name, files)
                    files = {}
                key = member_key
                files[extension] = tar.extractfile(member).read()
            if files:
                yield self._sample(name, files)

    @staticmethod
    def _sample(shard, files):
        meta = json.loads(files["json"])
        extension = next(e for e in files if e not in ("json", "cls"))
        payload = files[extension]
        if zlib.crc32(payload) != int(meta["crc32"], 16):
            raise ValueError(f"shard {shard}: sample {meta['id']} is damaged (CRC mismatch)")
        encoding = read_store.NAMES[meta["encoding"]]
        return meta["id"], meta["label"], encoding, (meta["height"], meta["width"], meta["channels"]), payload

    def __iter__(self):
        rng = random.Random(self.seed * 7919 + self.epoch * 104_729 + self.rank * 31 + _worker()[1])
        pool = []
        for name in self.shards():
            for sample in self.samples(name):
                if not self.shuffle:
                    yield _item(sample, self.transform, self.with_ids, self.as_array)
                    continue
                pool.append(sample)
                if len(pool) >= self.buffer:
                    yield _item(pool.pop(rng.randrange(len(pool))), self.transform, self.with_ids, self.as_array)
        rng.shuffle(pool)
        for sample in pool:
            yield _item(sample, self.transform, self.with_ids, self.as_array)


def _fields(record):
    """(id, label, encoding, shape, payload) of a read_store.Record."""
    return record.id, record.label, record.encoding, tuple(record.shape), record.payload


def _item(sample, transform, with_ids, as_array):
    """What a dataset yields for one (id, label, encoding, shape, payload)."""
    image_id, label, encoding, shape, payload = sample
    image = to_array(encoding, shape, payload) if as_array else to_pil(encoding, shape, payload)
    if transform is not None:
        image = transform(image)
    return (image, label, image_id) if with_ids else (image, label)
