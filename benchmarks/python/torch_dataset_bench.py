#!/usr/bin/env python3
"""The PyTorch Dataset over our LMDB store against the article's own LMDB read code, on 100,000 CIFAR images.

    /usr/bin/python3 benchmarks/python/torch_dataset_bench.py --source CIFAR.tar.gz --ours OURS.lmdb [--count 100000] [--repeat 3]
        [--work DIR [--prepare]]

The article's store is written here with its own code (a pickled CIFAR_Image per key); OURS.lmdb is an ImageStash
LMDB store of the same count of raw 32x32 images (e.g. `imagestash import synthetic:100000:32x32 OURS.lmdb`).
Both read every image into a numpy array with its label, once untimed, then in turns (article, ours, article, ours,
...); then ours through a DataLoader(num_workers=2, batch_size=256). Prints one line per run and the medians. With
--work the article's store is kept in DIR and reused when it is there (--prepare: only write it, so that a timed run
does not).
"""
import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python", "src"))  # the package, installed or not

import article_peer  # noqa: E402
from imagestash.torch import StoreDataset  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--ours", required=True)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work")
    parser.add_argument("--prepare", action="store_true")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="imagestash-torch-bench-")
    article = os.path.join(work, f"article-{args.count}.lmdb")
    if not os.path.exists(os.path.join(article, "complete")):
        images, labels = article_peer.load_cifar_train(args.source, args.count)
        os.makedirs(article, exist_ok=True)
        article_peer.store_many_lmdb(article, images, labels)
        open(os.path.join(article, "complete"), "w").close()
    if args.prepare:
        print(f"the article's LMDB store of {args.count:,} images: {article}")
        return
    data = StoreDataset(args.ours, as_array=True)
    assert len(data) >= args.count, f"{args.ours} holds {len(data)} images, fewer than {args.count}"
    theirs, ours = [], []
    article_peer.read_many_lmdb(article, args.count)  # one untimed warm-up each: both stores in the page cache
    [data[i] for i in range(args.count)]  # noqa: B018
    for run in range(args.repeat):
        # Each side starts with the other's result freed and the collector run: otherwise the 100,000 items still held
        # make the next read pay for the cyclic GC walking them (the first timed read was 3x slower than the others).
        gc.collect()
        start = time.perf_counter()
        got, _ = article_peer.read_many_lmdb(article, args.count)
        theirs.append(time.perf_counter() - start)
        del got
        gc.collect()
        start = time.perf_counter()
        got = [data[i] for i in range(args.count)]
        ours.append(time.perf_counter() - start)
        del got
        print(f"run {run}: article read_many_lmdb {theirs[-1]:.3f} s, StoreDataset[i] for every i {ours[-1]:.3f} s ({theirs[-1] / ours[-1]:.2f}x)")
    import torch
    from torch.utils.data import DataLoader

    start = time.perf_counter()
    seen = sum(len(labels) for _, labels in DataLoader(data, batch_size=256, num_workers=2, collate_fn=lambda b: (None, [l for _, l in b])))
    loader = time.perf_counter() - start
    print(f"median: article {statistics.median(theirs):.3f} s ({args.count / statistics.median(theirs):,.0f} images/s), "
          f"ours {statistics.median(ours):.3f} s ({args.count / statistics.median(ours):,.0f} images/s): {statistics.median(theirs) / statistics.median(ours):.2f}x")
    print(f"ours through DataLoader(num_workers=2, batch_size=256): {seen:,} images in {loader:.3f} s ({seen / loader:,.0f} images/s; torch {torch.__version__})")


if __name__ == "__main__":
    main()
