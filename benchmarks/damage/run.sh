#!/usr/bin/env bash
# The long damage run (issue 16): for every store kind, a 5,000-image store damaged with 50 seeds in each of the
# seven ways of tests/ImageStash.Tests/Reliability/StoreDamage.cs, read by get, export and loader-bench (each in
# its own process, so a signal shows as exit >= 128) and by the library API. Writes the table of every outcome and
# a summary to OUT (default benchmarks/results/<date>-damage). Takes about an hour on 2 cores.
# Usage: benchmarks/damage/run.sh [OUT] [SEEDS] [KINDS] [FIRST_SEED]   (KINDS e.g. lmdb or lmdb,png; default all)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-benchmarks/results/$(date +%F)-damage}
seeds=${2:-50}
kinds=${3:-}
first=${4:-0}
mkdir -p "$out"
table="$out/outcomes.md"
echo "| store | seed | damage | reader | outcome |" > "$table"
echo "|---|---|---|---|---|" >> "$table"
set +e
IMAGESTASH_DAMAGE_KINDS=$kinds IMAGESTASH_DAMAGE_FIRST_SEED=$first IMAGESTASH_DAMAGE_SEEDS=$seeds IMAGESTASH_DAMAGE_IMAGES=5000 IMAGESTASH_DAMAGE_CHILD=1 IMAGESTASH_DAMAGE_REPORT="$PWD/$table" \
  dotnet test tests/ImageStash.Tests -c Release --filter "FullyQualifiedName~Reliability.DamageTests" > "$out/test-output.txt" 2>&1
rc=$?
set -e
python3 benchmarks/damage/summarize.py "$table" > "$out/summary.md"
cat "$out/summary.md"
exit $rc
