"""Summarises the damage run's outcome table: per store kind and reader, how many damaged stores were read
without complaint (exit 0: the damage missed what the reader reads), refused with one line, or killed."""
import collections, re, sys

rows = [l.split("|")[1:-1] for l in open(sys.argv[1], encoding="utf-8", errors="replace") if l.startswith("| ") and "(running)" not in l]
rows = [[c.strip() for c in r] for r in rows if len(r) == 5 and r[0].strip() != "store"]
counts = collections.defaultdict(collections.Counter)
for store, seed, damage, reader, outcome in rows:
    if m := re.match(r"exit (\d+)", outcome):
        code = int(m.group(1))
        kind = "read fine" if code == 0 else "one error line" if code == 1 else f"KILLED (exit {code})" if code >= 128 else f"exit {code}"
    else:
        kind = "read fine" if outcome.startswith("read ") else "exception naming the store" if "Exception" in outcome else outcome
    counts[(store, reader)][kind] += 1
damaged = len({(r[0], r[1], r[2]) for r in rows})
print(f"{damaged} damaged stores, {len(rows)} reads\n")
print("| store | reader | reads | read fine | refused with one line / exception | killed |")
print("|---|---|---|---|---|---|")
for (store, reader), c in sorted(counts.items()):
    killed = sum(v for k, v in c.items() if k.startswith("KILLED"))
    refused = c["one error line"] + c["exception naming the store"]
    print(f"| {store} | {reader} | {sum(c.values())} | {c['read fine']} | {refused} | {killed} |")
