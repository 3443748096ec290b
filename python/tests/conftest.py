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
    run_env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1", **(env or {}))
    return subprocess.Popen(CLI + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env)


def _finish(process, args, check):
    out, err = process.communicate()
    if check and process.returncode != 0:
        pytest.fail(f"imagestash {' '.join(map(str, args))} exited {process.returncode}: {err.strip()}")
    return out if check else subprocess.CompletedProcess(args, process.returncode, out, err)


def imagestash(*args, env=None, check=True):
    """Runs the C# tool; its stdout (with check=False, the CompletedProcess). A failure fails the test."""
    return _finish(_start(args, env), args, check)


def imagestash_all(commands):
    """Runs several commands of the C# tool at once (each process spends most of its time starting)."""
    started = [(_start(args), args) for args in commands]
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
    """A shard set of 300 raw samples in uneven shards (16 KiB: a few samples each, the last one short)."""
    root = tmp_path_factory.mktemp("shards")
    store = root / "src.lmdb"
    imagestash("import", "synthetic:300:8x8", store, "--batch", "300")
    dest = root / "set"
    imagestash("shard", store, dest, "--shard-size", "16KiB")
    return str(dest)
