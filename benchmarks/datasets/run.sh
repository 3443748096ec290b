#!/usr/bin/env bash
# Hugging Face Parquet (issue 20): import rate and memory, and the loader reading a Parquet dataset in place.
# The ImageNet-like photos of shared/data/photo-sample, repeated to N images, written as an HF dataset by
# `imagestash convert --format hf` (100-row groups); the same photos from an image folder (import) and from LMDB
# (loader) in the same run are the yardsticks. Memory: peak RSS split into anonymous (heap, native buffers) and
# file-backed (mapped files: the LMDB being written) pages, sampled from /proc every 50 ms, for N and 2N images.
#   bash benchmarks/datasets/run.sh [N=5000] [RUNS=3]     (run under: /work/bin/quiet …; build first)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-5000}; runs=${2:-3}
photos=${PHOTOS:-../shared/data/photo-sample}
[ -d "$photos" ] || photos=/work/shared/data/photo-sample
cli="dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# An image folder of N photos: links to the sample's files, repeated.
make_folder() { # count dir
  local count=$1 dir=$2 i=0
  mapfile -t files < <(find "$photos" -name '*.jpg' | sort)
  while [ $i -lt "$count" ]; do
    local f=${files[$((i % ${#files[@]}))]} class
    class=$(basename "$(dirname "$f")")
    mkdir -p "$dir/$class"; ln -s "$(realpath "$f")" "$dir/$class/$(printf %06d $i)-$(basename "$f")"
    i=$((i + 1))
  done
}
for count in "$n" $((2 * n)); do
  make_folder "$count" "$work/folder-$count"
  $cli import "$work/folder-$count" "$work/seed-$count.lmdb" >/dev/null
  $cli convert "$work/seed-$count.lmdb" "$work/hf-$count" --format hf >/dev/null
done
echo "parquet: $(du -sh "$work/hf-$n/data" | cut -f1) for $n photos, $(ls "$work/hf-$n/data" | wc -l) file(s); $(du -sh "$work/hf-$((2 * n))/data" | cut -f1) for $((2 * n)), $(ls "$work/hf-$((2 * n))/data" | wc -l) file(s)"
# Runs a command, sampling its peak RSS, RssAnon and RssFile (kB) from /proc; sets secs, rss, anon, file.
measure() {
  local start end pid
  start=$(date +%s.%N)
  "$@" >"$work/stdout" 2>/dev/null &
  pid=$!
  rss=0 anon=0 file=0
  while kill -0 "$pid" 2>/dev/null; do
    read -r r a f < <(awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} END{print r+0, a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0 0")
    [ "$r" -gt "$rss" ] && rss=$r; [ "$a" -gt "$anon" ] && anon=$a; [ "$f" -gt "$file" ] && file=$f
    sleep 0.05
  done
  wait "$pid"
  end=$(date +%s.%N)
  secs=$(python3 -c "print(round($end - $start, 2))")
}
rate() { # label source count
  rm -rf "$work/out.lmdb"
  measure $cli import "$2" "$work/out.lmdb"
  echo "import $1 $3 images: $secs s, $(python3 -c "print(round($3/$secs))") img/s, peak RSS $((rss / 1024)) MB (anon $((anon / 1024)) MB, file $((file / 1024)) MB)"
}
for r in $(seq "$runs"); do
  rate "folder" "$work/folder-$n" "$n"
  rate "hf-parquet" "$work/hf-$n" "$n"
done
rate "hf-parquet" "$work/hf-$((2 * n))" $((2 * n))
rate "folder" "$work/folder-$((2 * n))" $((2 * n))
# The loader: 224×224 random crops, shuffled, 3 epochs (the first a warm-up), from LMDB and from the Parquet files
# read in place (the hf store kind), alternating.
loader() { # label store
  measure $cli loader-bench "$2" --size 224 --shuffle --epochs 3 --no-limit
  echo "loader $1: $(grep -E "^median" "$work/stdout"); peak RSS $((rss / 1024)) MB (anon $((anon / 1024)) MB, file $((file / 1024)) MB)"
}
for r in $(seq "$runs"); do
  loader "lmdb" "$work/seed-$n.lmdb"
  loader "hf-parquet" "$work/hf-$n/data"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
