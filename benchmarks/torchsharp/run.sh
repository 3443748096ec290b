#!/usr/bin/env bash
# TensorLoader against the TorchSharp DataLoader a C# user writes today (a Dataset over an image folder, SkiaSharp
# decode, random resized crop and normalisation per item, 2 worker threads), side by side, alternating, one process
# per measurement. In sections, so each timed run stays short; every section writes
# benchmarks/results/DATE-torchsharp/SECTION.md (load average and command included).
#
#   bash benchmarks/torchsharp/run.sh prepare [PHOTOS] [TRAIN] [TEST]   builds, copies the builds, makes the data
#        (PHOTOS photos from make_corpus.py --from /work/shared/data/photo-sample, or a folder ROOT/class/file used as
#        is; TRAIN/TEST CIFAR-shaped images, also exported as PNG folders for the peer); defaults 2000 10000 2000
#   bash benchmarks/torchsharp/run.sh tensors SIZE [ROUNDS] [EPOCHS]    batches as float32 N×3×S×S tensors only:
#        peer, ours (views), copy (reused tensors filled by one copy), loader (no tensor: the ceiling)
#   bash benchmarks/torchsharp/run.sh ab [ROUNDS] [EPOCHS]              views against one copy on the raw CIFAR-shaped
#        store, where nothing is decoded and the copy weighs most
#   bash benchmarks/torchsharp/run.sh train SIZE [EPOCHS]               the example's CNN trained on photos, both loaders
#   bash benchmarks/torchsharp/run.sh cifar [EPOCHS]                    examples/TorchSharpTrain on the CIFAR-shaped
#        stores, then the peer training the same CNN on the same images as PNG files
#   bash benchmarks/torchsharp/run.sh sample [EPOCHS]                   examples/TorchSharpTrain on the shared CIFAR-10
#        sample (1,000 train / 200 test real-photo crops, much harder than the CIFAR-shaped images), default 10 epochs
#
# Build and prepare under /work/bin/cpu; time the other sections under /work/bin/quiet (nothing is built in them).
# WORK (default /tmp/imagestash-torchsharp-bench) keeps the data and the builds between sections.
set -euo pipefail
cd "$(dirname "$0")/../.."
section=${1:?section: prepare, tensors, ab, train or cifar}; shift
work=${WORK:-/tmp/imagestash-torchsharp-bench}
out=benchmarks/results/$(date +%F)-torchsharp
mkdir -p "$out" "$work"
imagestash() { dotnet "$work/cli/ImageStash.Cli.dll" "$@"; }
bench() { dotnet "$work/bench/TorchSharpBench.dll" "$@"; }
example() { dotnet "$work/example/TorchSharpTrain.dll" "$@"; }

if [ "$section" = prepare ]; then
  photos=${1:-2000}; train=${2:-10000}; test=${3:-2000}
  dotnet build -c Release src/ImageStash.Cli >/dev/null
  dotnet build -c Release benchmarks/torchsharp/TorchSharpBench >/dev/null
  dotnet build -c Release examples/TorchSharpTrain >/dev/null
  # Copies of the builds, so that building the tree again between sections does not change what is measured.
  rm -rf "$work/cli" "$work/bench" "$work/example" "$work/photos" "$work/photos.lmdb" "$work/cifar" "$work/cifar-png"
  cp -r src/ImageStash.Cli/bin/Release/net10.0 "$work/cli"
  cp -r benchmarks/torchsharp/TorchSharpBench/bin/Release/net10.0 "$work/bench"
  cp -r examples/TorchSharpTrain/bin/Release/net10.0 "$work/example"
  if [ -d "$photos" ]; then cp -r "$photos" "$work/photos"; corpus="the folder $photos"; else
    /usr/bin/python3 benchmarks/photos/make_corpus.py --out "$work/photos" --count "$photos" --seed 1 \
      --from /work/shared/data/photo-sample >/dev/null
    corpus="make_corpus.py --count $photos --seed 1 --from /work/shared/data/photo-sample"
  fi
  imagestash import "$work/photos" "$work/photos.lmdb" >/dev/null 2>&1
  bench sample "$work/cifar" --train "$train" --test "$test"
  imagestash export "$work/cifar/train.lmdb" "$work/cifar-png/train" >/dev/null 2>&1
  imagestash export "$work/cifar/test.lmdb" "$work/cifar-png/test" >/dev/null 2>&1
  sample=/work/shared/data/cifar-10-sample-binary.tar.gz
  rm -rf "$work/sample"; mkdir -p "$work/sample"
  imagestash import "$sample" "$work/sample/train.lmdb" --split train >/dev/null 2>&1
  imagestash import "$sample" "$work/sample/test.lmdb" --split test >/dev/null 2>&1
  {
    echo "Photos: $(find "$work/photos" -type f | wc -l) files, $(du -sm "$work/photos" | cut -f1) MiB ($corpus), imported"
    echo "into LMDB keeping each file's bytes. CIFAR-shaped: $train train / $test test images (TorchSharpBench sample,"
    echo "seeds 1 and 2), LMDB, and the same exported as PNG folders for the peer. Built from $(git rev-parse --short HEAD)."
    echo "The CIFAR-10 sample ($sample: 1,000 train / 200 test real-photo crops) imported into LMDB."
  } > "$work/data.txt"
  cat "$work/data.txt"
  exit 0
fi

[ -f "$work/data.txt" ] || { echo "run '$0 prepare' first (under /work/bin/cpu)" >&2; exit 1; }
name=$section; case $section in tensors|train) name=$section-$1 ;; esac
log="$out/$name.md"
{
  echo "# TorchSharp benchmark, section '$name', $(date -u '+%F %H:%M') UTC"
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg) at the start."
  echo "Command: bash benchmarks/torchsharp/run.sh $section $*"
  echo
  cat "$work/data.txt"
  echo
  echo '```'
} > "$log"
case "$section" in
  tensors)
    size=${1:?SIZE}; rounds=${2:-2}; epochs=${3:-3}
    for round in $(seq "$rounds"); do
      bench tensors peer "$work/photos" --size "$size" --epochs "$epochs" >> "$log"
      for which in ours copy loader; do bench tensors "$which" "$work/photos.lmdb" --size "$size" --epochs "$epochs" >> "$log"; done
    done ;;
  ab)
    rounds=${1:-3}; epochs=${2:-3}
    for round in $(seq "$rounds"); do
      for which in ours copy loader; do bench tensors "$which" "$work/cifar/train.lmdb" --epochs "$epochs" >> "$log"; done
    done ;;
  train)
    size=${1:?SIZE}; epochs=${2:-2}
    bench train peer "$work/photos" --size "$size" --epochs "$epochs" >> "$log"
    bench train ours "$work/photos.lmdb" --size "$size" --epochs "$epochs" >> "$log"
    bench tensors loader "$work/photos.lmdb" --size "$size" --epochs 2 --workers 1 >> "$log" # one core's decode rate
    ;;
  cifar)
    epochs=${1:-3}
    example "$work/cifar/train.lmdb" --test "$work/cifar/test.lmdb" --epochs "$epochs" >> "$log"
    bench train peer "$work/cifar-png/train" --test "$work/cifar-png/test" --size 32 --epochs "$epochs" >> "$log" ;;
  sample)
    example "$work/sample/train.lmdb" --test "$work/sample/test.lmdb" --epochs "${1:-10}" >> "$log" ;;
  *) echo "unknown section $section" >&2; exit 2 ;;
esac
{ echo '```'; echo; echo "Load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."; } >> "$log"
cat "$log"
