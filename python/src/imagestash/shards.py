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


# Above this a shard is read through its map sample by sample rather than whole into a private buffer (RawReader).
RAW_BUFFER_LIMIT = 256 << 20


class RawReader:
    """Whole shards read for raw payloads (ShardDataset(decode=False)): each shard into one reused private buffer, its
    size and CRC-32 checked against the index over the very bytes read, its members found, then every payload copied
    out as `bytes` and checked against the CRC-32 its .json gives. No step of this is Python code per sample in the
    common case (numpy finds the members, C-level maps slice and check the payloads), and no page of a map has to be
    faulted in (~2 µs a page on the project VM): with ShardDataset's per-window runs this took the raw rate from ~80,000
    to ~160,000–185,000 samples/s (benchmarks/results/2026-12-03-python-raw/). The payloads handed out outlive the
    shard. A shard above `limit` bytes (default RAW_BUFFER_LIMIT) goes through `Shard`."""

    def __init__(self, shard_set, limit=None):
        self.set, self.limit = shard_set, RAW_BUFFER_LIMIT if limit is None else limit
        self._buffer = bytearray()

    def payloads(self, k):
        """Every payload of shard k (bytes), in written order, each checked against its CRC-32."""
        entry = self.set.shards[k]
        size = int(entry["bytes"])
        if size > self.limit:
            with self.set.open(k) as shard:
                return [bytes(shard.raw(i)) for i in range(len(shard))]
        f, path, _ = self.set.location.open_shard(entry)
        with f:
            if len(self._buffer) < size + 1:
                self._buffer = bytearray(max(size + 1, 1 << 20))
            buffer = self._buffer
            with memoryview(buffer) as whole:
                view = whole[:size]
                got = f.readinto(whole[:size + 1])  # one byte more: a longer file shows
                if got != size:
                    raise DamagedRecord(path, f"is {os.fstat(f.fileno()).st_size:,} bytes, index.json says {size:,} (truncated or replaced): "
                                              f"write the set again")
                # Checked here even when the S3 cache just checked its copy: these are the bytes handed out.
                crc = zlib.crc32(view)
                if crc != int(entry["crc32"], 16):
                    raise DamagedRecord(path, f"CRC-32 is {crc:08x}, index.json says {entry['crc32']}: the shard is damaged; write the set again")
                spans = _scan_blocks(buffer, size)
                if spans is None:
                    listed = _scan_written(buffer, size)
                    if listed is None:
                        listed = _scan(view, path)
                    spans = np.array(listed, dtype=np.int64).reshape(-1, 4).T
                if spans.shape[1] != int(entry["samples"]):
                    raise FormatError(path, f"holds {spans.shape[1]} samples, index.json says {entry['samples']}")
                payloads = _checked_payloads(buffer, view, spans, path)
                view.release()
                return payloads


def _checked_payloads(data, view, spans, path):
    """The payloads at `spans` (json starts, json ends, payload starts, payload ends) as bytes, each checked against
    the CRC-32 its .json gives: read from the .json's last 19 bytes (`"crc32":"1c2d3e4f"}`, ImageStash writes it last)
    for all samples at once; a .json written otherwise is decoded, and a mismatch is looked up in the decoded .json
    to be named."""
    json_starts, json_ends, starts, ends = spans
    flat = np.frombuffer(data, np.uint8)
    tails = flat[json_ends[:, None] + np.arange(-19, 0)] if len(json_ends) else np.zeros((0, 19), np.uint8)
    digits = tails[:, 9:17].astype(np.int64)
    values = np.where(digits >= 97, digits - 87, np.where(digits >= 65, digits - 55, digits - 48))
    ok = ((tails[:, :9] == _CRC_FIELD_U8).all(1) & (tails[:, 17:] == _CRC_END_U8).all(1)
          & ((values >= 0) & (values < 16) & ((digits <= 57) | (digits >= 65) & (digits <= 70) | (digits >= 97) & (digits <= 102))).all(1))
    expected = (values << np.arange(28, -1, -4)).sum(1)
    for i in np.flatnonzero(~ok).tolist():
        expected[i] = int(_JSON(bytes(data[json_starts[i]:json_ends[i]]).decode())["crc32"], 16)
    pieces = list(map(view.__getitem__, map(slice, starts.tolist(), ends.tolist())))
    crcs = np.fromiter(map(zlib.crc32, pieces), np.int64, len(pieces))
    wrong = np.flatnonzero(crcs != expected)
    if len(wrong):
        i = int(wrong[0])
        meta = _JSON(bytes(data[json_starts[i]:json_ends[i]]).decode())
        raise DamagedRecord(path, f"payload CRC-32 is {int(crcs[i]):08x}, its .json says {meta['crc32']}", f"sample {meta['id']}")
    payloads = list(map(bytes, pieces))
    for piece in pieces:
        piece.release()
    return payloads


_CRC_FIELD_U8, _CRC_END_U8 = np.frombuffer(_CRC_FIELD, np.uint8), np.frombuffer(_CRC_END, np.uint8)
_OCTAL = 8 ** np.arange(10, -1, -1, dtype=np.int64)
_USTAR = np.frombuffer(b"ustar\0", np.uint8)


def _scan_blocks(data, size):
    """What _scan_written finds (as four arrays: json starts, json ends, payload starts, payload ends), found by numpy
    over the shard's 512-byte blocks at once: the blocks that look like ustar headers must chain exactly (the first at
    0, each member's size leading to the next, the last to the end-of-archive block), so a payload block that happens
    to look like a header makes this give up rather than guess. None for anything else (the scans in Python decide)."""
    if size % BLOCK or size < 2 * BLOCK:
        return None
    blocks = np.frombuffer(data, np.uint8, size).reshape(-1, BLOCK)
    headers = np.flatnonzero(blocks[:, 257] == _USTAR[0])  # one byte of every block first: a cache line each
    headers = headers[(blocks[:, 258:263][headers] == _USTAR[1:]).all(1)]
    if len(headers) == 0 or len(headers) % 3 or headers[0] != 0:
        return None
    digits = blocks[:, 124:135][headers].astype(np.int64) - 48
    if ((digits < 0) | (digits > 7)).any() or (blocks[headers, 156] != 48).any() or (blocks[headers, 345] != 0).any():
        return None
    lengths = digits @ _OCTAL
    following = headers + 1 + (lengths + BLOCK - 1) // BLOCK
    if (following[:-1] != headers[1:]).any() or following[-1] >= len(blocks) or blocks[following[-1]].any():
        return None
    # Names: KEY.json, KEY.cls, KEY.<ext> per sample; the key without '/', and no two samples in a row with one key.
    names = blocks[:, :100][headers]
    dots = (names == 46).argmax(1)
    if (dots < 1).any():
        return None
    columns = np.arange(100)
    in_key = columns < dots[:, None]
    json_names, cls_names, payload_names = names[0::3], names[1::3], names[2::3]
    dot = dots[0::3]
    if (dots[1::3] != dot).any() or (dots[2::3] != dot).any() or (names[in_key] == 47).any():
        return None
    key_mask = in_key[0::3]
    if ((json_names != cls_names) & key_mask).any() or ((json_names != payload_names) & key_mask).any():
        return None
    rows = np.arange(len(dot))
    after = dot[:, None] + np.arange(1, 6)
    if (json_names[rows[:, None], np.minimum(after, 99)] != np.frombuffer(b"json\0", np.uint8)).any():
        return None
    if (cls_names[rows[:, None], np.minimum(after[:, :4], 99)] != np.frombuffer(b"cls\0", np.uint8)).any():
        return None
    extension = payload_names[rows[:, None], np.minimum(after, 99)]
    if ((extension[:, 0] == 0) | (extension == np.frombuffer(b"json\0", np.uint8)).all(1)
            | (extension[:, :4] == np.frombuffer(b"cls\0", np.uint8)).all(1)).any():
        return None
    if len(dot) > 1:
        same = (dot[1:] == dot[:-1]) & ((json_names[1:] == json_names[:-1]) | ~key_mask[1:]).all(1)
        if same.any():
            return None
    starts = (headers + 1) * BLOCK
    return np.stack([starts[0::3], starts[0::3] + lengths[0::3], starts[2::3], starts[2::3] + lengths[2::3]])


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
