#!/usr/bin/env python3
"""The Python package's shard benchmarks (issue 19's table), each side against its peer in alternating runs.

    /usr/bin/python3 benchmarks/python/package_bench.py raw SET [--repeat 3]
    /usr/bin/python3 benchmarks/python/package_bench.py photos SET FOLDER [--repeat 3] [--workers 2] [--batch 64]

raw:    imagestash.torch.ShardDataset over a local shard set yielding raw payloads (decode=False, every payload's
        CRC-32 checked) against Python's tarfile streaming the same shards member by member and grouping them into
        samples by key, as WebDataset does (no check). A reference in the same run: slicing each shard's mmap at
        offsets known in advance plus zlib.crc32, nothing else (once the limit; no longer a bound since ours reads
        shards into a reused buffer, which skips the map's page faults).
photos: ShardDataset + RandomResizedCrop(224), RandomHorizontalFlip, PILToTensor in DataLoader(num_workers=2)
        against torchvision's ImageFolder with the same transform and DataLoader over the photos the set was
        written from (`imagestash import FOLDER x.lmdb --check none` then `imagestash shard x.lmdb SET`).

Prints one line per run, each run's ratio, and the medians. The `imagestash` package is imported as installed, else
from python/src. Debian: python3-numpy python3-pil python3-torch python3-torchvision.
"""
import argparse
import json
import mmap
import os
import statistics
import sys
import tarfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import imagestash  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "src"))
from imagestash import ShardSet  # noqa: E402
from imagestash.shards import _scan  # noqa: E402
from imagestash.torch import ShardDataset  # noqa: E402


def shard_paths(folder):
    with open(os.path.join(folder, "index.json")) as f:
        return [os.path.join(folder, s["name"]) for s in json.load(f)["shards"]]


def tarfile_stream(folder):
    """WebDataset's way: each shard streamed with tarfile, members grouped into samples by the key before the first '.'."""
    count = 0
    for path in shard_paths(folder):
        with tarfile.open(path, mode="r|") as tar:
            key, sample = None, {}
            for member in tar:
                if not member.isfile():
                    continue
                base = member.name.rsplit("/", 1)[-1]
                member_key, _, extension = base.partition(".")
                if member_key != key:
                    if sample:
                        count += 1
                    key, sample = member_key, {}
                sample[extension] = tar.extractfile(member).read()
            if sample:
                count += 1
    return count


def mmap_limit(folder, spans):
    """The limit: every payload sliced from the shard's map at offsets found beforehand, and its CRC-32 computed."""
    count = 0
    for path, shard_spans in zip(shard_paths(folder), spans):
        with open(path, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            view = memoryview(data)
            for _, _, start, end in shard_spans:
                zlib.crc32(view[start:end])
                count += 1
            view.release()
            data.close()
    return count


def ours_raw(folder):
    count = 0
    for _ in ShardDataset(folder, decode=False):
        count += 1
    return count


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def run_raw(args):
    n = len(ShardSet(args.set))
    spans = []
    for path in shard_paths(args.set):
        with open(path, "rb") as f:
            spans.append(_scan(memoryview(f.read()), path))
    print(f"{args.set}: {n:,} samples in {len(spans)} shards; python {sys.version.split()[0]}")
    rates = {"tarfile": [], "ours": [], "limit": []}
    for run in range(args.repeat):
        for name, function in (("tarfile", tarfile_stream), ("ours", ours_raw), ("limit", lambda s: mmap_limit(s, spans))):
            count, seconds = timed(function, args.set)
            assert count == n, (name, count, n)
            rates[name].append(n / seconds)
        t, o, lim = (rates[k][-1] for k in ("tarfile", "ours", "limit"))
        print(f"run {run}: tarfile {t:,.0f} samples/s, ShardDataset raw {o:,.0f} samples/s, mmap+crc32 limit {lim:,.0f} samples/s: "
              f"ours/tarfile {o / t:.2f}x, ours/limit {o / lim:.2f}")
    med = {k: statistics.median(v) for k, v in rates.items()}
    ratios = [o / t for o, t in zip(rates["ours"], rates["tarfile"])]
    print(f"median: tarfile {med['tarfile']:,.0f}, ours {med['ours']:,.0f}, limit {med['limit']:,.0f} samples/s; "
          f"ours/tarfile per run {', '.join(f'{r:.2f}x' for r in ratios)} (median {statistics.median(ratios):.2f}x); "
          f"ours is {med['ours'] / med['limit']:.2f} of the limit")


def run_photos(args):
    import torch
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.PILToTensor()])
    folder = datasets.ImageFolder(args.folder, transform=transform)
    ours = ShardDataset(args.set, transform=transform, batch_size=args.batch, mode="RGB")  # RGB as ImageFolder's loader
    n = len(ShardSet(args.set))
    assert n == len(folder), (n, len(folder))
    print(f"{n:,} photos; DataLoader(num_workers={args.workers}, batch_size={args.batch}); torch {torch.__version__}, "
          f"python {sys.version.split()[0]}")

    def epoch(loader):
        count = 0
        checksum = 0.0
        for batch, labels in loader:
            count += batch.shape[0]
            checksum += float(batch.view(-1)[-1])  # touch the batch as a training step would
        return count

    torch.manual_seed(0)
    theirs_loader = DataLoader(folder, batch_size=args.batch, shuffle=True, num_workers=args.workers)
    ours_loader = DataLoader(ours, batch_size=args.batch, num_workers=args.workers)
    epoch(theirs_loader)  # warm-up: files in the page cache
    epoch(ours_loader)
    theirs, mine = [], []
    for run in range(args.repeat):
        ours.set_epoch(run + 1)
        count, seconds = timed(epoch, theirs_loader)
        assert count == n
        theirs.append(n / seconds)
        count, seconds = timed(epoch, ours_loader)
        assert count == n
        mine.append(n / seconds)
        print(f"run {run}: ImageFolder {theirs[-1]:,.1f} images/s, ShardDataset {mine[-1]:,.1f} images/s: {mine[-1] / theirs[-1]:.2f}x")
    ratios = [o / t for o, t in zip(mine, theirs)]
    print(f"median: ImageFolder {statistics.median(theirs):,.1f}, ShardDataset {statistics.median(mine):,.1f} images/s; "
          f"per run {', '.join(f'{r:.2f}x' for r in ratios)} (median {statistics.median(ratios):.2f}x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    raw = sub.add_parser("raw")
    raw.add_argument("set")
    raw.add_argument("--repeat", type=int, default=3)
    photos = sub.add_parser("photos")
    photos.add_argument("set")
    photos.add_argument("folder")
    photos.add_argument("--repeat", type=int, default=3)
    photos.add_argument("--workers", type=int, default=2)
    photos.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    (run_raw if args.what == "raw" else run_photos)(args)


if __name__ == "__main__":
    main()
