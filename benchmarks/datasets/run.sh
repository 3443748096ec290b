#!/usr/bin/env bash
# Import rate and memory of Hugging Face Parquet (issue 20): the ImageNet-like photos of shared/data/photo-sample,
# repeated to N images, written as an HF dataset by `imagestash convert --format hf` (100-row groups), then imported
# into LMDB with the default decode check; the same photos imported from an image folder in the same run are the
# yardstick. Max RSS from /usr/bin/time for N and 2N images shows whether memory stays flat as the file grows.
#   bash benchmarks/datasets/run.sh [N=5000] [RUNS=3]     (run under: flock /work/.bench.lock …)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-5000}; runs=${2:-3}
photos=${PHOTOS:-../shared/data/photo-sample}
[ -d "$photos" ] || photos=/work/shared/data/photo-sample
cli="dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
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
echo "parquet: $(du -sh "$work/hf-$n/data" | cut -f1) for $n photos, $(ls "$work/hf-$n/data" | wc -l) file(s)"
rate() { # label source count
  local secs rss
  rm -rf "$work/out.lmdb"
  /usr/bin/time -f "%e %M" -o "$work/time" $cli import "$2" "$work/out.lmdb" >/dev/null
  read -r secs rss < "$work/time"
  echo "$1 $3 images: $secs s, $(python3 -c "print(round($3/$secs))") img/s, max RSS $((rss / 1024)) MB"
}
for r in $(seq "$runs"); do
  rate "folder" "$work/folder-$n" "$n"
  rate "hf-parquet" "$work/hf-$n" "$n"
done
rate "hf-parquet" "$work/hf-$((2 * n))" $((2 * n))
rate "folder" "$work/folder-$((2 * n))" $((2 * n))
