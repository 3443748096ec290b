"""The errors this package raises: format problems are ValueErrors that name the file and the record."""


class FormatError(ValueError):
    """A file is not what its layout (docs/formats/) says it should be. `path` is the file, `record` the id or
    member concerned (None when the whole file is)."""

    def __init__(self, path, message, record=None):
        self.path, self.record = str(path), record
        where = f"'{self.path}'" if record is None else f"'{self.path}', {record}"
        super().__init__(f"{where}: {message}")


class NotAStore(FormatError):
    """The path holds no ImageStash store or shard set."""


class DamagedRecord(FormatError):
    """A record's bytes do not match its CRC-32 or its declared size."""


class NewerFormat(FormatError):
    """Written by a newer ImageStash than this package reads."""


class MissingDependency(ImportError):
    """An optional module is needed for this store kind and is not installed."""


class CacheRefused(PermissionError):
    """The shard cache folder is not this user's own: another user could swap or read its shards."""

    def __init__(self, path, why):
        self.path = str(path)
        super().__init__(f"the shard cache folder '{self.path}' {why}; use a cache folder of your own (IMAGESTASH_CACHE, "
                         f"or ShardDataset(cache_dir=...))")


class S3Error(OSError):
    """Object storage answered with something retrying cannot fix (no such bucket, access denied, no server)."""
