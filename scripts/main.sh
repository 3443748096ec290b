#!/usr/bin/env bash
# The main job: the article's experiments on built-in data, quick (about a minute). Extra arguments go to bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
dotnet run -c Release --project src/ImageStash.Cli -- bench --quick --out bench-out "$@"
