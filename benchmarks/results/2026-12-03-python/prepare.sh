#!/usr/bin/env bash
# Data for the 2026-12-03 Python package runs, made outside the timed (quiet) runs, in a scratch folder.
#   bash prepare.sh /tmp/py-bench   (IS: the imagestash tool, e.g. "dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll")
set -euo pipefail
B=$(cd "$(dirname "$0")/../../python" && pwd)   # benchmarks/python of this checkout
cd "$1"
IS=${IS:-imagestash}
SRC=/work/shared/data/cifar-10-sample-binary.tar.gz        # 1,000 CIFAR-10 training images (the official layout)
# 50,000 and 100,000 CIFAR images: the sample imported 50 / 100 times (ids continue), LMDB.
for i in $(seq 50); do $IS import $SRC cifar50k.lmdb >/dev/null; done
$IS shard cifar50k.lmdb cifar50k-shards --shard-size 16MiB    # 17 CIFAR-shaped shards, 50,000 samples
cp -r cifar50k.lmdb cifar100k.lmdb
for i in $(seq 50); do $IS import $SRC cifar100k.lmdb >/dev/null; done
# The article's LMDB store of the same 100,000 CIFAR images (its own code, pickled per key).
/usr/bin/python3 $B/torch_dataset_bench.py --source $SRC --ours cifar100k.lmdb --work "$PWD" --prepare
# 2,000 photos: the 200 of photo-sample, each copied 10 times (r0-… to r9-…), then imported and sharded (64 MiB).
for c in /work/shared/data/photo-sample/*/; do
  n=$(basename "$c"); mkdir -p photos2000/$n
  for f in "$c"*; do for k in 0 1 2 3 4 5 6 7 8 9; do cp "$f" photos2000/$n/r$k-$(basename "$f"); done; done
done
$IS import photos2000 photos2000.lmdb --check none
$IS shard photos2000.lmdb photos2000-shards                    # 3 shards
