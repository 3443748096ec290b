#!/usr/bin/env bash
# A/B of the HDF5 store's BatchHelper (the CRC and row-writing helper thread, src/ImageStash.Hdf5/Internal/BatchHelper.cs):
# `imagestash bench --stores hdf5 --counts 100000` with the helper (A) and with IMAGESTASH_HDF5_HELPER=off (B),
# alternating A, B, A, B, … PAIRS times, printing store-many and read-many medians of each run.
#   bash benchmarks/hdf5-helper/ab.sh [PAIRS]      (default 4; about 4 minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-4}
dotnet build -c Release src/ImageStash.Cli >/dev/null
work=$(mktemp -d /tmp/imagestash-ab.XXXX)
trap 'rm -rf "$work"' EXIT
run() { # label, env...
  local label=$1; shift
  env "$@" dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll bench --stores hdf5 --counts 100000 --repeat 3 --out "$work/$label" >/dev/null
  python3 - "$work/$label/results.csv" "$label" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["store"] == "hdf5" and r["count"] == "100000" and r["operation"] in ("store_many", "read_many")]
print(sys.argv[2], " ".join(f"{r['operation']} {float(r['median_s']) * 1000:.1f} ms" for r in rows))
PY
}
for i in $(seq 1 "$pairs"); do
  run "A-helper-$i" IMAGESTASH_HDF5_HELPER=on
  run "B-no-helper-$i" IMAGESTASH_HDF5_HELPER=off
done
