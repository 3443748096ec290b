"""Which kind of store a path holds, decided once for every reader (the same rules as the C# registry)."""
import os

from .errors import NotAStore

LMDB, HDF5, FOLDER, SHARDS = "lmdb", "hdf5", "folder", "shards"


def store_kind(path):
    """'lmdb', 'hdf5', 'folder' or 'shards' for the store at `path` (a folder, file or s3:// URL)."""
    path = str(path)
    if path.startswith("s3://"):
        return SHARDS
    if os.path.isfile(os.path.join(path, "data.mdb")):
        return LMDB
    if path.endswith((".h5", ".hdf5")):
        return HDF5
    if os.path.isfile(os.path.join(path, "index.json")):
        return SHARDS
    if os.path.isfile(os.path.join(path, "imagestash.json")):
        return FOLDER
    if not os.path.exists(path):
        raise NotAStore(path, "does not exist")
    raise NotAStore(path, "is not an ImageStash store: no data.mdb (LMDB), .h5/.hdf5 name (HDF5), index.json (shard set) "
                          "or imagestash.json (folder store)")


def open_store(path):
    """A reader for the store at `path` (LmdbStore, Hdf5Store or FolderStore); shard sets open with ShardSet."""
    kind = store_kind(path)
    if kind == LMDB:
        from .lmdb import LmdbStore

        return LmdbStore(path)
    if kind == HDF5:
        from .hdf5 import Hdf5Store

        return Hdf5Store(path)
    if kind == FOLDER:
        from .folder import FolderStore

        return FolderStore(path)
    raise NotAStore(path, "is a shard set: open it with imagestash.ShardSet or imagestash.torch.ShardDataset")
