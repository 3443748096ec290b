"""The README's training loop, run as it is written, over a shard set of the test photos (greyscale, RGBA, CMYK,
EXIF-rotated among them)."""
import os
import re
import subprocess
import sys

import pytest

import imagestash
from conftest import ROOT

pytest.importorskip("torchvision")


def _training_loop():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    found = re.search(r"A training loop, runnable as it is.*?```python\n(.*?)```", text, re.S)
    assert found, "README.md has no training loop"
    return found.group(1)


def test_the_readmes_training_loop_runs_as_written(stores, tmp_path, cli):
    cli("shard", stores[("lmdb", "photos")], tmp_path / "photos-shards", "--shard-size", "256KiB")
    package = os.path.dirname(os.path.dirname(imagestash.__file__))  # installed, or python/src
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", _training_loop()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.fullmatch(r"epoch 0: \d+ batches, loss [\d.]+\nepoch 1: \d+ batches, loss [\d.]+\n", done.stdout), done.stdout
