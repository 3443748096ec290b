#!/usr/bin/env bash
# The timed crop-decode benchmarks of issue 22 on what benchmarks/crop/prepare.sh made in WORK, side by side in one run:
#   loader  — RandomResizedCrop 224 + flip, alternating ROUNDS times: torchvision, region decode, whole decode (uint8),
#             then the same in float;
#   rest    — centre crop with and without region decode, the CIFAR raw path, the pixel difference over the corpus, and
#             the decode cost per step (crop-cost).
#   /work/bin/quiet bash benchmarks/crop/run.sh WORK loader|rest [ROUNDS]   (default 2) → OUT/run-PART.md
# OUT defaults to benchmarks/results/DATE-crop-quiet. Keep each part under ~15 minutes (5,000 photos: loader with 3
# rounds ~10 minutes on 2 quiet cores, rest ~5).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:?usage: run.sh WORK loader|rest [ROUNDS]}; part=${2:?usage: run.sh WORK loader|rest [ROUNDS]}; rounds=${3:-2}
out=${OUT:-benchmarks/results/$(date +%F)-crop-quiet}
mkdir -p "$out"
imagestash() { dotnet "$work/cli/ImageStash.Cli.dll" "$@"; }
benchmarks() { dotnet "$work/benchmarks/ImageStash.Benchmarks.dll" "$@"; }
py=/usr/bin/python3
log="$out/run-$part.md"
echo "# Crop-decode benchmarks ($part), $(date -u '+%F %H:%M') UTC" > "$log"
echo >> "$log"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, load average at start: $(cut -d' ' -f1-3 /proc/loadavg). Commands as run by benchmarks/crop/run.sh WORK $part $rounds; corpus and build: $(paste -sd';' "$work/corpus.txt" | cut -c1-400)" >> "$log"
section() { printf '\n## %s\n\n```\n' "$1" >> "$log"; }
end() { printf '```\n' >> "$log"; }
bench() { echo "\$ loader-bench $*" >> "$log"; imagestash loader-bench "$work/photos.lmdb" "$@" | grep -E "^(JPEG|median|limit|crop-decode)" >> "$log"; }

if [ "$part" = loader ]; then
  section "RandomResizedCrop 224 + flip, alternating: torchvision, region decode, whole decode (uint8, then float)"
  for round in $(seq "$rounds"); do
    $py benchmarks/photos/torchvision_peer.py "$work/photos" --epochs 3 2>&1 | tail -1 >> "$log"
    bench --size 224 --epochs 3
    bench --size 224 --epochs 3 --whole-decode
    $py benchmarks/photos/torchvision_peer.py "$work/photos" --epochs 3 --float 2>&1 | tail -1 >> "$log"
    bench --size 224 --epochs 3 --float
    bench --size 224 --epochs 3 --float --whole-decode
  done
  end
elif [ "$part" = rest ]; then
  section "Centre crop 224 (evaluation), alternating: default (whole decode for centre crops), --whole-decode"
  for round in $(seq "$rounds"); do
    bench --size 224 --crop center --epochs 3
    bench --size 224 --crop center --epochs 3 --whole-decode
  done
  end
  section "CIFAR raw path: synthetic:100000:32x32 in LMDB, loader-bench --shuffle (then --augment)"
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
else
  echo "run.sh: part must be loader or rest; got '$part'" >&2; exit 1
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$log"
echo "wrote $log"
