#!/usr/bin/env bash
# Issue 20 (fields per record): does the loader's hot path pay anything for fields it is not asked for?
#   /work/bin/quiet bash benchmarks/fields/run.sh A.dll B.dll WORK [PAIRS=3] [PHOTO_PAIRS=2]
# A.dll: the CLI built before fields (main at 47a3e3f's successor, no fields in stores or loader); B.dll: with them.
# WORK holds cifar.lmdb (synthetic:50000:32x32) and photos.lmdb (2,000 photos of make_corpus.py, --seed 1), both
# imported by A (records without fields: the same bytes for both builds), and photos-fields.lmdb (the same photos
# with a caption, tags and a box per image from a metadata.jsonl, imported by B). Prints one median line per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
a=$1 b=$2 work=$3 pairs=${4:-3} photo_pairs=${5:-2}
ab=benchmarks/house/ab.sh
echo "## raw path (CIFAR-shaped, as stored, shuffled)"
bash $ab "$a" "$b" "$pairs" loader-bench "$work/cifar.lmdb" --shuffle --epochs 3
echo "## photo path (decode + random crop to 224)"
bash $ab "$a" "$b" "$photo_pairs" loader-bench "$work/photos.lmdb" --size 224 --epochs 2 --no-limit
echo "## B only, a store whose every record has fields: not asked (A side) vs --with-fields (B side)"
A_ARGS= B_ARGS=--with-fields bash $ab "$b" "$b" "$photo_pairs" loader-bench "$work/photos-fields.lmdb" --size 224 --epochs 2 --no-limit
