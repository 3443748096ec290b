"""What the three store readers share: ids in order, lazy opening (so a reader can be pickled into DataLoader
worker processes and opens its files in each), iteration."""
import os
import weakref

_READERS = weakref.WeakSet()


def _forget_handles():
    # LMDB and HDF5 handles don't survive fork (a DataLoader worker): the child opens its own on first use. Dropped
    # here, at fork, rather than checked with getpid on every read: the check cost ~8 % of an LMDB item.
    for reader in list(_READERS):
        reader._handle = None


os.register_at_fork(after_in_child=_forget_handles)


class StoreReader:
    """Reads one store: `ids` (ascending), `class_names`, `record(index)` (a checked Record), iteration in id order.
    Files are opened on first use in each process; `close()` closes them."""

    kind = None

    def __init__(self, path):
        self.path = str(path)
        self._handle = None
        _READERS.add(self)

    def __len__(self):
        return len(self.ids)

    def __iter__(self):
        for index in range(len(self.ids)):
            yield self.record(index)

    def _opened(self):
        if self._handle is None:
            self._handle = self._open()
        return self._handle

    def _open(self):
        raise NotImplementedError

    def close(self):
        if self._handle is not None:
            self._close(self._handle)
            self._handle = None

    def _close(self, handle):
        pass

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_handle"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        _READERS.add(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
