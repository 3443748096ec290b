#!/usr/bin/env bash
# Why import from HF Parquet (and from a folder) runs where it does: the same N photos imported with the decode check
# (--check scaled, the default) and without it (--check none: header only), alternating, plus the tool's start-up
# (import of an empty folder). The CLI's own "in X s" excludes start-up; wall time includes it.
#   WORK=/tmp/ds /work/bin/quiet bash benchmarks/datasets/check-cost.sh [N=5000] [RUNS=3]   (after run.sh prepare)
set -euo pipefail
cd "$(dirname "$0")/../.."
cli="dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll"
work=${WORK:-/tmp/imagestash-datasets}
n=${1:-5000}; runs=${2:-3}
one() { # label source check
  rm -rf "$work/out.lmdb"
  local start end
  start=$(date +%s.%N)
  out=$($cli import "$2" "$work/out.lmdb" --check "$3")
  end=$(date +%s.%N)
  echo "$1 --check $3: wall $(python3 -c "print(round($end - $start, 2))") s, $(python3 -c "print(round($n / ($end - $start)))") img/s wall; tool: $(grep -o 'in [0-9.]* s' <<<"$out")"
}
mkdir -p "$work/empty/a"; cp "$(find "$work/folder-$n" -name '*.jpg' | head -1)" "$work/empty/a/"
for r in $(seq "$runs"); do
  for check in scaled none; do
    one "hf-parquet $n" "$work/hf-$n" "$check"
    one "folder $n" "$work/folder-$n" "$check"
  done
  rm -rf "$work/out.lmdb"; start=$(date +%s.%N); $cli import "$work/empty" "$work/out.lmdb" >/dev/null; end=$(date +%s.%N)
  echo "start-up (import of 1 image): $(python3 -c "print(round($end - $start, 2))") s"
done
