#!/usr/bin/env python3
"""The Real Python article's three storage methods, timed with ImageStash's bench protocol, as the peer to beat.

    python3 article_peer.py --source cifar-10-binary.tar.gz --counts 1,10,100,1000,10000,100000 \
        --repeat 3 --work /tmp/peer --out peer.csv

The methods follow the article "Three Ways of Storing and Accessing Lots of Images in Python": PNG files via
PIL plus a CSV of labels; LMDB with one pickled object per image in one transaction (map size = 10x the data);
HDF5 via h5py create_dataset of the whole array (STD_U8BE). Images are CIFAR-10 records from the archive's
training batches, in order, cycled up to the largest count (the article doubled 50,000 to 100,000) — the same
images `imagestash bench --source` uses. Protocol as in imagestash bench: a fresh store per run, one untimed
warm-up, then --repeat timed runs, median/min/max; reads are checked against the source.

Output: CSV rows in imagestash bench's schema with store names article-png, article-lmdb, article-hdf5, so
`imagestash bench --peer peer.csv` puts them beside ours. Needs Debian's python3-numpy, python3-pil,
python3-lmdb, python3-h5py.
"""
import argparse
import csv
import os
import pickle
import shutil
import statistics
import tarfile
import time
from pathlib import Path

import h5py
import lmdb
import numpy as np
from PIL import Image


class CIFAR_Image:
    """The article's value class: pickled per image into LMDB."""

    def __init__(self, image, label):
        self.channels = image.shape[2]
        self.size = image.shape[:2]
        self.image = image.tobytes()
        self.label = label

    def get_image(self):
        image = np.frombuffer(self.image, dtype=np.uint8)
        return image.reshape(*self.size, self.channels)


# --- store many ---------------------------------------------------------------------------------------------

def store_many_disk(directory, images, labels):
    for i, image in enumerate(images):
        Image.fromarray(image).save(directory / f"{i}.png")
    with open(directory / f"{len(images)}.csv", "w") as f:
        writer = csv.writer(f, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)
        for label in labels:
            writer.writerow([label])


def store_many_lmdb(directory, images, labels):
    map_size = len(images) * images[0].nbytes * 10
    env = lmdb.open(str(directory), map_size=map_size)
    with env.begin(write=True) as txn:
        for i in range(len(images)):
            txn.put(f"{i:08}".encode("ascii"), pickle.dumps(CIFAR_Image(images[i], labels[i])))
    env.close()


def store_many_hdf5(path, images, labels):
    with h5py.File(path, "w") as f:
        f.create_dataset("images", np.shape(images), h5py.h5t.STD_U8BE, data=images)
        f.create_dataset("meta", np.shape(labels), h5py.h5t.STD_U8BE, data=labels)


# --- read many ----------------------------------------------------------------------------------------------

def read_many_disk(directory, count):
    images = [np.array(Image.open(directory / f"{i}.png")) for i in range(count)]
    with open(directory / f"{count}.csv") as f:
        labels = [int(row[0]) for row in csv.reader(f, delimiter=" ", quotechar="|", quoting=csv.QUOTE_MINIMAL)]
    return images, labels


def read_many_lmdb(directory, count):
    images, labels = [], []
    env = lmdb.open(str(directory), readonly=True)
    with env.begin() as txn:
        for i in range(count):
            value = pickle.loads(txn.get(f"{i:08}".encode("ascii")))
            images.append(value.get_image())
            labels.append(value.label)
    env.close()
    return images, labels


def read_many_hdf5(path, count):
    with h5py.File(path, "r+") as f:
        images = np.array(f["/images"]).astype("uint8")
        labels = np.array(f["/meta"]).astype("uint8")
    return images, labels


METHODS = {
    "png": (store_many_disk, read_many_disk, False),
    "lmdb": (store_many_lmdb, read_many_lmdb, False),
    "hdf5": (store_many_hdf5, read_many_hdf5, True),  # True: the store is a file, not a folder
}


def load_cifar_train(archive, count):
    """The training batches of a CIFAR-10 binary archive in order, as (N, 32, 32, 3) uint8 and labels, cycled to count."""
    records = []
    with tarfile.open(archive, "r:gz") as tar:
        members = {Path(m.name).name: m for m in tar.getmembers()}
        for i in range(1, 6):
            member = members.get(f"data_batch_{i}.bin")
            if member is None:
                continue
            raw = np.frombuffer(tar.extractfile(member).read(), dtype=np.uint8).reshape(-1, 3073)
            records.append(raw)
    raw = np.concatenate(records)[:count]
    labels = raw[:, 0].astype(np.int64)
    images = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    reps = -(-count // len(images))
    return np.tile(images, (reps, 1, 1, 1))[:count], np.tile(labels, reps)[:count]


def disk_use(path):
    if path.is_file():
        return path.stat().st_blocks * 512, path.stat().st_size
    allocated = apparent = 0
    for p in path.rglob("*"):
        if p.is_file():
            st = p.stat()
            allocated += st.st_blocks * 512
            apparent += st.st_size
    return allocated, apparent


def remove(path):
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--counts", default="1,10,100,1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stores", default="png,lmdb,hdf5")
    parser.add_argument("--work", default="/tmp/imagestash-peer")
    parser.add_argument("--out", default="peer.csv")
    args = parser.parse_args()
    counts = sorted({int(c) for c in args.counts.split(",")})
    images, labels = load_cifar_train(args.source, max(counts))
    work = Path(args.work)
    remove(work)
    work.mkdir(parents=True)
    rows = []
    serial = 0
    for store in args.stores.split(","):
        store_many, read_many, is_file = METHODS[store]
        for count in counts:
            timings_w, timings_r = [], []
            path = None
            for run in range(args.repeat + 1):  # run 0 is the untimed warm-up
                if path is not None:
                    remove(path)
                path = work / f"{store}-{count}-{serial}"
                serial += 1
                if not is_file:
                    path.mkdir()
                start = time.perf_counter()
                store_many(path, images[:count], labels[:count])
                elapsed = time.perf_counter() - start
                if run:
                    timings_w.append(elapsed)
                start = time.perf_counter()
                got, got_labels = read_many(path, count)
                elapsed = time.perf_counter() - start
                if run:
                    timings_r.append(elapsed)
                if not (np.array_equal(np.asarray(got), images[:count]) and list(map(int, got_labels)) == list(map(int, labels[:count]))):
                    raise SystemExit(f"article-{store} returned wrong pixels for {count} images")
            allocated, apparent = disk_use(path)
            remove(path)
            nbytes = count * images[0].nbytes
            for op, t in (("store_many", timings_w), ("read_many", timings_r)):
                median = statistics.median(t)
                rows.append([f"article-{store}", op, count, median, min(t), max(t), len(t), count / median, nbytes / 1e6 / median,
                             nbytes, allocated if op == "store_many" else 0, apparent if op == "store_many" else 0, ""])
            print(f"article-{store} {count}: store {statistics.median(timings_w):.4f} s, read {statistics.median(timings_r):.4f} s", flush=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow("store,operation,count,median_s,min_s,max_s,runs,images_per_s,mb_per_s,bytes,disk_allocated,disk_apparent,multiple_of_limit".split(","))
        writer.writerows(rows)
    remove(work)


if __name__ == "__main__":
    main()
