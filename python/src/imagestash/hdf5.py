"""HDF5 stores (docs/formats/hdf5.md): the article's fixed layout (`/images` N×H×W×C) or the ragged one
(`/payload` with spans, shapes and encodings), h5py."""
import json

import numpy as np

from ._optional import require
from ._store import StoreReader
from .errors import FormatError, NewerFormat, NotAStore
from .record import RAW, Record, check_crc, parse_fields

LAYOUT_VERSION = 2  # 2: /field_bytes and /field_spans

SUFFIXES = (".h5", ".hdf5")


class Hdf5Store(StoreReader):
    """An HDF5 store in either layout; also a file in the article's layout written elsewhere (no ids, CRCs)."""

    kind = "hdf5"

    def __init__(self, path):
        super().__init__(path)
        h5py = require("h5py", f"reading the HDF5 store '{self.path}'")
        with h5py.File(self.path, "r") as f:
            self.ragged = "payload" in f
            if not self.ragged and "images" not in f:
                raise NotAStore(self.path, "is an HDF5 file with neither /images nor /payload")
            rows = int(f.attrs["count"]) if "count" in f.attrs else len(f["images"])
            self.class_names = json.loads(_text(f.attrs["class_names"])) if "class_names" in f.attrs else []
            ids = np.asarray(f["ids"][:rows], dtype=np.int64) if "ids" in f else np.arange(rows, dtype=np.int64)
            self._labels = np.asarray(f["meta"][:rows], dtype=np.int64) if "meta" in f else np.zeros(rows, np.int64)
            self._crcs = np.asarray(f["crc32"][:rows], dtype=np.uint32) if "crc32" in f else None
            self._name_spans = np.asarray(f["name_spans"][:rows]) if "name_spans" in f else None
            self._name_bytes = np.asarray(f["name_bytes"]).tobytes() if "name_bytes" in f else b""
            if int(f.attrs.get("layout_version", 1)) > LAYOUT_VERSION:
                raise NewerFormat(self.path, f"written by a newer ImageStash (HDF5 layout version {int(f.attrs['layout_version'])}; this one reads up to {LAYOUT_VERSION})")
            # Rows past /field_spans' length (appended by a writer from before fields) have none.
            self._field_spans = np.asarray(f["field_spans"][:rows]) if "field_spans" in f else None
            self._field_bytes = np.asarray(f["field_bytes"]).tobytes() if "field_bytes" in f else b""
            if self.ragged:
                self._spans = np.asarray(f["payload_spans"][:rows], dtype=np.int64)
                self._shapes = np.asarray(f["shapes"][:rows], dtype=np.int64)
                self._encodings = np.asarray(f["encodings"][:rows], dtype=np.int64)
                size = len(f["payload"])
                for row in range(rows):
                    start, length = self._spans[row]
                    if start < 0 or length < 0 or start + length > size:
                        raise FormatError(self.path, f"payload span ({start}, {length}) lies outside /payload's {size} bytes", f"id {ids[row]}")
            else:
                shape = f["images"].shape[1:]
                self._shape = tuple(int(v) for v in shape) + ((1,) if len(shape) == 2 else ())
        self._rows = np.argsort(ids, kind="stable")
        self.ids = [int(ids[r]) for r in self._rows]

    def _open(self):
        h5py = require("h5py", f"reading the HDF5 store '{self.path}'")
        f = h5py.File(self.path, "r")
        return f, f["payload"] if self.ragged else f["images"]

    def _close(self, handle):
        handle[0].close()

    def label(self, index):
        return int(self._labels[self._rows[index]])

    def record(self, index):
        row = int(self._rows[index])
        image_id = self.ids[index]
        data = self._opened()[1]
        name = None
        if self._name_spans is not None and self._name_spans[row][1] > 0:
            start, length = self._name_spans[row]
            name = self._name_bytes[start:start + length].decode()
        if self.ragged:
            start, length = (int(v) for v in self._spans[row])
            payload = data[start:start + length].tobytes()
            shape, encoding = tuple(int(v) for v in self._shapes[row]), int(self._encodings[row])
        else:
            payload = np.ascontiguousarray(data[row], dtype=np.uint8).tobytes()
            shape, encoding = self._shape, RAW
        if self._crcs is not None:
            check_crc(self.path, image_id, payload, int(self._crcs[row]))
        fields = None
        if self._field_spans is not None and row < len(self._field_spans) and self._field_spans[row][1] > 0:
            start, length = self._field_spans[row]
            fields = parse_fields(self._field_bytes[start:start + length])
        return Record(image_id, int(self._labels[row]), name, shape, encoding, payload, fields)


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)
