"""Shard sets (docs/formats/shards.md): index.json, an ids .npy file and ustar shards, in a local folder or under
s3://BUCKET/PREFIX (downloaded into a disk cache shared with the C# side; see `s3`)."""
import io
import json
import mmap
import os
import struct
import zlib

import numpy as np

from .errors import DamagedRecord, FormatError, NewerFormat, NotAStore
from .record import ENCODINGS, Record

FORMAT = "imagestash-shards"
VERSION = 2  # 2: a sample's .json may carry "fields"
BLOCK = 512
_JSON = json.JSONDecoder().decode  # of a str: json.loads of bytes sniffs the encoding first, per sample
_CRC_FIELD, _CRC_END = b'"crc32":"', b'"}'


class LocalLocation:
    """A shard set in a folder: shards are read in place."""

    def __init__(self, folder):
        self.folder = str(folder)
        self.display = self.folder

    def read_small(self, name):
        try:
            with open(os.path.join(self.folder, name), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def open_shard(self, entry):
        """(file object, path, checked) of a shard, to be closed by the caller; `checked`: its size and CRC-32 are
        known to match the index (not for a shard read in place: Shard checks it)."""
        path = os.path.join(self.folder, entry["name"])
        try:
            return open(path, "rb"), path, False
        except FileNotFoundError:
            raise FormatError(path, "is missing: the set is incomplete; write it again with 'imagestash shard'") from None


def location(path, **s3_options):
    """The location of a set: a local folder, or s3://BUCKET/PREFIX (needs boto3)."""
    path = str(path)
    if path.startswith("s3://"):
        from .s3 import S3Location

        return S3Location(path, **s3_options)
    return LocalLocation(path)


class ShardSet:
    """A shard set's index and ids: `shards` (the index's entries), `shard_samples`, `ids`/`labels` (rows in written
    order), `class_names`; `samples(k)` reads shard k."""

    def __init__(self, path, **s3_options):
        self.location = location(path, **s3_options)
        self.path = self.location.display
        raw = self.location.read_small("index.json")
        if raw is None:
            raise NotAStore(self.path, "holds no index.json: not a shard set, or writing it never finished")
        try:
            self.index = json.loads(raw)
        except json.JSONDecodeError as e:
            raise FormatError(f"{self.path}/index.json", f"is not JSON ({e})") from e
        if self.index.get("format") != FORMAT:
            raise NotAStore(f"{self.path}/index.json", f"format is {self.index.get('format')!r}, not {FORMAT!r}")
        if int(self.index.get("version", 0)) > VERSION:
            raise NewerFormat(f"{self.path}/index.json",
                              f"written by a newer ImageStash (shard format version {self.index['version']}; this one reads up to {VERSION})")
        self.shards = self.index["shards"]
        self.shard_samples = [int(s["samples"]) for s in self.shards]
        self.class_names = self.index.get("class_names") or []
        ids_entry = self.index["ids"]
        data = self.location.read_small(ids_entry["name"])
        where = f"{self.path}/{ids_entry['name']}"
        if data is None:
            raise FormatError(where, "is missing")
        if len(data) != int(ids_entry["bytes"]) or zlib.crc32(data) != int(ids_entry["crc32"], 16):
            raise DamagedRecord(where, f"is {len(data)} bytes with CRC-32 {zlib.crc32(data):08x}; index.json says "
                                       f"{ids_entry['bytes']} bytes, {ids_entry['crc32']}: write the set again")
        rows = np.load(io.BytesIO(data), allow_pickle=False)
        if rows.dtype != np.dtype("<i8") or rows.shape != (int(self.index["samples"]), 2) or sum(self.shard_samples) != rows.shape[0]:
            raise FormatError(where, f"holds {rows.dtype} {rows.shape}; index.json says {self.index['samples']} samples")
        self.ids, self.labels = rows[:, 0].copy(), rows[:, 1].copy()
        self.shard_rows = np.concatenate([[0], np.cumsum(self.shard_samples)[:-1]]).astype(np.int64) if self.shards else np.zeros(0, np.int64)

    def __len__(self):
        return len(self.ids)

    def open(self, k):
        """Shard k opened and scanned: a Shard (close it when done)."""
        entry = self.shards[k]
        f, path, checked = self.location.open_shard(entry)
        try:
            return Shard(f, path, entry, checked)
        except BaseException:
            f.close()
            raise

    def samples(self, k):
        """Every Record of shard k, in written order, each checked against its CRC-32."""
        with self.open(k) as shard:
            for i in range(len(shard)):
                yield shard.record(i)


class Shard:
    """One shard file, mapped, its size and CRC-32 checked against the index (unless `checked` says the cache did),
    and its samples' members found."""

    def __init__(self, file, path, entry, checked=False):
        self.file, self.path, self.name = file, path, entry["name"]
        size = os.fstat(file.fileno()).st_size
        if size != int(entry["bytes"]):
            raise DamagedRecord(path, f"is {size:,} bytes, index.json says {int(entry['bytes']):,} (truncated or replaced): "
                                      f"write the set again")
        self.map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        view = memoryview(self.map)
        crc = int(entry["crc32"], 16) if checked else zlib.crc32(view)
        if crc != int(entry["crc32"], 16):
            raise DamagedRecord(path, f"CRC-32 is {crc:08x}, index.json says {entry['crc32']}: the shard is damaged; write the set again")
        self.view = view
        self.samples = _scan(view, path)
        if len(self.samples) != int(entry["samples"]):
            raise FormatError(path, f"holds {len(self.samples)} samples, index.json says {entry['samples']}")

    def __len__(self):
        return len(self.samples)

    def meta(self, i):
        json_start, json_end = self.samples[i][0], self.samples[i][1]
        return json.loads(self.map[json_start:json_end])

    def payload(self, i):
        """(meta dict, payload memoryview) of sample i, its CRC checked."""
        json_start, json_end, start, end = self.samples[i]
        meta = _JSON(self.map[json_start:json_end].decode())
        payload = self.view[start:end]
        if zlib.crc32(payload) != int(meta["crc32"], 16):
            raise DamagedRecord(self.path, f"payload CRC-32 is {zlib.crc32(payload):08x}, its .json says {meta['crc32']}", f"sample {meta['id']}")
        return meta, payload

    def raw(self, i):
        """Sample i's payload (a view of the map), its CRC-32 checked against its .json's. ImageStash writes `crc32`
        last (`…,"crc32":"1c2d3e4f"}`): it is read from there without decoding the JSON, which costs more per raw
        sample than the check itself; a .json written otherwise is decoded."""
        json_start, json_end, start, end = self.samples[i]
        tail = self.map[json_end - 19:json_end]
        if tail[:9] == _CRC_FIELD and tail[17:] == _CRC_END and tail[9:17].isalnum():
            crc = int(tail[9:17], 16)
            payload = self.view[start:end]
            if zlib.crc32(payload) == crc:
                return payload
        return self.payload(i)[1]  # any other .json, or a damaged payload: named there

    def record(self, i):
        meta, payload = self.payload(i)
        encoding = meta["encoding"]
        encoding = ENCODINGS[encoding] if encoding in ENCODINGS else int(encoding)
        return Record(int(meta["id"]), int(meta["label"]), meta.get("name"),
                      (int(meta["height"]), int(meta["width"]), int(meta["channels"])), encoding, bytes(payload), meta.get("fields"))

    def close(self):
        self.view.release()
        if isinstance(self.map, mmap.mmap):
            try:
                self.map.close()
            except BufferError:
                pass  # a payload handed out (decode=False) still views it: the map goes when the last view does
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _scan(view, path):
    """[(json start, json end, payload start, payload end)] of every sample: members grouped by the key before the
    first '.' of their name; PAX ('x') and GNU long-name ('L') headers applied to the member after them."""
    data = view.obj if hasattr(view, "obj") else view
    written = _scan_written(data, len(view))
    if written is not None:
        return written
    samples, offset, size = [], 0, len(view)
    key, json_span, payload_span = None, None, None
    long_name = None
    while offset + BLOCK <= size:
        header = data[offset:offset + BLOCK]
        if header[0] == 0 and not any(header):
            break
        try:
            length = int(header[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
        except ValueError as e:
            raise FormatError(path, f"the tar header at byte {offset:,} has no valid size") from e
        kind = header[156:157]
        start = offset + BLOCK
        offset = start + (length + BLOCK - 1) // BLOCK * BLOCK
        if start + length > size:
            raise FormatError(path, f"member at byte {start:,} of {length:,} bytes runs past the end ({size:,})")
        if kind == b"x":
            for line in bytes(data[start:start + length]).decode("utf-8").splitlines():
                _, _, field = line.partition(" ")
                if field.startswith("path="):
                    long_name = field[5:].encode("utf-8")
            continue
        if kind == b"L":
            long_name = bytes(data[start:start + length]).split(b"\0", 1)[0]
            continue
        if kind not in (b"0", b"\0"):
            continue
        # Names stay bytes here: this loop runs three times per sample, and a decode each time shows in the raw rate.
        if long_name is not None:
            name, long_name = long_name, None
        else:
            end = header.find(b"\0", 0, 100)
            name = header[:end if end >= 0 else 100]
            if header[257:262] == b"ustar" and header[345] != 0:
                name = header[345:500].split(b"\0", 1)[0] + b"/" + name
        base = name[name.rfind(b"/") + 1:]
        dot = base.find(b".")
        member_key, extension = (base, b"") if dot < 0 else (base[:dot], base[dot + 1:])
        if member_key != key:
            if key is not None:
                samples.append(_sample(path, key, json_span, payload_span))
            key, json_span, payload_span = member_key, None, None
        if extension == b"json":
            json_span = (start, start + length)
        elif extension != b"cls":
            payload_span = (start, start + length)
    if key is not None:
        samples.append(_sample(path, key, json_span, payload_span))
    return samples


# A ustar header's name, size (11 octal digits), type, magic and the first byte of its name prefix.
_HEADER = struct.Struct("100s24x11s21xc100x6s82xc")


def _scan_written(data, size):
    """What _scan finds, for a shard laid out as ImageStash writes it, in about 60 % of the time (a shard is scanned
    each time it is opened; one struct unpack per member): for every sample the members KEY.json, KEY.cls and
    KEY.<payload> in a row, plain ustar files without folders or long names. None at the first thing that differs (the
    general scan then reads the shard and names any fault)."""
    samples, unpack, offset, previous = [], _HEADER.unpack_from, 0, None
    append = samples.append
    while offset + BLOCK <= size:
        name, length, kind, magic, prefix = unpack(data, offset)
        if name[0] == 0:
            return samples if not any(data[offset:offset + BLOCK]) else None
        dot = name.find(b".")
        key = name[:dot + 1]
        if (magic != b"ustar\0" or prefix != b"\0" or kind != b"0" or dot < 1 or name[dot:dot + 6] != b".json\0"
                or key == previous or b"/" in key):
            return None
        json_start = offset + BLOCK
        json_end = json_start + int(length, 8)
        offset = json_start + (json_end - json_start + BLOCK - 1) // BLOCK * BLOCK
        if offset + BLOCK > size:
            return None
        name, length, kind, magic, prefix = unpack(data, offset)
        if magic != b"ustar\0" or prefix != b"\0" or kind != b"0" or name[:dot + 4] != key + b"cls" or name[dot + 4] != 0:
            return None
        offset += BLOCK + (int(length, 8) + BLOCK - 1) // BLOCK * BLOCK
        if offset + BLOCK > size:
            return None
        name, length, kind, magic, prefix = unpack(data, offset)
        if (magic != b"ustar\0" or prefix != b"\0" or kind != b"0" or name[:dot + 1] != key or name[dot + 1] == 0
                or name[dot:dot + 6] == b".json\0" or name[dot:dot + 5] == b".cls\0"):
            return None
        start = offset + BLOCK
        end = start + int(length, 8)
        offset = start + (end - start + BLOCK - 1) // BLOCK * BLOCK
        if offset > size:
            return None
        append((json_start, json_end, start, end))
        previous = key
    return samples


def _sample(path, key, json_span, payload_span):
    if json_span is None or payload_span is None:
        key = key.decode("utf-8", "replace")
    if json_span is None:
        raise FormatError(path, "has no .json member: a shard sample needs its metadata", f"sample {key}")
    if payload_span is None:
        raise FormatError(path, "has no image member", f"sample {key}")
    return json_span + payload_span
