#!/usr/bin/env python3
"""Read every image of an ImageStash store or shard set with the `imagestash` package and save them as one .npz.

    python3 read_store.py STORE OUT.npz

OUT.npz holds `ids`, `labels` (N,) int64, `shapes` (N, 3) int64, `encodings` (N,) (0 raw, 1 PNG, 2 JPEG, 3 WebP),
`pixels` (every image's decoded HWC bytes back to back) with `offsets` (N + 1,), `payload_sha256` (N,) of the
stored bytes, `fields` (N,) each record's fields as JSON text ("" for none), and `images` (N, H, W, C) when all
images have one shape. A store is read in id order, a shard set in
the order written. Install the package first: `pip install --no-build-isolation --no-index ./python`.
"""
import hashlib
import json
import sys

import numpy as np

import imagestash


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    store, out = sys.argv[1], sys.argv[2]
    try:
        found = list(imagestash.records(store))
    except (ValueError, ImportError) as e:
        sys.exit(str(e))
    pixels = [imagestash.decode(r) for r in found]
    arrays = dict(
        ids=np.array([r.id for r in found], dtype=np.int64),
        labels=np.array([r.label for r in found], dtype=np.int64),
        shapes=np.array([r.shape for r in found], dtype=np.int64).reshape(-1, 3),
        encodings=np.array([r.encoding for r in found], dtype=np.int64),
        pixels=np.concatenate([p.ravel() for p in pixels]) if pixels else np.zeros(0, np.uint8),
        offsets=np.cumsum([0] + [p.size for p in pixels]),
        payload_sha256=np.array([hashlib.sha256(r.payload).hexdigest() for r in found]),
        fields=np.array([json.dumps(r.fields, ensure_ascii=False) if r.fields is not None else "" for r in found]),
    )
    if pixels and len({p.shape for p in pixels}) == 1:
        arrays["images"] = np.stack(pixels)
    np.savez(out, **arrays)
    print(f"{store}: {len(found)} images -> {out}")


if __name__ == "__main__":
    main()
