#!/usr/bin/env bash
# The timed runs, in one /work/bin/quiet session: /work/bin/quiet bash run.sh /tmp/py-bench OUT
set -x
B=$(cd "$(dirname "$0")/../../python" && pwd)
OUT=$(cd "$2" && pwd)
cd "$1"
/usr/bin/python3 $B/package_bench.py raw cifar50k-shards --repeat 3 > $OUT/raw.txt 2>&1
/usr/bin/python3 $B/torch_dataset_bench.py --source /work/shared/data/cifar-10-sample-binary.tar.gz --ours cifar100k.lmdb --work "$1" --repeat 3 > $OUT/store.txt 2>&1
/usr/bin/python3 -W ignore $B/package_bench.py photos photos2000-shards photos2000 --repeat 3 --workers 2 --batch 64 > $OUT/photos.txt 2>&1
