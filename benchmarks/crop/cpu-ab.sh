#!/usr/bin/env bash
# One loader thread (--workers 0 --no-limit), 2 epochs of 5,000 photos, CPU seconds by /usr/bin/time, A/B alternating.
set -u
a=$1; b=$2; store=$3; rounds=$4; shift 4
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  for mode in "" "--float"; do
    for side in A B; do
      dir=$a; [ "$side" = B ] && dir=$b
      out=$( { /usr/bin/time -f "cpu %U user + %S sys, wall %e s" dotnet "$dir/ImageStash.Cli.dll" loader-bench "$store" --size 224 --epochs 2 --workers 0 --no-limit $mode | grep -E "^median"; } 2>&1 | tr '\n' ' ')
      echo "$side ${mode:-uint8}: $out"
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
