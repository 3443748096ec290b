#!/usr/bin/env bash
# Hugging Face Parquet (issue 20): import rate and memory, the loader reading a Parquet dataset in place, and the two
# Parquet libraries' minimal readers. The ImageNet-like photos of shared/data/photo-sample, repeated to N images,
# written as an HF dataset by `imagestash convert --format hf` (100-row groups, one file: --file-size 4000); the same
# photos from an image folder (import) and from LMDB (loader) in the same run are the yardsticks. Memory: peak RSS
# split into anonymous (heap, native buffers) and file-backed (mapped files: the LMDB being written) pages, sampled
# from /proc every 50 ms, for N and 2N images. Import rates: wall clock (with the tool's ~0.5 s start-up) and the
# tool's own "in X s" (from opening the source to the last commit). The loader runs over L images (224×224 crops, shuffled, 3 epochs, the
# first a warm-up). parquet-libs/ reads the N-image file with Parquet.Net 6.1.0 and with ParquetSharp 25.0.1.2.
#   WORK=/tmp/ds bash benchmarks/datasets/run.sh prepare [N=5000] [L=2000]   (outside the lock: data and builds)
#   WORK=/tmp/ds /work/bin/quiet bash benchmarks/datasets/run.sh [N=5000] [RUNS=3] [L=2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
photos=${PHOTOS:-../shared/data/photo-sample}
[ -d "$photos" ] || photos=/work/shared/data/photo-sample
cli="dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll"
libs="dotnet benchmarks/datasets/parquet-libs/bin/Release/net10.0/ParquetLibs.dll"
work=${WORK:-/tmp/imagestash-datasets}
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
if [ "${1:-}" = prepare ]; then
  n=${2:-5000}; l=${3:-2000}
  rm -rf "$work"; mkdir -p "$work"
  for count in "$n" $((2 * n)) "$l"; do
    make_folder "$count" "$work/folder-$count"
    $cli import "$work/folder-$count" "$work/seed-$count.lmdb" >/dev/null
    $cli convert "$work/seed-$count.lmdb" "$work/hf-$count" --format hf --file-size 4000 >/dev/null
  done
  dotnet build benchmarks/datasets/parquet-libs -c Release -v q -nologo >/dev/null
  echo "prepared $work"
  exit 0
fi
n=${1:-5000}; runs=${2:-3}; l=${3:-2000}
[ -d "$work/hf-$n" ] || { echo "run '$0 prepare $n $l' first (WORK=$work)" >&2; exit 2; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
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
  grep -q "imported $(python3 -c "print(f'{$3:,}')") images" "$work/stdout" || { echo "import of $2 did not import $3 images: $(cat "$work/stdout")" >&2; exit 1; }
  local tool; tool=$(grep -o 'in [0-9.]* s' "$work/stdout" | grep -o '[0-9.]*')
  echo "import $1 $3 images: $secs s, $(python3 -c "print(round($3/$secs))") img/s wall; the tool's own time $tool s, $(python3 -c "print(round($3/$tool))") img/s; peak RSS $((rss / 1024)) MB (anon $((anon / 1024)) MB, file $((file / 1024)) MB)"
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
  loader "lmdb $l" "$work/seed-$l.lmdb"
  loader "hf-parquet $l" "$work/hf-$l/data"
done
# The two libraries, each a minimal reader of the N-image file's image.bytes, image.path and label (one process each).
for lib in parquetsharp parquetnet; do
  measure $libs "$lib" "$work/hf-$n/data/train-00000-of-00001.parquet" 3
  sed "s/\$/; sampled peak RSS $((rss / 1024)) MB/" "$work/stdout"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
