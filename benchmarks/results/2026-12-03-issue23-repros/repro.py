#!/usr/bin/env python3
"""Runs every repro of issue 23 against an installed `imagestash` and prints one markdown table row per repro.

    python3 repro.py IMAGESTASH [S3_ENV_FILE]

IMAGESTASH is the tool (e.g. the one `dotnet tool install ImageStash.Cli --tool-path T` puts in T); S3_ENV_FILE is the
env file `scripts/s3-server.sh start DIR` writes (DIR/env): without it the S3 repros are left out. Each repro runs in
a fresh temp folder; a row gives the command's exit code, its first error line (cut), the peak resident memory of the
process tree as the kernel counts it (wait4), the time, and whether the outcome is the one the issue asks for.
Only standard-library Python; the hostile files are made here, byte by byte.
"""
import binascii
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

TOOL = os.path.abspath(sys.argv[1])
S3ENV = sys.argv[2] if len(sys.argv) > 2 else None
ROWS = []


def run(args, cwd, timeout=120, env=None, user=None):
    """Runs the tool; returns (exit, stdout, stderr, peak MB, seconds). A run past the timeout is killed: exit 'HANG'."""
    cmd = ([] if user is None else ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]) + [TOOL] + args
    full_env = dict(os.environ, **(env or {}))
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    start = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=full_env, start_new_session=True)
    code = None
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            code = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() - start > timeout:
            os.killpg(p.pid, signal.SIGKILL)
            _, status, usage = os.wait4(p.pid, 0)
            code = "HANG"
            break
        time.sleep(0.05)
    p.returncode = 0
    seconds = time.monotonic() - start
    out.seek(0)
    err.seek(0)
    return code, out.read().decode(errors="replace"), err.read().decode(errors="replace"), usage.ru_maxrss // 1024, seconds


def first_error(err):
    lines = [l for l in err.splitlines() if l.startswith("imagestash: error") or l.startswith("imagestash: skipped")]
    line = lines[0] if lines else (err.strip().splitlines() or [""])[-1]
    return line if len(line) <= 160 else line[:157] + "..."


def row(item, what, result, ok):
    code, out, err, mb, seconds = result
    if not err.strip():  # verify reports on stdout: the damaged ids, then a summary
        err = out.strip().splitlines()[0] if out.strip() else ""
    ROWS.append((item, what, code, first_error(err), mb, seconds, ok))
    print(f"| {item} | {what} | {code} | `{first_error(err).replace('|', '/')}` | {mb} | {seconds:.1f} | {'PASS' if ok else 'FAIL'} |", flush=True)


def tree(folder):
    """Every path under folder with its bytes' hash (links as their target): to prove nothing changed."""
    state = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = os.path.join(root, name)
            if os.path.islink(p):
                state[p] = "->" + os.readlink(p)
            elif os.path.isfile(p) and not name.endswith(".lock"):
                with open(p, "rb") as f:
                    state[p] = hashlib.sha256(f.read()).hexdigest()
            elif os.path.isdir(p):
                state[p] = "dir"
    return state


def one_line(err):
    return len([l for l in err.strip().splitlines() if l.strip()]) == 1


# ---- hostile files -------------------------------------------------------------------------------------------------

def journal(committed, address, data, owner=None):
    """An ImageStash HDF5 rollback journal: format 1 (32-byte header) or 2 (48, naming the file's device and inode)."""
    txn = 42
    if owner is None:
        head = struct.pack("<QQq", 0x314E524A35484953, txn, committed)
    else:
        head = struct.pack("<QQqQQ", 0x324E524A35485349, txn, committed, owner[0], owner[1])
    head += struct.pack("<I", binascii.crc32(head)) + b"\0" * 4
    if not data:
        return head
    rec = struct.pack("<Qqi", txn, address, len(data))
    return head + rec + struct.pack("<I", binascii.crc32(data, binascii.crc32(rec))) + data


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", binascii.crc32(kind + data))


def png_bomb(side=16384):
    z = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def small_png(w=4, h=4):
    raw = b"".join(b"\0" + bytes([(x * 40 + y * 7) % 256 for x in range(w * 3)]) for y in range(h))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")


def segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + bytes(body)


def progressive_bomb(side=13500):
    """One DC scan of one bit per block: ~350 KB that libjpeg keeps as 2 bytes of coefficients per pixel."""
    f = b"\xFF\xD8" + segment(0xDB, [0] + [1] * 64)
    f += segment(0xC2, [8, side >> 8, side & 255, side >> 8, side & 255, 1, 1, 0x11, 0])
    f += segment(0xC4, [0x00, 1] + [0] * 15 + [0]) + segment(0xDA, [1, 1, 0x00, 0, 0, 0])
    blocks = ((side + 7) // 8) ** 2
    return f + b"\0" * ((blocks + 7) // 8) + b"\xFF\xD9"


def many_scans(first_bit=13):
    """An 8x8 progressive JPEG of 1 + 63 x (first_bit + 1) scans (883 for 13)."""
    f = b"\xFF\xD8" + segment(0xDB, [0] + [1] * 64) + segment(0xC2, [8, 0, 8, 0, 8, 1, 1, 0x11, 0])
    f += segment(0xC4, [0x00, 1] + [0] * 15 + [0]) + segment(0xC4, [0x10, 1] + [0] * 15 + [0])

    def scan(s, e, hi, lo):
        return segment(0xDA, [1, 1, 0x00, s, e, hi << 4 | lo]) + b"\x7F"
    f += scan(0, 0, 0, 0)
    for k in range(1, 64):
        f += scan(k, k, 0, first_bit) + b"".join(scan(k, k, b, b - 1) for b in range(first_bit, 0, -1))
    return f + b"\xFF\xD9"


def header_only_jpeg(side):
    return b"\xFF\xD8" + segment(0xDB, [0] + [1] * 64) + segment(0xC0, [8, side >> 8, side & 255, side >> 8, side & 255, 1, 1, 0x11, 0]) + b"\xFF\xD9"


def tar_header(name, size, kind=b"0", link=b""):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = (b"%011o" % size) + b"\0" if size >= 0 else b"00000000000\0"
    h[136:148] = b"00000000000\0"
    h[156:157] = kind
    h[157:157 + len(link)] = link
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def tar_with_pax_size(size):
    record = f" size={size}\n"
    n = len(record) + 1
    n = len(record) + len(str(n)) if len(str(len(record) + len(str(n)))) == len(str(n)) else len(record) + len(str(n)) + 1
    pax = (str(n) + record).encode()
    return (tar_header(b"PaxHeaders/a.json", len(pax), b"x") + pax.ljust(512, b"\0") + tar_header(b"a.json", 16) + b"\0" * 512 * 3)


def replace_first_shard(set_dir, data, samples=1):
    """Puts data in place of the set's first shard and makes index.json agree (size, CRC-32, counts), as a forger would."""
    path = os.path.join(set_dir, "index.json")
    index = json.load(open(path))
    shard = index["shards"][0]
    open(os.path.join(set_dir, shard["name"]), "wb").write(data)
    index["samples"] = index["samples"] - shard["samples"] + samples
    shard.update(bytes=len(data), samples=samples, crc32="%08x" % binascii.crc32(data))
    json.dump(index, open(path, "w"))


# ---- the repros ----------------------------------------------------------------------------------------------------

def ok_exit1(r, one=True):
    return r[0] == 1 and (one_line(r[2]) or not one)


def hdf5(w):
    victim = os.path.join(w, "victim.txt")
    original = b"v" * 200
    open(victim, "wb").write(original)
    os.mkdir(os.path.join(w, "evil"))
    store = os.path.join(w, "evil/data.h5")
    os.symlink(victim, store)
    open(store + ".journal", "wb").write(journal(40, 0, b"echo PWNED\n#########"))
    assert os.path.getsize(store + ".journal") == 76
    for cmd in (["info", store], ["get", store, "0", "-o", os.path.join(w, "0.png")], ["export", store, os.path.join(w, "out")], ["verify", store]):
        r = run(cmd, w)
        row("1 write", f"symlink to victim + 76-byte journal: `{cmd[0]}`", r, ok_exit1(r) and open(victim, "rb").read() == original)
    st = os.stat(victim)
    open(store + ".journal", "wb").write(journal(40, 0, b"echo PWNED\n#########", (st.st_dev, st.st_ino)))
    for cmd in (["verify", store, "--repair"], ["import", "synthetic:2:8x8", store]):
        r = run(cmd, w)
        row("1 write", f"same, journal names the victim's dev+inode: `{' '.join(cmd[:1] + cmd[2:3] if cmd[0] == 'verify' else cmd[:1])}`", r, ok_exit1(r) and open(victim, "rb").read() == original)

    real = os.path.join(w, "real.h5")
    run(["import", "synthetic:20:8x8", real], w)
    before = open(real, "rb").read()
    open(real + ".journal", "wb").write(journal(0, 0, b""))
    r = run(["info", real], w)
    row("1 delete", "32-byte journal, committed length 0, beside a real store: `info`", r,
        ok_exit1(r) and open(real, "rb").read() == before and "verify --repair" in r[2])
    r = run(["verify", real, "--repair"], w)
    row("1 delete", "same: `verify --repair` (journal not the file's own)", r, ok_exit1(r) and open(real, "rb").read() == before)
    st = os.stat(real)
    open(real + ".journal", "wb").write(journal(len(before) + 4096, len(before), b"\0" * 64, (st.st_dev, st.st_ino)))
    r = run(["import", "synthetic:2:8x8", real], w)
    row("1 writer", "journal of the right identity, committed length and record past the file's end: `import`", r, ok_exit1(r) and open(real, "rb").read() == before)

    # A genuine unfinished commit: the file's own journal (its identity), old bytes of the superblock, committed length.
    hot = os.path.join(w, "hot.h5")
    run(["import", "synthetic:20:8x8", hot], w)
    committed = open(hot, "rb").read()
    st = os.stat(hot)
    open(hot + ".journal", "wb").write(journal(len(committed), 0, committed[:64], (st.st_dev, st.st_ino)))
    with open(hot, "r+b") as f:
        f.write(b"\0" * 64)
    damaged = open(hot, "rb").read()
    r = run(["info", hot], w)
    row("1 reader", "hot journal (a writer died mid-commit): `info`", r,
        ok_exit1(r) and "has an unfinished commit: open it for writing, or run `imagestash verify --repair`" in r[2] and open(hot, "rb").read() == damaged)
    r = run(["verify", hot, "--repair"], w)
    row("1 reader", "same: `verify --repair` rolls back, then verifies", r, r[0] == 0 and open(hot, "rb").read() == committed and not os.path.exists(hot + ".journal") or (r[0] == 0 and open(hot, "rb").read() == committed))


def shard_set(w, name="set", count=40, encode="raw"):
    store = os.path.join(w, name + ".lmdb")
    run(["import", "synthetic:%d:8x8" % count, store, "--encode", encode], w)
    dest = os.path.join(w, name)
    r = run(["shard", store, dest, "--shard-size", "1MiB"], w)
    assert r[0] == 0, r[2]
    return dest


def tar_sizes(w):
    for size, label in (("-1024", "negative PAX size"), ("9223372036854775807", "PAX size 2^63-1"), ("9223372036854775808", "PAX size 2^63")):
        s = shard_set(w, "set" + label.split()[-1].replace("^", ""), count=1)
        replace_first_shard(s, tar_with_pax_size(size))
        before = tree(w)
        for cmd in (["get", s, "0", "-o", os.path.join(w, "x.png")], ["export", s, os.path.join(w, "out")], ["verify", s, "--deep"],
                    ["loader-bench", s, "--epochs", "1", "--no-limit"]):
            r = run(cmd, w, timeout=60)
            row("3", f"{label} in a consistent 3 KB shard: `{cmd[0]}`", r, (ok_exit1(r) or cmd[0] == "verify" and r[0] == 1 and "is damaged" in r[1]) and r[4] < 30)
        after = tree(w)
        changed = [p for p in set(before) | set(after) if before.get(p) != after.get(p) and "/out" not in p]
        ROWS.append(("3", "nothing outside the output changed", "-", str(changed)[:80], 0, 0, not changed))


def bombs(w):
    folder = os.path.join(w, "in/a")
    os.makedirs(folder)
    open(os.path.join(folder, "bomb.png"), "wb").write(png_bomb())
    open(os.path.join(folder, "fine.png"), "wb").write(small_png())
    r = run(["import", os.path.join(w, "in"), os.path.join(w, "s.lmdb")], w)
    row("4", "16384² PNG (%d KB): `import`" % (os.path.getsize(os.path.join(folder, "bomb.png")) // 1024), r, ok_exit1(r) and r[3] < 300 and "--max-pixels" in r[2])
    r = run(["import", os.path.join(w, "in"), os.path.join(w, "s2.lmdb"), "--on-error", "skip"], w)
    row("4", "same, `import --on-error skip`", r, r[0] == 0 and "skipped" in r[2] and r[3] < 300)
    # The loader: a store holding two of them (imported with the limit raised, header checked only).
    os.remove(os.path.join(folder, "fine.png"))
    shutil.copy(os.path.join(folder, "bomb.png"), os.path.join(folder, "bomb2.png"))
    store = os.path.join(w, "bombs.lmdb")
    run(["import", os.path.join(w, "in"), store, "--max-pixels", "268435456", "--check", "none"], w)
    r = run(["loader-bench", store, "--size", "224", "--epochs", "1", "--no-limit", "--batch", "2"], w)
    row("4", "store of two 16384² PNGs: `loader-bench --size 224` (default workers)", r, ok_exit1(r) and r[3] < 300)
    r = run(["loader-bench", store, "--size", "224", "--epochs", "1", "--no-limit", "--batch", "2", "--workers", "2"], w)
    row("4", "same, `--workers 2`", r, ok_exit1(r) and r[3] < 300)
    r = run(["loader-bench", store, "--size", "224", "--epochs", "1", "--no-limit", "--batch", "2", "--workers", "2", "--max-pixels", "268435456"], w)
    row("4 (info)", "same with the limit raised to 268435456 (the user's choice)", r, r[0] == 0)

    jf = os.path.join(w, "jin/a")
    os.makedirs(jf)
    open(os.path.join(jf, "bomb.jpg"), "wb").write(progressive_bomb())
    r = run(["import", os.path.join(w, "jin"), os.path.join(w, "j.lmdb")], w)
    row("4", "13500² progressive JPEG (%d KB): `import`" % (os.path.getsize(os.path.join(jf, "bomb.jpg")) // 1024), r, ok_exit1(r) and r[3] < 300)
    os.remove(os.path.join(jf, "bomb.jpg"))
    open(os.path.join(jf, "bomb.jpg"), "wb").write(progressive_bomb(12000))
    r = run(["import", os.path.join(w, "jin"), os.path.join(w, "j2.lmdb")], w)
    row("4 (info)", "12000² progressive JPEG (under the limit): `import` (check decodes at 1/8)", r, r[0] == 0)
    sf = os.path.join(w, "sin/a")
    os.makedirs(sf)
    open(os.path.join(sf, "scans.jpg"), "wb").write(many_scans(13))
    r = run(["import", os.path.join(w, "sin"), os.path.join(w, "sc.lmdb"), "--check", "full"], w)
    row("4", "progressive JPEG of 883 scans: `import --check full`", r, ok_exit1(r) and "scans" in r[2])
    for side in (30000, 65500):
        hf = os.path.join(w, f"h{side}/a")
        os.makedirs(hf)
        open(os.path.join(hf, "h.jpg"), "wb").write(header_only_jpeg(side))
        r = run(["import", os.path.dirname(hf), os.path.join(w, f"h{side}.lmdb")], w)
        row("held", f"header-only {side}² JPEG: `import`", r, ok_exit1(r) and r[4] < 5)


def indexes(w):
    s = os.path.join(w, "sparse")
    os.mkdir(s)
    with open(os.path.join(s, "index.json"), "wb") as f:
        f.truncate(1 << 30)
    r = run(["info", s], w)
    row("5", "sparse 1 GiB index.json (0 bytes on disk): `info`", r, ok_exit1(r) and r[3] < 300)
    s = shard_set(w, "idsbig")
    index = json.load(open(os.path.join(s, "index.json")))
    with open(os.path.join(s, index["ids"]["name"]), "r+b") as f:
        f.truncate(1 << 30)
    r = run(["info", s], w)
    row("5", "ids file grown to a sparse 1 GiB: `info`", r, ok_exit1(r) and r[3] < 300)
    index["ids"]["bytes"] = 1 << 30
    json.dump(index, open(os.path.join(s, "index.json"), "w"))
    r = run(["info", s], w)
    row("5", "same, the index agreeing (ids bytes 1 GiB): `info`", r, ok_exit1(r) and r[3] < 300)
    s = shard_set(w, "ids260")
    index = json.load(open(os.path.join(s, "index.json")))
    index["samples"] = 1 << 60
    json.dump(index, open(os.path.join(s, "index.json"), "w"))
    r = run(["info", s], w)
    row("held", "index claiming 2^60 samples: `info`", r, ok_exit1(r))


def files(w):
    inp = os.path.join(w, "in/a")
    os.makedirs(inp)
    open(os.path.join(inp, "0.png"), "wb").write(small_png())
    os.mkfifo(os.path.join(inp, "1.jpg"))
    os.symlink("/dev/zero", os.path.join(inp, "2.jpg"))
    r = run(["import", os.path.join(w, "in"), os.path.join(w, "s.lmdb"), "--on-error", "skip"], w, timeout=60)
    row("7", "FIFO `1.jpg` and link to /dev/zero `2.jpg`: `import --on-error skip`", r,
        r[0] == 0 and r[2].count("skipped") == 2 and r[3] < 300)
    r = run(["import", os.path.join(w, "in"), os.path.join(w, "s2.lmdb")], w, timeout=60)
    row("7", "same without `--on-error skip`", r, ok_exit1(r))

    # Control characters in class and sample names.
    esc = os.path.join(w, "esc/\x1b[31mRED\x1b]0;pwned\x07")
    os.makedirs(esc)
    open(os.path.join(esc, "\x1b[2Jx.png"), "wb").write(small_png())
    store = os.path.join(w, "esc.lmdb")
    run(["import", os.path.join(w, "esc"), store], w)
    r = run(["info", store], w)
    row("7", "class name with ESC/OSC sequences: `info` (stdout)", (r[0], r[1], r[1].splitlines()[-1] if r[1] else "", r[3], r[4]),
        r[0] == 0 and "\x1b" not in r[1] and "\x07" not in r[1] and "\\e[31m" in r[1] or (r[0] == 0 and "\x1b" not in r[1]))
    r = run(["get", store, "0", "-o", os.path.join(w, "g.png")], w)
    row("7", "sample name `ESC[2Jx.png`: `get` (stdout)", (r[0], r[1], r[1].strip(), r[3], r[4]), r[0] == 0 and "\x1b" not in r[1] + r[2])

    # Credentials in an endpoint URL.
    r = run(["info", "s3://bucket/set", "--endpoint", "http://KEY:SECRET@127.0.0.1:9"], w, timeout=90)
    row("7", "`--endpoint http://KEY:SECRET@127.0.0.1:9` (nothing listening)", r, ok_exit1(r) and "SECRET" not in r[1] + r[2] and "KEY:" not in r[2])
    r = run(["info", "s3://bucket/set", "--endpoint", "http://KEY:SECRET@127.0.0.1:9", "--verbose"], w, timeout=90)
    row("7", "same with `--verbose`", r, r[0] == 1 and "SECRET" not in r[1] + r[2])
    r = run(["info", "s3://bucket/set", "--endpoint", "http://127.0.0.1:9", "--verbose"], w, timeout=90,
            env={"AWS_ACCESS_KEY_ID": "AKIDENVKEY", "AWS_SECRET_ACCESS_KEY": "ENVSECRETVALUE"})
    row("held", "AWS secrets from the environment, `--verbose`", r, r[0] == 1 and "ENVSECRETVALUE" not in r[1] + r[2])

    # Another user's read-only LMDB store.
    lm = os.path.join(w, "ro/theirs.lmdb")
    os.makedirs(os.path.dirname(lm))
    run(["import", "synthetic:10:8x8", lm], w)
    for p in (os.path.dirname(lm), lm):
        os.chmod(p, 0o755)
    for f in os.listdir(lm):
        os.chmod(os.path.join(lm, f), 0o644)
    os.chmod(w, 0o755)
    home = tempfile.mkdtemp()
    os.chmod(home, 0o777)
    r = run(["info", lm], w, env={"HOME": home, "DOTNET_CLI_HOME": home}, user=65534)
    row("7", "root's LMDB store, read by uid 65534: `info`", r, r[0] == 0)
    r = run(["import", "synthetic:1:8x8", lm], w, env={"HOME": home, "DOTNET_CLI_HOME": home}, user=65534)
    row("7", "same: `import` into it", r, ok_exit1(r) and "cannot write store" in r[2])

    # The font in the shared temp folder: another user's folder with links at the predictable names.
    fonts = "/tmp/imagestash-fonts"
    made = not os.path.exists(fonts)
    target = os.path.join(w, "root-owned.txt")
    open(target, "w").write("root's file\n")
    if made:
        os.mkdir(fonts)
        for pid in range(1, 401):
            os.symlink(target, os.path.join(fonts, f"DejaVuSans.ttf.{pid}.tmp"))
        os.symlink(target, os.path.join(fonts, "DejaVuSans.ttf"))
        os.chown(fonts, 65534, 65534)
    try:
        r = run(["bench", "--quick", "--counts", "1", "--stores", "lmdb", "--repeat", "1", "--out", os.path.join(w, "bench-out")], w, timeout=300)
        row("6", "/tmp/imagestash-fonts of uid 65534 with 401 links to a root file: `bench` as root", r,
            r[0] == 0 and open(target).read() == "root's file\n" and any(n.endswith(".png") for n in os.listdir(os.path.join(w, "bench-out"))))
    finally:
        if made:
            shutil.rmtree(fonts)


def verify_child(w):
    store = os.path.join(w, "big.lmdb")
    run(["import", "synthetic:3000:256x256", store, "--encode", "png"], w, timeout=600)
    p = subprocess.Popen([TOOL, "verify", store, "--deep"], cwd=w, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = None
    for _ in range(200):
        time.sleep(0.1)
        kids = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
        if kids:
            child = int(kids[0])
            break
    time.sleep(1)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(1)
    alive = child is not None and os.path.exists(f"/proc/{child}") and "zombie" not in open(f"/proc/{child}/status").read()
    ROWS.append(("7", "`verify --deep` killed with SIGKILL after 1 s: its child", "-", f"child {child} {'still running' if alive else 'gone'}", 0, 0, child is not None and not alive))
    print(f"| 7 | `verify` killed: its child | - | `child {child} {'still running' if alive else 'gone'}` | - | - | {'PASS' if child and not alive else 'FAIL'} |", flush=True)


def s3(w):
    env = {}
    for line in open(S3ENV):
        if "=" in line:
            k, v = line.strip().removeprefix("export ").split("=", 1)
            env[k] = v.strip("'\"")
    os.environ.update(env)
    endpoint = env.get("AWS_ENDPOINT_URL")
    bucket = "repro%d" % os.getpid()
    subprocess.run(["bash", os.path.join(os.path.dirname(__file__), "../../../scripts/s3-server.sh"), "bucket", os.path.dirname(S3ENV), bucket], check=True, capture_output=True)
    cache = os.path.join(w, "cache")
    cenv = {"IMAGESTASH_CACHE": cache}
    # The forged cached shard.
    store = os.path.join(w, "real.lmdb")
    run(["import", "synthetic:50:8x8", store, "--seed", "1"], w)
    r = run(["shard", store, f"s3://{bucket}/set", "--shard-size", "1MiB"], w)
    assert r[0] == 0, r[2]
    forged_store = os.path.join(w, "forged.lmdb")
    run(["import", "synthetic:50:8x8", forged_store, "--seed", "999"], w)
    run(["shard", forged_store, os.path.join(w, "forged"), "--shard-size", "1MiB"], w)
    r = run(["verify", f"s3://{bucket}/set"], w, env=cenv)
    cached = [os.path.join(root, f) for root, _, fs in os.walk(cache) for f in fs if f.endswith(".tar")]
    genuine = open(cached[0], "rb").read()
    modes = sorted({oct(os.stat(root).st_mode & 0o777) for root, _, _ in os.walk(cache)}) + sorted({oct(os.stat(c).st_mode & 0o777) for c in cached})
    fake_name = json.load(open(os.path.join(w, "forged/index.json")))["shards"][0]["name"]
    open(cached[0], "wb").write(open(os.path.join(w, "forged", fake_name), "rb").read())
    r = run(["get", f"s3://{bucket}/set", "0", "-o", os.path.join(w, "0.png")], w, env=cenv)
    run(["get", os.path.join(w, "real.lmdb"), "0", "-o", os.path.join(w, "0-real.png")], w)
    same = open(os.path.join(w, "0.png"), "rb").read() == open(os.path.join(w, "0-real.png"), "rb").read()
    row("2", "consistent forgery put in the cache after one `verify`: `get s3://…/set 0`", r, r[0] == 0 and same and open(cached[0], "rb").read() == genuine)
    open(cached[0], "wb").write(open(os.path.join(w, "forged", fake_name), "rb").read())
    r = run(["verify", f"s3://{bucket}/set", "--deep"], w, env=cenv)
    row("2", "same: `verify --deep` (clean, the forgery replaced by the server's shard)", r, r[0] == 0 and open(cached[0], "rb").read() == genuine)
    ROWS.append(("2/7", "cache folder and shard modes", "-", " ".join(modes), 0, 0, modes == ["0o700"] * (len(modes) - len(cached)) + ["0o600"] * len(cached)))
    print(f"| 2/7 | cache folder and cached shard modes | - | `{' '.join(modes)}` | - | - | {'PASS' if ROWS[-1][-1] else 'FAIL'} |", flush=True)
    theirs = os.path.join(w, "theirs")
    os.mkdir(theirs)
    os.chown(theirs, 65534, 65534)
    r = run(["verify", f"s3://{bucket}/set"], w, env={"IMAGESTASH_CACHE": theirs})
    row("2", "IMAGESTASH_CACHE a folder of uid 65534: `verify`", r, ok_exit1(r) and "another user" in r[2])
    # A negative PAX size over S3: one line, and the lock is not held after it.
    s = shard_set(w, "neg", count=1)
    replace_first_shard(s, tar_with_pax_size("-1024"))
    upload = subprocess.run(["bash", "-c", f"cd {s} && for f in *; do curl -sSf -H \"x-amz-content-sha256: UNSIGNED-PAYLOAD\" --aws-sigv4 aws:amz:us-east-1:s3 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -T \"$f\" {endpoint}/{bucket}/neg/$f || exit 1; done"], capture_output=True)
    assert upload.returncode == 0, upload.stderr
    r = run(["get", f"s3://{bucket}/neg", "0"], w, env=cenv, timeout=60)
    row("3", "negative PAX size over S3: `get`", r, ok_exit1(r) and "PAX header" in r[2] and r[4] < 30)
    r = run(["verify", f"s3://{bucket}/neg", "--deep"], w, env=cenv, timeout=60)
    row("3", "same, a second process (the download lock is free): `verify --deep`", r, r[0] == 1 and "PAX header" in r[1] and r[4] < 30)
    # A 1 GiB index.json in the bucket.
    big = os.path.join(w, "big.json")
    with open(big, "wb") as f:
        f.truncate(1 << 30)
    subprocess.run(["bash", "-c", f"curl -sSf -H \"x-amz-content-sha256: UNSIGNED-PAYLOAD\" --aws-sigv4 aws:amz:us-east-1:s3 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -T {big} {endpoint}/{bucket}/huge/index.json"], check=True)
    os.remove(big)
    r = run(["info", f"s3://{bucket}/huge"], w, env=cenv)
    row("5", "a 1 GiB index.json in the bucket: `info`", r, ok_exit1(r) and r[3] < 300)


def held(w):
    # Export stays inside its folder whatever the class names (a store can hold any).
    s = shard_set(w, "names")
    index = json.load(open(os.path.join(s, "index.json")))
    index["classNames" if "classNames" in index else "class_names" if "class_names" in index else "classes"] = ["../../escaped"] * 10 + ["/abs"] * 10
    json.dump(index, open(os.path.join(s, "index.json"), "w"))
    before = tree(w)
    r = run(["export", s, os.path.join(w, "out")], w)
    after = tree(w)
    outside = [p for p in after if p not in before and not p.startswith(os.path.join(w, "out"))]
    row("held", "class names `../../escaped`, `/abs`: `export`", r, not outside and not os.path.exists("/abs"))
    # Tar members that are links, ../ names, absolute names.
    s = shard_set(w, "links", count=1)
    evil = tar_header(b"../../../tmp/escaped.json", 2) + b"{}".ljust(512, b"\0") + tar_header(b"/tmp/abs.png", 0) + tar_header(b"l.png", 0, b"2", b"/etc/passwd") + tar_header(b"h.png", 0, b"1", b"/etc/shadow") + b"\0" * 1024
    replace_first_shard(s, evil)
    before = tree(w)
    for cmd in (["verify", s, "--deep"], ["export", s, os.path.join(w, "out2")]):
        r = run(cmd, w)
        row("held", f"shard of link, hardlink, `../` and absolute members: `{cmd[0]}`", r, r[0] in (0, 1) and not os.path.exists("/tmp/escaped.json") and not os.path.exists("/tmp/abs.png"))
    after = tree(w)
    ROWS.append(("held", "nothing outside the output changed", "-", "", 0, 0, all(before.get(p) == after.get(p) for p in before)))


def main():
    print("| # | repro | exit | first line (stderr unless noted) | peak MB | s | verdict |")
    print("|---|---|---|---|---|---|---|")
    parts = [hdf5, tar_sizes, bombs, indexes, files, held, verify_child] + ([s3] if S3ENV else [])
    only = os.environ.get("ONLY")
    for part in parts:
        if only and part.__name__ not in only.split(","):
            continue
        w = tempfile.mkdtemp(prefix=f"repro-{part.__name__}-")
        try:
            part(w)
        except Exception as e:  # a broken repro is a row too
            print(f"| {part.__name__} | repro script failed | - | `{type(e).__name__}: {str(e)[:120]}` | - | - | FAIL |", flush=True)
        finally:
            shutil.rmtree(w, ignore_errors=True)
    failed = [r for r in ROWS if not r[-1]]
    print(f"\n{len(ROWS) - len(failed)} passed, {len(failed)} failed")


if __name__ == "__main__":
    main()
