"""Fixtures: stores and shard sets written by the C# tool (`imagestash`) during the run, so the package is tested
against what ImageStash really writes. The tool is `$IMAGESTASH_CLI` (a command line), else the Release build of
src/ImageStash.Cli run with dotnet (scripts/test.sh builds it first)."""
import os
import shlex
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEST_DATA = os.path.join(ROOT, "tests", "ImageStash.Tests", "TestData")


def _cli_command():
    if os.environ.get("IMAGESTASH_CLI"):
        return shlex.split(os.environ["IMAGESTASH_CLI"])
    for build in ("src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll",
                  "tests/ImageStash.Tests/bin/Release/net10.0/ImageStash.Cli.dll"):
        dll = os.path.join(ROOT, build)
        if os.path.exists(dll):
            return ["dotnet", dll]
    pytest.exit("the imagestash tool is not built: run `dotnet build ImageStash.slnx -c Release` or set IMAGESTASH_CLI", 2)


CLI = None


def _start(args, env=None):
    global CLI
    CLI = CLI or _cli_command()
    run_env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
    run_env.update(env or {})
    return subprocess.Popen(CLI + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env)


def _finish(process, args, check):
    out, err = process.communicate()
    if check and process.returncode != 0:
        pytest.fail(f"imagestash {' '.join(map(str, args))} exited {process.returncode}: {err.strip()}")
    return out if check else subprocess.CompletedProcess(args, process.returncode, out, err)


def imagestash(*args, env=None, check=True):
    """Runs the C# tool; its stdout (with check=False, the CompletedProcess). A failure fails the test."""
    return _finish(_start(args, env), args, check)


def imagestash_all(commands, env=None):
    """Runs several commands of the C# tool at once (each process spends most of its time starting)."""
    started = [(_start(args, env), args) for args in commands]
    return [_finish(p, args, True) for p, args in started]


@pytest.fixture(scope="session")
def cli():
    return imagestash


@pytest.fixture(scope="session")
def photos_dir(tmp_path_factory):
    """A class-folder image source: the test photos (JPEG, PNG, WebP, EXIF-rotated, grey 16-bit, CMYK...)."""
    root = tmp_path_factory.mktemp("photos-src")
    shutil.copytree(os.path.join(TEST_DATA, "photos"), root / "photos", dirs_exist_ok=True)
    odd = root / "photos" / "oddities"
    odd.mkdir()
    for name in ("cmyk.jpg", "exif-orientation-6.jpg", "grey-16bit.png", "palette.png", "progressive.jpg", "rgba.png", "webp.webp"):
        shutil.copy(os.path.join(TEST_DATA, "photo-oddities", name), odd / name)
    return root / "photos"


SUFFIX = {"lmdb": ".lmdb", "hdf5": ".h5", "folder": ""}


@pytest.fixture(scope="session")
def stores(tmp_path_factory, photos_dir):
    """{(kind, source): path} for every store kind and two sources: 'raw' (synthetic raw pixels of one shape, the
    article's layouts) and 'photos' (encoded files kept as they are: HDF5's ragged layout)."""
    root = tmp_path_factory.mktemp("stores")
    made, commands = {}, []
    for source, spec in (("raw", ["synthetic:40:12x10"]), ("photos", [photos_dir, "--check", "none"])):
        for kind, suffix in SUFFIX.items():
            path = root / f"{source}-{kind}{suffix}"
            commands.append(["import", spec[0], path, *spec[1:], "--batch", "16"])
            made[(kind, source)] = str(path)
    imagestash_all(commands)
    return made


@pytest.fixture(scope="session")
def shard_set(tmp_path_factory):
    """A shard set of 303 raw samples in uneven shards (16 KiB: five samples each, the last one three)."""
    root = tmp_path_factory.mktemp("shards")
    store = root / "src.lmdb"
    imagestash("import", "synthetic:303:8x8", store, "--batch", "303")
    dest = root / "set"
    imagestash("shard", store, dest, "--shard-size", "16KiB")
    return str(dest)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """{AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION} of a radosgw on 127.0.0.1: the one
    IMAGESTASH_TEST_S3_ENV names (the env file scripts/s3-server.sh writes), else one started here by that script
    and stopped at the end (as the C# suite does; without Ceph these tests fail, they do not skip)."""
    if os.environ.get("IMAGESTASH_TEST_S3_ENV"):
        yield _read_env(os.environ["IMAGESTASH_TEST_S3_ENV"])
        return
    folder = str(tmp_path_factory.mktemp("s3-server"))
    script = os.path.join(ROOT, "scripts", "s3-server.sh")
    started = subprocess.run(["bash", script, "start", folder], capture_output=True, text=True, timeout=300)
    try:
        if started.returncode != 0:
            pytest.fail(f"scripts/s3-server.sh start failed ({started.returncode}): {started.stderr.strip()}")
        yield _read_env(os.path.join(folder, "env"))
    finally:
        subprocess.run(["bash", script, "stop", folder], capture_output=True, timeout=120)


def _read_env(path):
    with open(path) as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line)


@pytest.fixture(scope="session")
def s3_set(s3_server, tmp_path_factory):
    """(s3://BUCKET/set, the same set in a local folder): 300 raw 32x32 samples in uneven 64 KiB shards (about
    1.2 MB: more than the smallest cache holds), written by the C# tool to both places."""
    import boto3

    root = tmp_path_factory.mktemp("s3-set")
    store = root / "src.lmdb"
    imagestash("import", "synthetic:300:32x32", store, "--batch", "300")
    bucket = "pytest-" + os.urandom(4).hex()
    s3 = boto3.session.Session().client("s3", endpoint_url=s3_server["AWS_ENDPOINT_URL"], region_name="us-east-1",
                                        aws_access_key_id=s3_server["AWS_ACCESS_KEY_ID"],
                                        aws_secret_access_key=s3_server["AWS_SECRET_ACCESS_KEY"])
    s3.create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/set"
    imagestash_all([["shard", store, root / "set", "--shard-size", "64KiB"], ["shard", store, url, "--shard-size", "64KiB"]],
                   env=s3_server)
    return url, str(root / "set")
