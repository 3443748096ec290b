"""One image as stored (docs/formats/codecs.md): raw pixels or an encoded file's bytes, and turning it into pixels."""
import io
import json
import zlib
from collections import namedtuple

import numpy as np

from .errors import DamagedRecord

RAW, PNG, JPEG, WEBP = 0, 1, 2, 3
ENCODINGS = {"raw": RAW, "png": PNG, "jpeg": JPEG, "webp": WEBP}
MODES = {1: "L", 3: "RGB", 4: "RGBA"}

Record = namedtuple("Record", "id label name shape encoding payload fields", defaults=(None,))
Record.__doc__ = """One image: id, label, name (or None), shape (height, width, channels) as decoded and upright,
encoding (RAW, PNG, JPEG, WEBP or a registered codec's number), the payload as stored (raw HWC pixels, or the
encoded file's bytes) and its fields (a dict parsed from the record's JSON object: caption, tags, ...; or None)."""


def parse_fields(data):
    """A record's fields from their stored UTF-8 JSON, or None when there are none."""
    if not data:
        return None
    return json.loads(data if isinstance(data, str) else bytes(data).decode("utf-8"))


def check_crc(path, image_id, data, crc):
    """Raises DamagedRecord unless zlib's CRC-32 of `data` is `crc`."""
    actual = zlib.crc32(data)
    if actual != crc:
        raise DamagedRecord(path, f"CRC-32 is {actual:08x}, the store says {crc:08x}: the record is damaged", f"id {image_id}")


def decode(record):
    """The record's pixels, a (H, W, C) uint8 array, upright (EXIF orientation applied)."""
    height, width, channels = record.shape
    if record.encoding == RAW:
        return np.frombuffer(record.payload, dtype=np.uint8).reshape(height, width, channels)
    return np.asarray(_open(record), dtype=np.uint8).reshape(height, width, channels)


def to_pil(record):
    """The record as a PIL image, upright, in the mode of its channels (L, RGB or RGBA)."""
    from PIL import Image

    if record.encoding != RAW:
        return _open(record)  # decoded once, straight into the image a transform takes
    pixels = decode(record)
    return Image.fromarray(pixels[:, :, 0] if record.shape[2] == 1 else pixels, MODES[record.shape[2]])


def _open(record):
    """An encoded record decoded by PIL, upright, in the mode of its channels, loaded."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(record.payload))
    if image.getexif().get(0x0112, 1) != 1:  # EXIF orientation (exif_transpose copies even an upright image)
        image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "I;16", "I;16B"):
        # 16-bit grey: PIL's convert("L") clips at 255; keep the high byte, as ImageStash (and Skia) do.
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8), "L")
    mode = MODES[record.shape[2]]
    if image.mode != mode:
        image = image.convert(mode)
    image.load()
    return image
