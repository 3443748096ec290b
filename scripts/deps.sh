#!/usr/bin/env bash
# Installs the native libraries and tools ImageStash and its tests use, when any is missing (Debian/Ubuntu):
# LMDB and HDF5 for the stores, libturbojpeg for fast JPEG decoding, gcc and libjpeg's header to build the JPEG region
# decoder's shim (src/ImageStash/Codecs/Native), Python's h5py/lmdb/numpy/PIL for the interop
# tests, Ceph (one monitor, one OSD, radosgw) for the S3 tests' server (scripts/s3-server.sh), and Debian's torch
# and torchvision for the PyTorch dataset tests, boto3 for the Python package's S3 reads, pytest, venv, pip and
# setuptools to install the package offline and run its tests; gcc, patchelf and binutils for the TorchSharp compatibility step
# (scripts/torchsharp-compat.sh).
set -euo pipefail
packages=(liblmdb0 lmdb-utils libhdf5-103-1 hdf5-tools libturbojpeg0 python3-h5py python3-lmdb python3-numpy python3-pil
          fonts-dejavu-core ceph-mon ceph-osd radosgw curl python3-torch python3-torchvision
          python3-boto3 python3-pytest python3-venv python3-pip python3-setuptools gcc libc6-dev libjpeg62-turbo-dev patchelf binutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
