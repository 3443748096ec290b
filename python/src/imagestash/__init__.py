"""Read ImageStash stores and shard sets (docs/formats/): LMDB, HDF5 and PNG folder stores, shard sets in a folder or
under s3://. `imagestash.torch` has PyTorch datasets over them.

    import imagestash
    with imagestash.open_store("cifar.lmdb") as store:
        for record in store:
            pixels = imagestash.decode(record)    # (H, W, C) uint8
"""
from .detect import open_store, store_kind
from .errors import DamagedRecord, FormatError, MissingDependency, NewerFormat, NotAStore
from .record import JPEG, PNG, RAW, WEBP, Record, decode, to_pil
from .shards import ShardSet

__version__ = "0.2.0"


def records(path):
    """Every Record of the store or shard set at `path`: a store's in id order, a set's in written order."""
    if store_kind(path) == "shards":
        data = ShardSet(path)
        for k in range(len(data.shards)):
            yield from data.samples(k)
        return
    with open_store(path) as store:
        yield from store


__all__ = ["open_store", "store_kind", "records", "decode", "to_pil", "Record", "ShardSet", "RAW", "PNG", "JPEG", "WEBP",
           "FormatError", "NotAStore", "DamagedRecord", "NewerFormat", "MissingDependency"]
