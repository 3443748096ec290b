#!/usr/bin/env bash
# Builds and runs the whole test suite; ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
status=0
dotnet test ImageStash.slnx -c Release "$@" 2>&1 | tee "$log" || status=$?
summary=$(grep -E "^(Passed|Failed)!" "$log" | tail -n 1 || true)
passed=$(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*Failed: +([0-9]+).*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.*Skipped: +([0-9]+).*/\1/p' <<<"$summary")
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit $status
