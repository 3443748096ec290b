"""LMDB stores (docs/formats/lmdb.md): an environment with an `images` and a `meta` database, py-lmdb."""
import json
import struct

from ._optional import require
from ._store import StoreReader
from .errors import FormatError, NewerFormat, NotAStore
from .record import PNG, RAW, Record, check_crc, decode, parse_fields

FORMAT = b"imagestash-lmdb"
KEY = struct.Struct(">q")
HEADER = struct.Struct("<BBBxIIiIHH")  # version, encoding, channels, height, width, label, crc32, name length, fields length
VERSIONS = (1, 2, 3)  # 3: the record carries fields (a JSON object) after its name


def _environment(path):
    lmdb = require("lmdb", f"reading the LMDB store '{path}'")
    return lmdb.open(str(path), readonly=True, lock=False, max_dbs=4, subdir=True, readahead=False)


def parse(path, image_id, value, check=True):
    """One value of the `images` database as a Record; its CRC checked unless `check` is false."""
    if len(value) < HEADER.size:
        raise FormatError(path, f"record is {len(value)} bytes, shorter than its {HEADER.size}-byte header", f"id {image_id}")
    version, encoding, channels, height, width, label, crc, name_len, fields_len = HEADER.unpack_from(value, 0)
    if version not in VERSIONS:
        raise NewerFormat(path, f"record version {version}; this package reads versions {VERSIONS}", f"id {image_id}")
    fields_len = fields_len if version == 3 else 0
    name_end = HEADER.size + name_len
    start = name_end + fields_len
    if start > len(value):
        raise FormatError(path, f"name of {name_len} and fields of {fields_len} bytes run past the record's {len(value)} bytes", f"id {image_id}")
    name = bytes(value[HEADER.size:name_end]).decode() if name_len else None
    payload = bytes(value[start:])
    record = Record(image_id, label, name, (height, width, channels), encoding, payload, parse_fields(value[name_end:start]))
    if encoding == RAW and len(payload) != height * width * channels:
        raise FormatError(path, f"raw payload is {len(payload)} bytes, {height}x{width}x{channels} needs {height * width * channels}", f"id {image_id}")
    if check:
        # Version 1 PNG records carry the CRC of their decoded pixels.
        check_crc(path, image_id, decode(record).tobytes() if version == 1 and encoding == PNG else payload, crc)
    return record


class LmdbStore(StoreReader):
    """An LMDB store, read through one read transaction per process (a snapshot, as the id list is)."""

    kind = "lmdb"

    def __init__(self, path):
        super().__init__(path)
        env = _environment(self.path)
        try:
            meta = env.open_db(b"meta", create=False)
            images = env.open_db(b"images", create=False)
        except Exception as e:  # py-lmdb raises NotFoundError for a missing named database
            env.close()
            raise NotAStore(self.path, "is an LMDB environment without ImageStash's 'images' and 'meta' databases") from e
        with env.begin() as txn:
            if txn.get(b"format", db=meta) != FORMAT:
                env.close()
                raise NotAStore(self.path, "is an LMDB environment whose meta 'format' is not imagestash-lmdb")
            names = txn.get(b"class_names", db=meta)
            self.class_names = json.loads(bytes(names)) if names else []
            self.ids = [KEY.unpack(key)[0] for key in txn.cursor(db=images).iternext(keys=True, values=False)]
        env.close()

    def _open(self):
        env = _environment(self.path)
        db = env.open_db(b"images", create=False)
        return env, env.begin(db=db, buffers=True)

    def _close(self, handle):
        handle[1].abort()
        handle[0].close()

    def value(self, index):
        """The raw value of item `index` (a buffer into the memory map, valid while the store is open)."""
        image_id = self.ids[index]
        value = self._opened()[1].get(KEY.pack(image_id))
        if value is None:
            raise FormatError(self.path, "is gone from the store since it was opened", f"id {image_id}")
        return image_id, value

    def record(self, index):
        image_id, value = self.value(index)
        return parse(self.path, image_id, value)
