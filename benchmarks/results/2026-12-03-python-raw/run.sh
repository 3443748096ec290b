#!/usr/bin/env bash
# The raw-payload benchmark of issue 19, in one /work/bin/quiet session, from the repository root:
#   /work/bin/quiet bash benchmarks/results/2026-12-03-python-raw/run.sh /tmp/py-bench OUT
# /tmp/py-bench/cifar50k-shards is made by ../2026-12-03-python/prepare.sh (its first three commands suffice).
set -x
B=$(cd "$(dirname "$0")/../../python" && pwd)
/usr/bin/python3 "$B/package_bench.py" raw "$1/cifar50k-shards" --repeat 3 > "$2/raw.txt" 2>&1
