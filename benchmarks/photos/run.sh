#!/usr/bin/env bash
# The photo benchmarks of the photos issue, side by side in one run, into benchmarks/results/DATE-photos/:
# the corpus, import into every store (3 runs each), disk use, the loader against torchvision (uint8 and float,
# alternating), and `imagestash bench` on the photos kept, decoded raw, and resized to 256x256 and 512x512.
#   bash benchmarks/photos/run.sh [COUNT] [SEED]       (defaults 5000 1; takes about 25 minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5000}; seed=${2:-1}
out=benchmarks/results/$(date +%F)-photos
work=$(mktemp -d /tmp/imagestash-photos.XXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
bash scripts/deps.sh
dotnet build -c Release src/ImageStash.Cli >/dev/null
imagestash() { dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll "$@"; }
py=/usr/bin/python3
log="$out/run.md"
echo "# Photo benchmarks, $(date -u '+%F %H:%M') UTC" > "$log"
echo >> "$log"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB. Commands as run by benchmarks/photos/run.sh $count $seed." >> "$log"
section() { printf '\n## %s\n\n```\n' "$1" >> "$log"; }
end() { printf '```\n' >> "$log"; }

section "Corpus: make_corpus.py --count $count --seed $seed"
$py benchmarks/photos/make_corpus.py --out "$work/photos" --count "$count" --seed "$seed" >> "$log"
echo "folder: $(du -sb "$work/photos" | cut -f1) bytes apparent, $(du -s --block-size=1 "$work/photos" | cut -f1) allocated" >> "$log"
end

section "Import, keeping each file's bytes, decode check (default --check scaled); 3 runs per store"
for store in photos.lmdb photos.h5 photos-folder; do
  for run in 1 2 3; do
    rm -rf "$work/$store"
    imagestash import "$work/photos" "$work/$store" 2>/dev/null >> "$log"
  done
  echo "$store: $(du -sb "$work/$store" | cut -f1) bytes apparent, $(du -s --block-size=1 "$work/$store" | cut -f1) allocated" >> "$log"
done
rm -rf "$work/full.lmdb"
echo "with --check full:" >> "$log"
imagestash import "$work/photos" "$work/full.lmdb" --check full 2>/dev/null >> "$log"
end

section "Loader against torchvision, alternating (uint8 HWC, then normalised float CHW), 224x224 RandomResizedCrop + flip"
for round in 1 2; do
  $py benchmarks/photos/torchvision_peer.py "$work/photos" --epochs 4 2>&1 | tail -1 >> "$log"
  imagestash loader-bench "$work/photos.lmdb" --size 224 --epochs 5 | tail -2 >> "$log"
  $py benchmarks/photos/torchvision_peer.py "$work/photos" --epochs 4 --float 2>&1 | tail -1 >> "$log"
  imagestash loader-bench "$work/photos.lmdb" --size 224 --epochs 5 --float | tail -2 >> "$log"
done
echo "centre crop (evaluation), HDF5 and folder stores:" >> "$log"
imagestash loader-bench "$work/photos.h5" --size 224 --crop center --epochs 4 | tail -2 >> "$log"
imagestash loader-bench "$work/photos-folder" --size 224 --epochs 4 | tail -2 >> "$log"
end

section "imagestash bench on the photos: kept bytes, then decoded raw"
imagestash bench --source "$work/photos" --repeat 3 --out "$out/bench-kept" --work "$work" 2>/dev/null | tail -3 >> "$log"
imagestash bench --source "$work/photos" --encode raw --counts 1,10,100,1000,2000 --repeat 3 --out "$out/bench-raw" --work "$work" 2>/dev/null | tail -3 >> "$log"
end

section "The article's claim on disk use at larger images: --resize 256x256 and 512x512"
imagestash bench --source "$work/photos" --resize 256x256 --counts 1,10,100,1000,2000 --repeat 3 --out "$out/bench-256" --work "$work" 2>/dev/null | tail -3 >> "$log"
imagestash bench --source "$work/photos" --resize 512x512 --counts 1,10,100,1000,2000 --repeat 3 --out "$out/bench-512" --work "$work" 2>/dev/null | tail -3 >> "$log"
end
echo "wrote $out"
