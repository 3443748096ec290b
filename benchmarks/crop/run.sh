#!/usr/bin/env bash
# The crop-decode benchmarks of issue 22, side by side in one run, into benchmarks/results/DATE-crop/run.md:
# the loader (uint8 and float, RandomResizedCrop 224) with region decode, with --whole-decode, and torchvision,
# alternating; centre crop with and without region decode; the CIFAR raw path; the pixel difference over the corpus.
#   flock /work/.bench.lock bash benchmarks/crop/run.sh [COUNT] [SEED] [FROM]   (defaults 5000 1 /work/shared/data/photo-sample)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5000}; seed=${2:-1}; from=${3:-/work/shared/data/photo-sample}
out=benchmarks/results/$(date +%F)-crop
work=$(mktemp -d /tmp/imagestash-crop.XXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
dotnet build -c Release src/ImageStash.Cli >/dev/null
dotnet build -c Release benchmarks/ImageStash.Benchmarks >/dev/null
# Copies of the builds, so that building the tree again during the run does not change what is measured.
cp -r src/ImageStash.Cli/bin/Release/net10.0 "$work/cli"
cp -r benchmarks/ImageStash.Benchmarks/bin/Release/net10.0 "$work/benchmarks"
imagestash() { dotnet "$work/cli/ImageStash.Cli.dll" "$@"; }
benchmarks() { dotnet "$work/benchmarks/ImageStash.Benchmarks.dll" "$@"; }
py=/usr/bin/python3
log="$out/run.md"
echo "# Crop-decode benchmarks, $(date -u '+%F %H:%M') UTC" > "$log"
echo >> "$log"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, load average at start: $(cut -d' ' -f1-3 /proc/loadavg). Commands as run by benchmarks/crop/run.sh $count $seed $from." >> "$log"
section() { printf '\n## %s\n\n```\n' "$1" >> "$log"; }
end() { printf '```\n' >> "$log"; }

section "Corpus: make_corpus.py --count $count --seed $seed --from $from, imported into LMDB"
$py benchmarks/photos/make_corpus.py --out "$work/photos" --count "$count" --seed "$seed" --from "$from" >> "$log"
imagestash import "$work/photos" "$work/photos.lmdb" 2>/dev/null >> "$log"
end

section "RandomResizedCrop 224 + flip, alternating: torchvision, region decode, whole decode (uint8, then float)"
for round in 1 2; do
  $py benchmarks/photos/torchvision_peer.py "$work/photos" --epochs 3 2>&1 | tail -1 >> "$log"
  imagestash loader-bench "$work/photos.lmdb" --size 224 --epochs 3 | grep -E "^(JPEG|median|limit|crop-decode)" >> "$log"
  imagestash loader-bench "$work/photos.lmdb" --size 224 --epochs 3 --whole-decode | grep -E "^(JPEG|median|limit|crop-decode)" >> "$log"
  $py benchmarks/photos/torchvision_peer.py "$work/photos" --epochs 3 --float 2>&1 | tail -1 >> "$log"
  imagestash loader-bench "$work/photos.lmdb" --size 224 --epochs 3 --float | grep -E "^(JPEG|median|limit|crop-decode)" >> "$log"
  imagestash loader-bench "$work/photos.lmdb" --size 224 --epochs 3 --float --whole-decode | grep -E "^(JPEG|median|limit|crop-decode)" >> "$log"
done
end

section "Centre crop 224 (evaluation), alternating: region decode, whole decode"
for round in 1 2; do
  imagestash loader-bench "$work/photos.lmdb" --size 224 --crop center --epochs 3 | grep -E "^(JPEG|median|limit|crop-decode)" >> "$log"
  imagestash loader-bench "$work/photos.lmdb" --size 224 --crop center --epochs 3 --whole-decode | grep -E "^(JPEG|median|limit|crop-decode)" >> "$log"
done
end

section "CIFAR raw path: synthetic:100000:32x32 in LMDB, loader-bench --shuffle (then --augment)"
imagestash import synthetic:100000:32x32 "$work/cifar.lmdb" 2>/dev/null >/dev/null
imagestash loader-bench "$work/cifar.lmdb" --shuffle --epochs 3 | tail -1 >> "$log"
imagestash loader-bench "$work/cifar.lmdb" --shuffle --augment --epochs 3 | tail -1 >> "$log"
end

section "Pixels: region-decoded against whole-decoded loader output, one epoch over the corpus"
benchmarks crop-pixels "$work/photos.lmdb" 224 random >> "$log"
benchmarks crop-pixels "$work/photos.lmdb" 224 center >> "$log"
end

section "Decode cost per step, images per CPU-second on one thread (benchmarks crop-cost)"
benchmarks crop-cost "$work/photos.lmdb" >> "$log"
end
echo "wrote $log"
