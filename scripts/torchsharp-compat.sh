#!/usr/bin/env bash
# Makes TorchSharp 0.107's libLibTorchSharp.so load on a distribution whose libstdc++ is older than GCC 13's (Debian 12
# has GCC 12's, GLIBCXX_3.4.30). The library asks GLIBCXX_3.4.32 for one symbol only, _ZSt21ios_base_library_initv,
# GCC 13's iostream initialiser; GCC 12's libstdc++ initialises iostreams through ios_base::Init, which libtorch's own
# objects already run, so an empty definition serves. Three steps, on the copy in a build's output folder (never on
# the NuGet cache):
#   1. build a one-line shim defining that symbol (gcc -shared -fPIC), beside the library;
#   2. patchelf: drop the symbol's version, add the shim as NEEDED, set RUNPATH to $ORIGIN;
#   3. mark the GLIBCXX_3.4.32 requirement weak (scripts/torchsharp-compat-weaken.py), so the loader no longer refuses it.
# Where the system libstdc++ has GLIBCXX_3.4.32 (Ubuntu 24.04, Debian 13, Fedora 39+) it changes nothing. Idempotent.
#   bash scripts/torchsharp-compat.sh DIR...   (each DIR is searched for libLibTorchSharp.so)
# scripts/torchsharp-compat.targets runs it after every build of a project that references TorchSharp.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ "$(uname -s)" = Linux ] || exit 0
stdcxx=$(ldconfig -p 2>/dev/null | sed -nE 's/.*libstdc\+\+\.so\.6 \(libc6,x86-64\) => (.*)/\1/p' | head -n 1)
if [ -n "$stdcxx" ] && grep -qa GLIBCXX_3.4.32 "$stdcxx"; then exit 0; fi
symbol=_ZSt21ios_base_library_initv
shim=libimagestash_torchsharp_compat.so
for dir in "$@"; do
  [ -d "$dir" ] || continue
  while IFS= read -r lib; do
    libdir=$(dirname "$lib")
    if readelf -V "$lib" | grep -E "GLIBCXX_3\.4\.32 +Flags: WEAK" >/dev/null && [ -f "$libdir/$shim" ]; then continue; fi
    for tool in gcc patchelf readelf python3; do
      command -v "$tool" >/dev/null || { echo "torchsharp-compat: $tool is missing; run scripts/deps.sh (it installs gcc and patchelf)" >&2; exit 1; }
    done
    printf 'void %s(void) {}\n' "$symbol" > "$libdir/torchsharp-compat-shim.c"
    gcc -shared -fPIC -O2 -o "$libdir/$shim" "$libdir/torchsharp-compat-shim.c"
    rm -f "$libdir/torchsharp-compat-shim.c"
    # A fresh copy from the package: patch it in place (the build copies it again when the package's file changes).
    patchelf --clear-symbol-version "$symbol" --add-needed "$shim" --set-rpath '$ORIGIN' "$lib"
    python3 "$here/torchsharp-compat-weaken.py" "$lib" GLIBCXX_3.4.32
    echo "torchsharp-compat: patched $lib" >&2
  done < <(find "$dir" -name libLibTorchSharp.so -type f)
done
