#!/usr/bin/env bash
# Builds and the data for the crop-decode benchmarks (issue 22), apart from the timed part so that the timed part can
# hold the machine alone without building: release builds copied into WORK, the photo corpus imported into LMDB, and
# a synthetic CIFAR-sized store.
#   /work/bin/cpu bash benchmarks/crop/prepare.sh WORK [COUNT] [SEED] [FROM]   (defaults 5000 1 /work/shared/data/photo-sample)
# then time with benchmarks/crop/run.sh WORK.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:?usage: prepare.sh WORK [COUNT] [SEED] [FROM]}; count=${2:-5000}; seed=${3:-1}; from=${4:-/work/shared/data/photo-sample}
rm -rf "$work"; mkdir -p "$work"
dotnet build -c Release src/ImageStash.Cli >/dev/null
dotnet build -c Release benchmarks/ImageStash.Benchmarks >/dev/null
# Copies of the builds, so that building the tree again before or during the timed part does not change what is measured.
cp -r src/ImageStash.Cli/bin/Release/net10.0 "$work/cli"
cp -r benchmarks/ImageStash.Benchmarks/bin/Release/net10.0 "$work/benchmarks"
echo "built $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src benchmarks/ImageStash.Benchmarks || echo ' + uncommitted changes')" > "$work/corpus.txt"
echo "make_corpus.py --count $count --seed $seed --from $from, imported into LMDB" >> "$work/corpus.txt"
/usr/bin/python3 benchmarks/photos/make_corpus.py --out "$work/photos" --count "$count" --seed "$seed" --from "$from" >> "$work/corpus.txt"
dotnet "$work/cli/ImageStash.Cli.dll" import "$work/photos" "$work/photos.lmdb" 2>/dev/null >> "$work/corpus.txt"
dotnet "$work/cli/ImageStash.Cli.dll" import synthetic:100000:32x32 "$work/cifar.lmdb" 2>/dev/null >/dev/null
cat "$work/corpus.txt"
