"""PyTorch datasets over ImageStash stores and shard sets.

    from imagestash.torch import StoreDataset, ShardDataset

`StoreDataset` is map-style over an LMDB, HDF5 or PNG folder store; `ShardDataset` is iterable over a shard set in a
folder or under s3://, and hands every rank the same number of samples in the epoch plan's order (the C# loader's,
docs/formats/shards.md). Items are `(image, label)`, or `(image, label, id)` with `with_ids=True`, then the record's
fields (a dict: caption, tags, ...; None when it has none) with `with_fields=True`; `image` is a PIL
image (upright, mode L/RGB/RGBA as stored, or `mode` when given: "RGB" for photo sets that mix greyscale and colour,
as ImageFolder does), or with `as_array=True` a (H, W, C) uint8 numpy array, passed through `transform` when one is
given. Every payload is checked against its CRC-32; files are opened in each DataLoader worker.
"""
import bisect
import itertools
import zlib

import numpy as np

from . import plan as _plan
from ._optional import require
from .detect import open_store
from .errors import DamagedRecord
from .lmdb import HEADER as _LMDB_HEADER, KEY as _LMDB_KEY, LmdbStore
from .record import ENCODINGS, MODES, RAW, Record, decode, to_pil
from .shards import RawReader, ShardSet

_torch_data = require("torch.utils.data", "imagestash.torch")
Dataset, IterableDataset, get_worker_info = _torch_data.Dataset, _torch_data.IterableDataset, _torch_data.get_worker_info


def _image(record, as_array, mode):
    if mode is None:
        return decode(record) if as_array else to_pil(record)
    return _converted(to_pil(record), as_array, mode)


def _converted(image, as_array, mode):
    """A PIL image in `mode` (a numpy (H, W, C) array with as_array)."""
    if image.mode != mode:
        image = image.convert(mode)
    if not as_array:
        return image
    pixels = np.asarray(image)
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def _check_mode(mode):
    if mode is not None and mode not in MODES.values():
        raise ValueError(f"mode must be None (as stored) or one of {', '.join(MODES.values())} (got {mode!r})")
    return mode


class _Items:
    def _item(self, record):
        image = _image(record, self.as_array, self.mode)
        if self.transform is not None:
            image = self.transform(image)
        return _tuple(self, image, record.label, record.id, record.fields)


def _tuple(items, image, label, image_id, fields):
    """(image, label), then the id with `with_ids`, then the fields (a dict, or None) with `with_fields`."""
    out = (image, label)
    if items.with_ids:
        out += (image_id,)
    if items.with_fields:
        out += (fields,)
    return out


class StoreDataset(_Items, Dataset):
    """Map-style: item i is the store's i-th image in id order (`ids[i]` is its id). `with_fields=True` adds each
    record's fields (a dict parsed from its JSON object: caption, tags, ...; None when it has none) to the item."""

    def __init__(self, path, transform=None, with_ids=False, as_array=False, mode=None, with_fields=False):
        self.mode = _check_mode(mode)
        self.store = open_store(path)
        self.path, self.transform, self.with_ids, self.as_array = self.store.path, transform, with_ids, as_array
        self.with_fields = with_fields
        self.ids, self.class_names = self.store.ids, self.store.class_names
        self._lmdb = isinstance(self.store, LmdbStore)

    def __len__(self):
        return len(self.store)

    def __getitem__(self, index):
        if self._lmdb:
            return self._lmdb_item(index)
        return self._item(self.store.record(index))

    def _lmdb_item(self, index):
        """The common case kept short: one get, the CRC over a view of the map, raw pixels without a copy."""
        store = self.store
        image_id = store.ids[index]
        value = (store._handle or store._opened())[1].get(_LMDB_KEY.pack(image_id))
        if value is None:
            return self._item(store.record(index))  # raises the error naming the store and id
        version, encoding, channels, height, width, label, crc, name_len, _ = _LMDB_HEADER.unpack_from(value, 0)
        if encoding != RAW or version != 2 or self.with_fields:
            return self._item(self.store.record(index))
        start = _LMDB_HEADER.size + name_len
        if len(value) - start != height * width * channels or zlib.crc32(value[start:]) != crc:
            self.store.record(index)  # raises the error naming the store and id
        image = np.frombuffer(value, np.uint8, height * width * channels, start).reshape(height, width, channels).copy()
        if not self.as_array or (self.mode is not None and self.mode != MODES[channels]):
            from PIL import Image

            image = Image.fromarray(image[:, :, 0] if channels == 1 else image, MODES[channels])
            if self.mode is not None:
                image = _converted(image, self.as_array, self.mode)
        if self.transform is not None:
            image = self.transform(image)
        return _tuple(self, image, label, image_id, None)


def _worker():
    """(number of DataLoader workers, this worker's index); (1, 0) outside a worker."""
    info = get_worker_info()
    return (info.num_workers, info.id) if info is not None else (1, 0)


class ShardDataset(_Items, IterableDataset):
    """Iterable over a shard set (a folder holding index.json, or s3://BUCKET/PREFIX) for one rank.

    Every epoch (`set_epoch`) follows the epoch plan: the shards in a seeded order, the samples of each run of
    `window` shards in a seeded permutation, rank r of `world_size` taking the r-th contiguous range and every rank
    exactly ⌈samples / world_size⌉ (a short rank repeats its first sample). In DataLoader workers, worker k of K
    takes the rank's batches k, k + K, … (batches of `batch_size`, the DataLoader's), so the DataLoader hands out
    the rank's sequence in order, as `imagestash order` prints it. `shuffle=False` reads the set as written.
    `decode=False` hands out each payload as stored (`bytes`: the encoded file, or raw pixels) instead of an image:
    each shard is then read whole into memory once (at most `window + 1` shards' payloads held), its size and CRC-32
    checked against the index and each payload's against its .json (see `imagestash.shards.RawReader`).
    S3 options (`endpoint`, `cache_dir`, `cache_limit`, …) go to `imagestash.s3.S3Location`.
    """

    def __init__(self, path, transform=None, rank=0, world_size=1, shuffle=True, seed=0, batch_size=1, window=2,
                 with_ids=False, as_array=False, decode=True, mode=None, with_fields=False, **s3_options):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size - 1}")
        if batch_size < 1 or not 1 <= window <= 64:
            raise ValueError(f"batch_size must be at least 1 (got {batch_size}) and window 1 to 64 shards (got {window})")
        self.mode = _check_mode(mode)
        self.set = ShardSet(path, **s3_options)
        self.path, self.class_names = self.set.path, self.set.class_names
        self.transform, self.with_ids, self.as_array, self.decode = transform, with_ids, as_array, decode
        self.with_fields = with_fields
        self.rank, self.world_size, self.shuffle, self.seed = rank, world_size, shuffle, seed
        self.batch_size, self.window, self.epoch = batch_size, window, 0
        self._segment_epoch, self._segment, self._skip = None, None, 0

    def set_epoch(self, epoch):
        """Selects the epoch's order; call it before iterating, with the same epoch on every rank."""
        self.epoch = int(epoch)

    def plan(self, epoch=None):
        return _plan.EpochPlan(self.set.shard_samples, self.seed, self.epoch if epoch is None else epoch, self.window, self.shuffle)

    def rank_ranges(self, epoch=None):
        """This rank's positions of the epoch's plan, in order (after a resumed state's batches are skipped)."""
        epoch = self.epoch if epoch is None else epoch
        resumed = epoch == self._segment_epoch
        positions = self._segment if resumed and self._segment is not None else [(0, len(self.set))]
        ranges = _plan.rank_ranges(positions, self.rank, self.world_size)
        if resumed and self._skip:
            ranges = _plan.cut(ranges, self._skip, _plan.total(ranges))
        return ranges

    def __len__(self):
        return _plan.total(self.rank_ranges())

    def positions(self, worker=0, workers=1):
        """The plan positions worker `worker` of `workers` reads this epoch, as ranges in order."""
        return _plan.worker_ranges(self.rank_ranges(), self.batch_size, worker, workers)

    def ids(self, worker=0, workers=1):
        """The ids this rank (and worker) reads this epoch, in order, without reading a shard."""
        epoch_plan = self.plan()
        rows = self.set.shard_rows
        return [int(self.set.ids[rows[s] + i]) for s, i in epoch_plan.walk(self.positions(worker, workers))]

    def __iter__(self):
        workers, worker = _worker()
        if not self.decode and not self.with_fields:
            return self._raw_items(self.plan(), self.positions(worker, workers))
        return self._items(self.plan(), self.positions(worker, workers))

    def _raw_items(self, epoch_plan, ranges):
        """decode=False: each shard read whole once (RawReader) into a list of its items, then every run of positions
        within a window handed out by one C-level map over the window's items; no Python step per sample."""
        reader = RawReader(self.set)
        rows, ids, labels = self.set.shard_rows.tolist(), self.set.ids.tolist(), self.set.labels.tolist()
        samples, with_ids, keep = epoch_plan.shard_samples, self.with_ids, self.window + 1
        held = {}  # shard -> its items, for the last `window + 1` shards read
        current, items, loaded = None, None, ()
        for w, picks in epoch_plan.chunks(ranges):
            shards = epoch_plan.window_shards(w)
            bounds = list(itertools.accumulate(samples[s] for s in shards))
            # The run needs the window's shards from the one holding its lowest pick to its highest's pick.
            need = range(bisect.bisect_right(bounds, min(picks)), bisect.bisect_right(bounds, max(picks)) + 1)
            if w != current or not set(need) <= set(loaded):
                for j in need:
                    shard = shards[j]
                    if shard not in held:
                        payloads, row = reader.payloads(shard), rows[shard]
                        end = row + len(payloads)
                        held[shard] = list(zip(payloads, labels[row:end], ids[row:end]) if with_ids else zip(payloads, labels[row:end]))
                        for old in [s for s in held if s not in shards][:max(0, len(held) - keep)]:
                            del held[old]
                loaded = [j for j, s in enumerate(shards) if s in held]
                items = []
                for s in shards:  # the window's samples in plan order; a shard the run does not need is a gap
                    items += held[s] if s in held else (None,) * samples[s]
                current = w
            yield from map(items.__getitem__, picks)

    def _items(self, epoch_plan, ranges):
        opened = {}
        if not self.decode:  # id and label from the ids file (rows in written order), the payload as it is
            rows, ids, labels = self.set.shard_rows.tolist(), self.set.ids.tolist(), self.set.labels.tolist()
        try:
            for shard, index in epoch_plan.walk(ranges):
                reader = opened.get(shard)
                if reader is None:
                    if len(opened) > self.window:
                        opened.pop(next(iter(opened))).close()
                    reader = opened[shard] = self.set.open(shard)
                if not self.decode:  # with_fields (without, __iter__ takes _raw_items): bytes, as _raw_items hands out
                    row = rows[shard] + index
                    meta, payload = reader.payload(index)
                    yield _tuple(self, bytes(payload), labels[row], ids[row], meta.get("fields"))
                    continue
                yield self._item(reader.record(index))
        finally:
            for reader in opened.values():
                reader.close()

    def state_dict(self, batches, batch_size=None):
        """A state to resume from after `batches` batches of `batch_size` (default: the dataset's) of this epoch were
        consumed: the C# loader's LoaderState as a dict (save it with json), which the C# loader resumes too."""
        batch_size = batch_size or self.batch_size
        resumed = self.epoch == self._segment_epoch
        return {"Epoch": self.epoch, "Batch": int(batches) + (self._skip // batch_size if resumed else 0), "Seed": self.seed,
                "BatchSize": batch_size, "WorldSize": self.world_size,
                "Stream": _plan.format_state(self.window, self._segment if resumed else None)}

    def load_state_dict(self, state):
        """Resumes a saved state (from `state_dict` or the C# loader's LoaderState), on this or another world size:
        on another, what the old ranks had not read is split among the new ones, each sample read once."""
        window, remaining = _plan.parse_state(state.get("Stream"))
        if state["Seed"] != self.seed:
            raise ValueError(f"the saved state was made with seed {state['Seed']}, this dataset has seed {self.seed}; resume with the same seed")
        if window != self.window:
            raise ValueError(f"the saved state was made with a window of {window} shards, this dataset has {self.window}; resume with the same window")
        epoch, batch_size, world = int(state["Epoch"]), int(state["BatchSize"]), int(state["WorldSize"])
        consumed = int(state["Batch"]) * batch_size
        self.epoch, self._segment_epoch = epoch, epoch
        if world == self.world_size:
            self._segment, self._skip = remaining, consumed
            return
        old = remaining if remaining is not None else [(0, len(self.set))]
        count, left = _plan.total(old), []
        for r in range(world):
            lo, hi = _plan.rank_range(count, r, world)
            left.extend(_plan.cut(old, min(hi, lo + consumed), hi))
        self._segment, self._skip = left, 0
