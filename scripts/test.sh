#!/usr/bin/env bash
# Builds and runs the test suite; ends with one "N passed, N failed" line.
#   bash scripts/test.sh           everything (installs what is missing first; about 4–5 minutes once installed)
#   bash scripts/test.sh --quick   the edit-test loop: no child processes, no Python, no root (under 30 s once built)
# Other arguments go to dotnet test (e.g. --filter "FullyQualifiedName~Lmdb").
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
target=ImageStash.slnx
args=()
if [ "${1:-}" = "--quick" ]; then
  shift
  target=tests/ImageStash.Tests/ImageStash.Tests.csproj
  args=(--filter "Tier!=Full")
else
  bash scripts/deps.sh
fi
log=$(mktemp)
status=0
dotnet test "$target" -c Release "${args[@]}" "$@" 2>&1 | tee "$log" || status=$?
# One summary line per test project: add them up.
passed=0 failed=0 skipped=0
while IFS= read -r summary; do
  passed=$((passed + $(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$summary")))
  failed=$((failed + $(sed -nE 's/.*Failed: +([0-9]+).*/\1/p' <<<"$summary")))
  skipped=$((skipped + $(sed -nE 's/.*Skipped: +([0-9]+).*/\1/p' <<<"$summary")))
done < <(grep -E "^(Passed|Failed)!" "$log" || true)
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
