"""PNG folder stores (docs/formats/png-folder.md): imagestash.json, labels.csv and one file per image."""
import csv
import json
import os

from ._store import StoreReader
from .errors import DamagedRecord, FormatError, NewerFormat, NotAStore
from .record import ENCODINGS, PNG, RAW, Record, check_crc, decode, parse_fields

MARKER = "imagestash.json"
KIND = "imagestash-png-folder"
VERSION = 3  # 3: labels.csv has a fields column
EXTENSIONS = {RAW: ".png", PNG: ".png", 2: ".jpg", 3: ".webp"}


def image_file(path, image_id, encoding):
    """Where image `image_id` of the store at `path` lives."""
    return os.path.join(path, "images", f"{image_id % 256:02x}", f"{image_id}{EXTENSIONS.get(encoding, '')}")


class FolderStore(StoreReader):
    """A PNG folder store: labels.csv read once; each image's file opened as it is read."""

    kind = "folder"

    def __init__(self, path):
        super().__init__(path)
        marker = os.path.join(self.path, MARKER)
        try:
            with open(marker, encoding="utf-8") as f:
                meta = json.load(f)
        except FileNotFoundError as e:
            raise NotAStore(self.path, f"holds no {MARKER}") from e
        except json.JSONDecodeError as e:
            raise FormatError(marker, f"is not JSON ({e})") from e
        if meta.get("kind") != KIND:
            raise NotAStore(marker, f"kind is {meta.get('kind')!r}, not {KIND!r}")
        if int(meta.get("version", 1)) > VERSION:
            raise NewerFormat(marker, f"written by a newer ImageStash (folder version {meta['version']}; this one reads up to {VERSION})")
        self.class_names = meta.get("class_names") or []
        rows = {}
        with open(os.path.join(self.path, "labels.csv"), newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row.get("channels") is None:
                    continue  # a half-written last row: not committed
                rows[int(row["id"])] = row  # a later row for an id replaces an earlier one
        self.ids = sorted(rows)
        self._rows = rows

    def _open(self):
        return True

    def label(self, index):
        return int(self._rows[self.ids[index]]["label"])

    def record(self, index):
        image_id = self.ids[index]
        row = self._rows[image_id]
        encoding = row.get("encoding") or "raw"
        encoding = ENCODINGS[encoding] if encoding in ENCODINGS else int(encoding)
        shape = (int(row["height"]), int(row["width"]), int(row["channels"]))
        file = image_file(self.path, image_id, encoding)
        try:
            with open(file, "rb") as f:
                data = f.read()
        except FileNotFoundError as e:
            raise FormatError(file, "is missing", f"id {image_id}") from e
        name = row["name"] or None
        if encoding == RAW:
            # Raw pixels are kept as a lossless PNG, which checks its own CRCs: the record is its decoded pixels.
            try:
                pixels = decode(Record(image_id, 0, name, shape, PNG, data))
            except (OSError, ValueError, SyntaxError) as e:
                raise DamagedRecord(file, f"does not decode as a {shape[0]}x{shape[1]}x{shape[2]} PNG ({e})", f"id {image_id}") from e
            return Record(image_id, int(row["label"]), name, shape, RAW, pixels.tobytes(), parse_fields(row.get("fields")))
        if row.get("length") and int(row["length"]) != len(data):
            raise DamagedRecord(file, f"is {len(data)} bytes, labels.csv says {row['length']}", f"id {image_id}")
        check_crc(file, image_id, data, int(row["crc32"], 16))
        return Record(image_id, int(row["label"]), name, shape, encoding, data, parse_fields(row.get("fields")))
