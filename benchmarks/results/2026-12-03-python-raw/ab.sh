#!/usr/bin/env bash
# The A/B of ab-raw.txt: /work/bin/quiet bash ab.sh SET_FOLDER   (from the repository root; SET: cifar50k-shards)
# Variants: before (python/src at 7db3c6c), B (at 2f984ae, this change), C (B without the per-payload CRC check).
# Each variant runs 3 epochs in its own process (a fresh ShardDataset per epoch); tarfile streams the set once first.
set -euo pipefail
set_dir=$1 work=$(mktemp -d)
for v in before:7db3c6c B:2f984ae; do
  mkdir -p "$work/${v%%:*}" && git archive "${v##*:}" python/src | tar -x -C "$work/${v%%:*}"
done
cp -r "$work/B" "$work/C"
/usr/bin/python3 - "$work/C/python/src/imagestash/shards.py" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
old = "    crcs = np.fromiter(map(zlib.crc32, pieces), np.int64, len(pieces))\n    wrong = np.flatnonzero(crcs != expected)\n"
assert old in s
open(p, "w").write(s.replace(old, "    wrong = []\n"))
PY
epochs='import sys, time
sys.path.insert(0, sys.argv[1])
from imagestash.torch import ShardDataset
out = []
for i in range(3):
    t = time.perf_counter(); n = sum(1 for _ in ShardDataset(sys.argv[2], decode=False))
    assert n == 50000
    out.append(n / (time.perf_counter() - t))
print(sys.argv[3], " ".join(f"{r:,.0f}" for r in out))'
tarfile="import sys, time
sys.path.insert(0, '$PWD/benchmarks/python'); sys.path.insert(0, '$work/before/python/src')
import package_bench
t = time.perf_counter(); n = package_bench.tarfile_stream(sys.argv[1]); print('tarfile', f'{n / (time.perf_counter() - t):,.0f}')"
for round in 1 2 3; do
  /usr/bin/python3 -c "$tarfile" "$set_dir"
  for v in before B C; do /usr/bin/python3 -c "$epochs" "$work/$v/python/src" "$set_dir" "$v"; done
done
rm -rf "$work"
