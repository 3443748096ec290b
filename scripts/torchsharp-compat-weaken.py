#!/usr/bin/env python3
"""Marks one symbol-version requirement of an ELF64 little-endian shared library weak (VER_FLG_WEAK in its vna_flags
in .gnu.version_r), so the dynamic loader warns about a missing version instead of refusing the library.
Used by scripts/torchsharp-compat.sh.   usage: torchsharp-compat-weaken.py LIBRARY VERSION"""
import struct
import sys

VER_FLG_WEAK = 0x2
SHT_GNU_VERNEED = 0x6FFFFFFE


def weaken(path, version):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not an ELF64 little-endian file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        verneed = [s for s in sections if s[1] == SHT_GNU_VERNEED]
        if not verneed:
            sys.exit(f"{path}: no .gnu.version_r section")
        _, _, _, _, offset, _, link, count, _, _ = verneed[0]
        strtab = sections[link][4]

        def name(at):
            start = strtab + at
            return data[start:data.index(b"\0", start)].decode()

        found = False
        need = offset
        for _ in range(count):
            _, aux_count, _, aux, next_need = struct.unpack_from("<HHIII", data, need)
            entry = need + aux
            for _ in range(aux_count):
                _, flags, _, name_at, next_aux = struct.unpack_from("<IHHII", data, entry)
                if name(name_at) == version:
                    struct.pack_into("<H", data, entry + 4, flags | VER_FLG_WEAK)
                    found = True
                entry += next_aux
            need += next_need
        if not found:
            sys.exit(f"{path}: requires no {version}")
        f.seek(0)
        f.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    weaken(sys.argv[1], sys.argv[2])
