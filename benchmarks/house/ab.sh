#!/usr/bin/env bash
# A/B of two builds of the imagestash CLI on the same command, alternating A, B, A, B, … PAIRS times, one line per run.
#   bash benchmarks/house/ab.sh A.dll B.dll PAIRS bench --stores hdf5 --counts 100000 --repeat 3
#   bash benchmarks/house/ab.sh A.dll B.dll PAIRS loader-bench cifar.lmdb --shuffle --epochs 4
# A.dll and B.dll are two builds' ImageStash.Cli.dll (e.g. a `git worktree add` of the old commit, built there).
# bench runs print each store's store_many and read_many medians at the largest count (ms, from results.csv);
# loader-bench runs print the line with its median images/s. Build first; run the whole script under /work/bin/quiet.
# A_ARGS / B_ARGS (environment) add arguments to one side only, e.g. B_ARGS=--whole-decode where A predates the option.
# AB_KEEP=DIR (environment) keeps each bench run's output folder (results.csv, report.md, …) as DIR/A1, DIR/B1, ….
set -euo pipefail
a=$1 b=$2 pairs=$3
shift 3
work=$(mktemp -d /tmp/imagestash-ab.XXXX)
trap 'rm -rf "$work"' EXIT
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): A=$a ${A_ARGS:-} B=$b ${B_ARGS:-}: $*"
run() { # label dll extra-args
  local label=$1 dll=$2
  local -a extra
  read -r -a extra <<<"${3:-}"
  if [ "${args[0]}" = bench ]; then
    dotnet "$dll" "${args[@]}" "${extra[@]}" --out "$work/$label" >/dev/null
    python3 - "$work/$label/results.csv" "$label" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
top = max(int(r["count"]) for r in rows)
cells = [f"{r['store']} {r['operation']} {float(r['median_s']) * 1000:.1f} ms" for r in rows
         if int(r["count"]) == top and r["operation"] in ("store_many", "read_many")]
print(sys.argv[2], "; ".join(cells), flush=True)
PY
    if [ -n "${AB_KEEP:-}" ]; then mkdir -p "$AB_KEEP" && rm -rf "${AB_KEEP:?}/$label" && cp -r "$work/$label" "$AB_KEEP/$label"; fi
  else
    echo "$label $(dotnet "$dll" "${args[@]}" "${extra[@]}" | grep -E '^median ' | head -n 1)"
  fi
}
args=("$@")
for i in $(seq 1 "$pairs"); do
  run "A$i" "$a" "${A_ARGS:-}"
  run "B$i" "$b" "${B_ARGS:-}"
done
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
