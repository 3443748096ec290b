#!/usr/bin/env bash
# The photo workflow end to end, with nothing but this repository: a small folder of ImageNet-like photos, imported
# keeping each file's bytes, verified, measured with the loader, and trained on through it.
#   bash examples/photos.sh [COUNT]      (default 600 photos; a couple of minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-600}
work=$(mktemp -d /tmp/imagestash-example.XXXX)
trap 'rm -rf "$work"' EXIT
bash scripts/deps.sh
imagestash() { dotnet run -c Release --project src/ImageStash.Cli -- "$@"; }
/usr/bin/python3 benchmarks/photos/make_corpus.py --out "$work/photos" --count "$count" --seed 7
imagestash import "$work/photos" "$work/photos.lmdb"                  # each file's bytes kept, each checked by a decode
imagestash info "$work/photos.lmdb"
imagestash verify "$work/photos.lmdb" --deep                          # every CRC, every photo decoded
imagestash get "$work/photos.lmdb" 0 -o "$work/first.jpg"             # the very bytes imported
imagestash loader-bench "$work/photos.lmdb" --size 224 --epochs 3     # decode + RandomResizedCrop on every core, against the decoder's limit
dotnet run -c Release --project examples/TrainLoop -- "$work/photos.lmdb" --size 64 --epochs 3
