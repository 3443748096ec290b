"""Shard sets under s3:// through boto3, against a real radosgw (conftest.s3_server): the same ids and pixels as the
local copy, a disk cache shared by DataLoader workers and by the C# loader, kept within its limit, private, and
checked on every hit."""
import hashlib
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import imagestash
from imagestash import s3

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader  # noqa: E402

from imagestash.torch import ShardDataset  # noqa: E402

from conftest import imagestash as run_cli  # noqa: E402


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The server's settings in this process's environment, as a user would set them."""
    for name, value in s3_server.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    return s3_server


def _cache_folder(root, url, endpoint):
    """The C# loader's folder for a set (ShardSetStore: SHA-256 of its cache key, 16 hex digits)."""
    bucket, _, prefix = url[len("s3://"):].partition("/")
    return os.path.join(root, hashlib.sha256(f"s3:{endpoint}/{bucket}/{prefix}".encode()).hexdigest()[:16])


def _tars(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".tar"))


def test_a_set_on_s3_reads_like_its_local_copy_through_a_dataloader_with_two_workers(s3_env, s3_set, tmp_path):
    url, local = s3_set
    expected = {r.id: r for r in imagestash.records(local)}
    data = ShardDataset(url, rank=1, world_size=2, seed=4, batch_size=8, with_ids=True, as_array=True, cache_dir=tmp_path)
    data.set_epoch(1)
    twin = ShardDataset(local, rank=1, world_size=2, seed=4, batch_size=8)
    twin.set_epoch(1)
    order = []
    for images, labels, ids in DataLoader(data, batch_size=8, num_workers=2):
        for image, label, image_id in zip(images, labels, ids):
            record = expected[int(image_id)]
            assert int(label) == record.label and np.array_equal(image.numpy(), imagestash.decode(record))
            order.append(int(image_id))
    assert order == twin.ids() == data.ids()
    # The cache is the C# loader's folder for this set, the user's own (0700), its shards private (0600).
    folder = _cache_folder(str(tmp_path), url, s3_env["AWS_ENDPOINT_URL"])
    assert data.set.location.cache.directory == folder
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert _tars(folder) and all(stat.S_IMODE(os.stat(os.path.join(folder, n)).st_mode) == 0o600 for n in _tars(folder))


def test_the_cache_stays_within_its_limit_while_two_workers_read_more_than_it_holds(s3_env, s3_set, tmp_path):
    url, local = s3_set
    size = sum(int(s["bytes"]) for s in imagestash.ShardSet(local).shards)
    assert size > 1 << 20  # the set is larger than the cache
    data = ShardDataset(url, shuffle=False, batch_size=4, with_ids=True, as_array=True, cache_dir=tmp_path, cache_limit="1MiB")
    ids = [int(i) for _, _, batch in DataLoader(data, batch_size=4, num_workers=2) for i in batch]
    assert ids == imagestash.ShardSet(local).ids.tolist()
    folder = data.set.location.cache.directory
    assert sum(os.path.getsize(os.path.join(folder, n)) for n in _tars(folder)) <= 1 << 20
    assert not [n for n in os.listdir(folder) if n.endswith(".part")]


def test_a_changed_cached_shard_is_fetched_again_not_read(s3_env, s3_set, tmp_path):
    url, local = s3_set
    data = ShardDataset(url, shuffle=False, as_array=True, cache_dir=tmp_path)
    first = [image for image, _ in data]
    folder = data.set.location.cache.directory
    name = data.set.shards[0]["name"]
    with open(os.path.join(folder, name), "r+b") as f:  # the same size, one pixel byte changed
        f.seek(1600)
        byte = f.read(1)
        f.seek(1600)
        f.write(bytes([byte[0] ^ 0xFF]))
    again = [image for image, _ in ShardDataset(url, shuffle=False, as_array=True, cache_dir=tmp_path)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again)) and len(first) == len(again)
    with open(os.path.join(folder, name), "rb") as f, open(os.path.join(local, name), "rb") as g:
        assert f.read() == g.read()


def test_python_reads_the_shards_the_csharp_loader_cached(s3_env, s3_set, tmp_path, monkeypatch):
    url, local = s3_set
    run_cli("verify", url, env={"IMAGESTASH_CACHE": str(tmp_path)})
    folder = _cache_folder(str(tmp_path), url, s3_env["AWS_ENDPOINT_URL"])
    assert _tars(folder) == sorted(s["name"] for s in imagestash.ShardSet(local).shards)

    def no_download(*args):
        raise AssertionError("downloaded a shard the C# loader had cached")

    monkeypatch.setattr(s3.S3Location, "download", no_download)
    data = ShardDataset(url, shuffle=False, with_ids=True, as_array=True, cache_dir=tmp_path)
    assert [int(i) for _, _, i in data] == imagestash.ShardSet(local).ids.tolist()


def test_a_missing_bucket_is_one_line(s3_env, tmp_path):
    with pytest.raises(s3.S3Error) as e:
        ShardDataset("s3://no-such-bucket-here/set", cache_dir=tmp_path)
    assert str(e.value) == (f"s3://no-such-bucket-here/set (reading index.json): bucket 'no-such-bucket-here' does not exist at "
                            f"{s3_env['AWS_ENDPOINT_URL']}; create it, or check the URL")


def test_a_cache_folder_that_is_a_link_or_another_users_is_refused(tmp_path):
    link = tmp_path / "cache"
    os.symlink(tmp_path, link)
    with pytest.raises(PermissionError, match=r"is a symbolic link or not a folder; use a cache folder of your own"):
        s3.ShardCache(str(link), 1 << 20)
    if os.geteuid() == 0:
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o700)
        os.chown(theirs, 54321, 54321)
    else:
        theirs = "/"  # root's
    with pytest.raises(PermissionError, match=r"belongs to another user \(uid (54321|0)\)"):
        s3.ShardCache(str(theirs), 1 << 20)


def test_without_boto3_an_s3_set_names_the_package(tmp_path):
    script = ("import sys; sys.modules['boto3'] = None\nimport imagestash\n"
              "try:\n    imagestash.ShardSet('s3://bucket/set', cache_dir=sys.argv[1])\nexcept imagestash.MissingDependency as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("reading 's3://bucket/set' needs the Python module 'boto3': install it (apt-get install "
                                   "python3-boto3, or pip install boto3)")
