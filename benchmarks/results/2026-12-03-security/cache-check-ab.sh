#!/usr/bin/env bash
# A/B of the cache-hit check (issue 23): the warm S3 loader on raw 32x32 shards (no decode: the case where checking
# a cached shard's CRC-32 weighs most), old build (a hit trusted) against new (a hit's length and CRC-32 checked in the
# scan that reads its table), alternating, 3 rounds. OLD=the old ImageStash.Cli.dll, NEW=the new one (default: this tree's).
#   flock /work/.bench.lock bash benchmarks/results/2026-12-03-security/cache-check-ab.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
w=$(mktemp -d /tmp/imagestash-cache-ab.XXXX)
trap 'bash scripts/s3-server.sh stop "$w/s3" >/dev/null 2>&1 || true; rm -rf "$w"' EXIT
new() { dotnet "${NEW:-src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll}" "$@"; }
old() { dotnet "${OLD:?set OLD to the old ImageStash.Cli.dll}" "$@"; }
bash scripts/s3-server.sh start "$w/s3" >/dev/null
set -a; . "$w/s3/env"; set +a
bash scripts/s3-server.sh bucket "$w/s3" cacheab >/dev/null
new import synthetic:50000:32x32 "$w/c.lmdb" >/dev/null 2>&1
new shard "$w/c.lmdb" s3://cacheab/c >/dev/null 2>&1
export IMAGESTASH_CACHE=$w/cache
new loader-bench s3://cacheab/c --epochs 1 >/dev/null 2>&1 # fills the cache: every later run is warm
for r in $(seq "${ROUNDS:-3}"); do
  for v in old new; do
    echo "== $v round $r"; $v loader-bench s3://cacheab/c --epochs "${EPOCHS:-4}" | grep -E "^(epoch|median)"
  done
done
