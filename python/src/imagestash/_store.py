"""What the three store readers share: ids in order, lazy opening (so a reader can be pickled into DataLoader
worker processes and opens its files in each), iteration."""


class StoreReader:
    """Reads one store: `ids` (ascending), `class_names`, `record(index)` (a checked Record), iteration in id order.
    Files are opened on first use in each process; `close()` closes them."""

    kind = None

    def __init__(self, path):
        self.path = str(path)
        self._handle = None
        self._pid = None

    def __len__(self):
        return len(self.ids)

    def __iter__(self):
        for index in range(len(self.ids)):
            yield self.record(index)

    def _opened(self):
        import os

        if self._handle is None or self._pid != os.getpid():
            # A handle inherited through fork (a DataLoader worker) is not used: LMDB and HDF5 handles don't survive it.
            self._handle, self._pid = self._open(), os.getpid()
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
        state["_handle"], state["_pid"] = None, None
        return state

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
