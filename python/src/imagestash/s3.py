"""Shard sets under s3://BUCKET/PREFIX (docs/formats/shards.md, "Reading from object storage"), through boto3, with
the C# side's conventions: endpoint from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, credentials from the usual chain,
region from AWS_REGION (else us-east-1), path-style addressing and checksums only when required with a custom
endpoint. Shards are downloaded with parallel ranged GETs into the disk cache the C# loader uses (same folder, same
locks), so a shard is fetched once per machine whichever side or DataLoader worker asks first."""
import fcntl
import hashlib
import os
import re
import stat
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

from ._optional import require
from .errors import CacheRefused, DamagedRecord, FormatError, S3Error

PART = 8 << 20
POLL = 0.02


def default_cache_dir():
    """IMAGESTASH_CACHE, else $XDG_CACHE_HOME/imagestash/shards, else ~/.cache/imagestash/shards (as C#)."""
    if os.environ.get("IMAGESTASH_CACHE"):
        return os.environ["IMAGESTASH_CACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "imagestash", "shards")


def parse_size(text):
    """'20GiB', '500MiB', '1048576' (KB/MB/GB taken as KiB/MiB/GiB, as C#'s ByteSize)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", str(text))
    scale = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
             "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}.get(match.group(2).lower() if match else None)
    if not match or scale is None:
        raise ValueError(f"'{text}' is not a size: write e.g. 8GiB or 500MiB")
    return int(float(match.group(1)) * scale)


def default_cache_limit():
    text = os.environ.get("IMAGESTASH_CACHE_LIMIT", "").strip()
    limit = parse_size(text) if text else 20 << 30
    if limit < 1 << 20:
        raise ValueError(f"IMAGESTASH_CACHE_LIMIT '{text}' is not a size of at least 1 MiB: write e.g. 8GiB or 500MiB")
    return limit


class ShardCache:
    """A folder of whole, checked shards with a size limit, shared by every process (C# ones too). A reader holds a
    shared flock on each shard it has open; eviction deletes only files it can lock exclusively; a download holds
    `NAME.lock` exclusively and renames a checked, private (0600) `.part` file into place. (.NET takes the same
    flocks: FileShare.None is LOCK_EX, any other sharing LOCK_SH.) The folder is the user's own (0700)."""

    def __init__(self, directory, limit):
        self.directory, self.limit = private_folder(directory), int(limit)

    def open(self, name, fetch):
        """(file, fetched): shard `name` opened for reading under a shared lock, `fetch(temp_path)` writing and
        checking it first if absent; `fetched` says whether this call stored it (a hit must be checked by the caller)."""
        path = os.path.join(self.directory, name)
        f = self._try_open(path)
        if f is not None:
            return f, False
        lock = self._lock(path + ".lock")
        try:
            f = self._try_open(path)  # another process fetched it while we waited
            if f is not None:
                return f, False
            self._store(path, fetch)
        finally:
            os.close(lock)
        f = self._open_stored(path, name)
        self.evict()
        return f, True

    def replace(self, name, fetch):
        """Fetches shard `name` again over a cached copy that failed its check (whoever has the old file open keeps
        it; the name points at the new one), and opens it."""
        path = os.path.join(self.directory, name)
        lock = self._lock(path + ".lock")
        try:
            self._store(path, fetch)
        finally:
            os.close(lock)
        return self._open_stored(path, name)

    def _open_stored(self, path, name):
        """Opens shard `name` just stored at `path`."""
        f = self._try_open(path)
        if f is None:
            raise OSError(f"shard '{name}' vanished from the cache '{self.directory}' as it was stored")
        return f

    @staticmethod
    def _store(path, fetch):
        temp = f"{path}.{os.getpid()}.{uuid.uuid4().hex}.part"
        try:
            fetch(temp)
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)

    def evict(self):
        """Deletes the least recently used shards no process has open until the cache is within its limit. Other
        processes evict at the same time: a file gone since the listing is skipped."""
        files = []
        for entry in os.scandir(self.directory):
            if entry.name.endswith(".tar"):
                try:
                    stat = entry.stat()
                    files.append((stat.st_mtime, stat.st_size, entry.path))
                except FileNotFoundError:
                    pass
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.limit:
                break
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # open in some process
            try:
                os.unlink(path)
                total -= size
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)

    @staticmethod
    def _try_open(path):
        while True:
            try:
                f = open(path, "rb")
            except FileNotFoundError:
                return None
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                time.sleep(POLL)  # an eviction holds it for a moment: it is deleted next, or kept
                continue
            try:
                os.utime(f.fileno())  # the file's time is its last use: eviction goes oldest first
            except OSError:
                pass
            return f

    @staticmethod
    def _lock(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                time.sleep(POLL)  # a download of this shard is under way


def private_folder(path):
    """`path` created (0700) or checked, as C#'s PrivateFolder: another user who could write the cache could swap a
    shard, one who could read it could read a private bucket's shards. Its parent may be root's but no other user's,
    nor writable by all without the sticky bit; the folder itself must be ours and not a symbolic link."""
    path = os.path.abspath(path)
    parent = os.path.dirname(path.rstrip("/")) or "/"
    _make_private(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    me = os.geteuid()
    info = os.lstat(parent)
    if info.st_uid not in (me, 0):
        raise CacheRefused(parent, f"belongs to another user (uid {info.st_uid})")
    if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX and info.st_uid != me:
        raise CacheRefused(parent, "can be written by every user")
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise CacheRefused(path, "is a symbolic link or not a folder")
    if info.st_uid != me:
        raise CacheRefused(path, f"belongs to another user (uid {info.st_uid})")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)  # a cache made before it was kept private
    return path


def _make_private(folder):
    """Creates the missing folders of `folder`, each 0700 (existing ones are left as they are)."""
    if os.path.isdir(folder):
        return
    _make_private(os.path.dirname(folder.rstrip("/")) or "/")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass


class S3Location:
    """A shard set under s3://BUCKET/PREFIX. Keyword options override the environment: endpoint, region, access_key,
    secret_key, path_style and relaxed_checksums (default: on exactly when an endpoint is set, as C#'s S3Options),
    cache_dir, cache_limit (bytes or '8GiB'), parallel (ranged GETs at once, 1-64, default 4), part_size."""

    def __init__(self, url, endpoint=None, region=None, access_key=None, secret_key=None, path_style=None,
                 relaxed_checksums=None, cache_dir=None, cache_limit=None, parallel=4, part_size=PART):
        self.display = url.rstrip("/")
        rest = self.display[len("s3://"):]
        self.bucket, _, self.prefix = rest.partition("/")
        if not re.fullmatch(r"[a-z0-9.-]{3,63}", self.bucket):
            raise ValueError(f"'{url}' does not name an S3 bucket: write s3://BUCKET/PREFIX (a bucket name is 3-63 "
                             f"lower-case letters, digits, '-' or '.')")
        if not 1 <= int(parallel) <= 64 or not 5 << 20 <= int(part_size) <= 1 << 30:
            raise ValueError(f"parallel must be 1 to 64 requests (got {parallel}) and part_size 5 MiB to 1 GiB (got {part_size})")
        self.endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.path_style = self.endpoint is not None if path_style is None else bool(path_style)
        self.relaxed = self.endpoint is not None if relaxed_checksums is None else bool(relaxed_checksums)
        self._credentials = (access_key, secret_key)
        self.parallel, self.part_size = int(parallel), int(part_size)
        # The C# loader's folder for the same set (ShardSetStore: the first 16 hex digits of SHA-256 of this key).
        key = f"s3:{self.endpoint or 'aws:' + self.region}/{self.bucket}/{self.prefix}"
        folder = hashlib.sha256(key.encode()).hexdigest()[:16]
        limit = parse_size(cache_limit) if isinstance(cache_limit, str) else cache_limit or default_cache_limit()
        if limit < 1 << 20:
            raise ValueError(f"cache_limit {limit} is under 1 MiB: give the cache at least 1 MiB")
        self.cache = ShardCache(os.path.join(cache_dir or default_cache_dir(), folder), limit)
        self._client, self._pid = None, None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_client"], state["_pid"] = None, None  # a client per process (DataLoader workers)
        return state

    def client(self):
        if self._client is None or self._pid != os.getpid():
            boto3 = require("boto3", f"reading '{self.display}'")
            from botocore.config import Config

            options = dict(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                           max_pool_connections=max(10, self.parallel))
            if self.path_style:
                options["s3"] = {"addressing_style": "path"}
            relaxed = {"request_checksum_calculation": "when_required", "response_checksum_validation": "when_required"}
            try:
                # botocore 1.36+ sends checksums that many S3-compatible servers (radosgw among them) reject: only
                # "when required", as the C# side. Older botocore (Debian 12's) sends none and has no such option.
                config = Config(**options, **(relaxed if self.relaxed else {}))
            except TypeError:
                config = Config(**options)
            kwargs = dict(config=config, region_name=self.region)
            if self.endpoint:
                kwargs["endpoint_url"] = self.endpoint
            if self._credentials[0]:
                kwargs["aws_access_key_id"], kwargs["aws_secret_access_key"] = self._credentials
            self._client, self._pid = boto3.session.Session().client("s3", **kwargs), os.getpid()
        return self._client

    def _key(self, name):
        return f"{self.prefix}/{name}" if self.prefix else name

    def read_small(self, name):
        """The object's bytes, or None when there is no such object."""
        client = self.client()  # first: without boto3, the line naming the package
        from botocore.exceptions import ClientError

        try:
            return client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except ClientError as e:
            if _code(e) in ("NoSuchKey", "404"):
                return None
            raise self._translate(e, f"reading {name}") from e
        except Exception as e:
            raise self._translate(e, f"reading {name}") from e

    def open_shard(self, entry):
        """(file, path, checked): the shard from the cache, fetched first if absent. A cached copy is checked
        against the index's size and CRC-32 (as C#) and fetched again if it fails: the index and the server decide."""
        name, size, crc = entry["name"], int(entry["bytes"]), int(entry["crc32"], 16)

        def fetch(temp):
            self.download(name, size, temp)
            length, data_crc = _size_and_crc(temp)
            if length != size or data_crc != crc:
                raise DamagedRecord(f"{self.display}/{name}", f"is {length:,} bytes with CRC-32 {data_crc:08x}; index.json says "
                                                              f"{size:,} bytes, {entry['crc32']}: the shard is damaged; write the set again")

        f, fetched = self.cache.open(name, fetch)
        if not fetched and _size_and_crc(f.name) != (size, crc):
            f.close()
            f = self.cache.replace(name, fetch)
        return f, f.name, True

    def download(self, name, size, target):
        """Parallel ranged GETs of `part_size` bytes into a new private file `target` (boto3 retries each on its own)."""
        parts = [(start, min(size, start + self.part_size)) for start in range(0, size, self.part_size)]
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            def get(part):
                start, end = part
                body = self.client().get_object(Bucket=self.bucket, Key=self._key(name), Range=f"bytes={start}-{end - 1}")["Body"].read()
                if len(body) != end - start:
                    raise FormatError(f"{self.display}/{name}", f"the server sent {len(body):,} of {end - start:,} bytes at {start:,}")
                os.pwrite(fd, body, start)

            self.client()  # made once, before the threads share it (boto3 clients are thread-safe)
            try:
                if len(parts) <= 1:
                    for part in parts:
                        get(part)
                else:
                    with ThreadPoolExecutor(max_workers=min(self.parallel, len(parts))) as pool:
                        list(pool.map(get, parts))
            except FormatError:
                raise
            except Exception as e:
                raise self._translate(e, f"downloading {name}") from e
        finally:
            os.close(fd)

    def _translate(self, error, what):
        """One line for what retrying cannot fix, as the C# side says it."""
        from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

        where = f"{self.display} ({what})"
        server = self.endpoint or f"AWS ({self.region})"
        if isinstance(error, ClientError):
            code = _code(error)
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket":
                return S3Error(f"{where}: bucket '{self.bucket}' does not exist at {server}; create it, or check the URL")
            if status in (401, 403):
                return S3Error(f"{where}: access denied ({code}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile)")
            return S3Error(f"{where}: the server answered {status} {code}")
        if isinstance(error, NoCredentialsError):
            return S3Error(f"{where}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
        if isinstance(error, EndpointConnectionError):
            return S3Error(f"{where}: cannot reach the S3 server at {server}; check AWS_ENDPOINT_URL and that the server is running")
        return error


def _code(error):
    return error.response.get("Error", {}).get("Code")


def _size_and_crc(path):
    """(bytes, CRC-32) of the file at `path`."""
    crc, length = 0, 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            crc, length = zlib.crc32(block, crc), length + len(block)
    return length, crc
