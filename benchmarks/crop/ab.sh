#!/usr/bin/env bash
# A/B of two builds of the tool on the crop corpus, alternating A, B, A, B, … so that a slow spell hits both:
#   /work/bin/quiet bash benchmarks/crop/ab.sh A_CLI_DIR B_CLI_DIR STORE ROUNDS -- LOADER-BENCH ARGS…
# e.g. ab.sh /tmp/crop-base/cli /tmp/crop-new/cli /tmp/crop-base/photos.lmdb 2 -- --size 224 --epochs 3 --float
# Prints each run's median, whole-decode limit and crop-decode limit lines.
set -euo pipefail
a=${1:?}; b=${2:?}; store=${3:?}; rounds=${4:?}; shift 4; [ "${1:-}" = -- ] && shift
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  for side in A B; do
    dir=$a; [ "$side" = B ] && dir=$b
    echo "== $side ($dir) loader-bench $*"
    dotnet "$dir/ImageStash.Cli.dll" loader-bench "$store" "$@" | grep -E "^(median|limit|crop-decode)"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
