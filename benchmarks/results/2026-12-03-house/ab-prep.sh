set -euo pipefail
w=/tmp/house-ab
old=/tmp/house-old/src/ImageStash.Cli/bin/Release/net10.0/ImageStash.Cli.dll
rm -rf $w/photos $w/photos.lmdb $w/cifar.lmdb $w/cifar.h5
/usr/bin/python3 /work/wt/house/benchmarks/photos/make_corpus.py --out $w/photos --count 2000 --seed 7 --from /work/shared/data/photo-sample | tail -2
dotnet $old import $w/photos $w/photos.lmdb 2>&1 | tail -1
dotnet $old import synthetic:100000:32x32 $w/cifar.lmdb 2>&1 | tail -1
dotnet $old import synthetic:100000:32x32 $w/cifar.h5 2>&1 | tail -1
du -sh $w/*
