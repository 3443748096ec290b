#!/usr/bin/env bash
# Builds and runs the test suite; ends with one "N passed, N failed" line.
#   bash scripts/test.sh           everything (installs what is missing first; about 4–5 minutes once installed)
#   bash scripts/test.sh --quick   the edit-test loop: no child processes, no Python, no root (under 30 s once built)
# Other arguments go to dotnet test (e.g. --filter "FullyQualifiedName~Lmdb") and skip the Python package's tests.
# Without --quick or arguments, the Python package (python/) is installed into a fresh venv and its pytest suite runs
# after dotnet's, against the tool dotnet just built; its counts are added to the last line.
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
python_suite=$([ "$target" = ImageStash.slnx ] && [ $# -eq 0 ] && echo yes || true)
dotnet test "$target" -c Release "${args[@]}" "$@" 2>&1 | tee "$log" || status=$?
# One summary line per test project: add them up.
passed=0 failed=0 skipped=0
while IFS= read -r summary; do
  passed=$((passed + $(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$summary")))
  failed=$((failed + $(sed -nE 's/.*Failed: +([0-9]+).*/\1/p' <<<"$summary")))
  skipped=$((skipped + $(sed -nE 's/.*Skipped: +([0-9]+).*/\1/p' <<<"$summary")))
done < <(grep -E "^(Passed|Failed)!" "$log" || true)
if [ -n "$python_suite" ]; then
  # The package installed offline into a fresh venv (Debian's setuptools, numpy, torch), then its tests. The README's
  # `.venv/bin/pip install` does the same; the system pip installing into a venv without its own pip saves ~10 s.
  venv=$(mktemp -d)
  pylog=$(mktemp)
  py_status=0
  { /usr/bin/python3 -m venv --without-pip --system-site-packages "$venv/env" &&
    /usr/bin/python3 -m pip --python "$venv/env/bin/python" install -q --no-build-isolation --no-index ./python &&
    rm -rf python/build python/src/imagestash.egg-info &&
    (cd python && "$venv/env/bin/python" -m pytest -q -p no:cacheprovider tests); } 2>&1 | tee "$pylog" || py_status=$?
  # pytest's last line: "12 passed, 1 skipped in 30.1s" (any of the counts may be missing).
  py_summary=$(grep -E "^=*.*[0-9]+ (passed|failed|error)" "$pylog" | tail -n 1 || true)
  py_passed=$(sed -nE 's/.*[^0-9]([0-9]+) passed.*/\1/p; s/^=* *([0-9]+) passed.*/\1/p' <<<"$py_summary" | head -n 1)
  py_failed=$(($(sed -nE 's/.*[^0-9]([0-9]+) failed.*/\1/p; s/^=* *([0-9]+) failed.*/\1/p' <<<"$py_summary" | head -n 1 || true) + 0))
  py_errors=$(($(sed -nE 's/.*[^0-9]([0-9]+) errors?.*/\1/p; s/^=* *([0-9]+) errors?.*/\1/p' <<<"$py_summary" | head -n 1 || true) + 0))
  py_skipped=$(sed -nE 's/.*[^0-9]([0-9]+) skipped.*/\1/p' <<<"$py_summary" | head -n 1)
  if [ "$py_status" -ne 0 ] && [ $((py_failed + py_errors)) -eq 0 ]; then py_errors=1; fi # no summary: the install failed
  passed=$((${passed:-0} + ${py_passed:-0}))
  failed=$((${failed:-0} + py_failed + py_errors))
  skipped=$((${skipped:-0} + ${py_skipped:-0}))
  [ "$py_status" -eq 0 ] || status=1
  rm -rf "$venv" "$pylog"
fi
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
