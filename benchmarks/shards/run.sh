#!/usr/bin/env bash
# The shards issue's benchmarks, side by side in one run, with radosgw on loopback sharing the machine's cores,
# into benchmarks/results/DATE-shards/run.md:
#   - the photo pipeline (decode + RandomResizedCrop to 224) from S3 with a cold cache (emptied before every epoch)
#     and a warm one, against the same shards in a local folder, in alternating rounds;
#   - raw CIFAR-like shards (32x32, no decode) from S3, cold: the bytes the loader takes in against plain parallel
#     GETs of the same objects measured just before each epoch (the limit);
#   - first batch after start, cold;
#   - peak RSS of a cold S3 epoch as the dataset grows 10x (5,000 -> 50,000 raw images).
#   bash benchmarks/shards/run.sh [PHOTOS] [ROUNDS]      (defaults 5000 2; about 15 minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5000}; rounds=${2:-2}
out=benchmarks/results/$(date +%F)-shards
work=$(mktemp -d /tmp/imagestash-shards.XXXX)
s3="$work/s3"
trap 'bash scripts/s3-server.sh stop "$s3" || true; rm -rf "$work"' EXIT
mkdir -p "$out"
bash scripts/deps.sh
dpkg-query -W -f='${Status}' python3-skimage 2>/dev/null | grep -q "install ok installed" \
  || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq --no-install-recommends python3-skimage >/dev/null; }
dotnet build -c Release src/ImageStash.Cli >/dev/null
imagestash() { dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll "$@"; }
py=/usr/bin/python3
log="$out/run.md"
echo "# Shard set benchmarks, $(date -u '+%F %H:%M') UTC" > "$log"
echo >> "$log"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; Ceph radosgw $(radosgw --version | awk '{print $3}') (memstore OSD) on 127.0.0.1 on the same cores. Commands as run by benchmarks/shards/run.sh $count $rounds." >> "$log"
section() { printf '\n## %s\n\n```\n' "$1" >> "$log"; }
end() { printf '```\n' >> "$log"; }
# Peak RSS (MiB) of a command, through Python's resource module (no GNU time needed).
peak_rss() { $py -c 'import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); print("peak RSS: %.0f MiB" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)); sys.exit(r.returncode)' "$@"; }

bash scripts/s3-server.sh start "$s3" >/dev/null
set -a; . "$s3/env"; set +a
bash scripts/s3-server.sh bucket "$s3" bench
export IMAGESTASH_CACHE="$work/cache"

section "Data"
$py benchmarks/photos/make_corpus.py --out "$work/photos" --count "$count" --seed 1 >> "$log"
imagestash import "$work/photos" "$work/photos.lmdb" >> "$log" 2>&1
imagestash shard "$work/photos.lmdb" "$work/photos-shards" >> "$log" 2>&1
imagestash shard "$work/photos.lmdb" s3://bench/photos >> "$log" 2>&1
imagestash import synthetic:50000:32x32 "$work/cifar50k.lmdb" >> "$log" 2>&1
imagestash import synthetic:5000:32x32 "$work/cifar5k.lmdb" >> "$log" 2>&1
for n in 5k 50k; do
  imagestash shard "$work/cifar$n.lmdb" "$work/cifar$n-shards" >> "$log" 2>&1
  imagestash shard "$work/cifar$n.lmdb" "s3://bench/cifar$n" >> "$log" 2>&1
done
end

for round in $(seq 1 "$rounds"); do
  section "Photos, round $round: local shards, then S3 cold, then S3 warm (decode + random crop to 224, uint8)"
  imagestash loader-bench "$work/photos-shards" --size 224 --epochs 4 --no-limit >> "$log" 2>&1
  rm -rf "$IMAGESTASH_CACHE"
  imagestash loader-bench s3://bench/photos --size 224 --epochs 4 --no-limit --cold >> "$log" 2>&1
  imagestash loader-bench s3://bench/photos --size 224 --epochs 4 --no-limit >> "$log" 2>&1
  end
done

for round in $(seq 1 "$rounds"); do
  section "Raw 32x32 shards (50,000 images), round $round: local, then S3 cold (cache emptied before every epoch)"
  imagestash loader-bench "$work/cifar50k-shards" --epochs 4 >> "$log" 2>&1
  imagestash loader-bench s3://bench/cifar50k --epochs 4 --cold >> "$log" 2>&1
  end
done

section "Peak RSS of one cold S3 epoch, raw 32x32, 5,000 vs 50,000 images (same shard size)"
for n in 5k 50k; do
  rm -rf "$IMAGESTASH_CACHE"
  echo "cifar$n:" >> "$log"
  peak_rss dotnet src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll loader-bench "s3://bench/cifar$n" --epochs 1 >> "$log" 2>&1
done
end
echo "wrote $log"
