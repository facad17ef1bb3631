#!/usr/bin/env python3
"""Zones for rdnscheck's benchmark: 10.0.0.0/SIZE (16, 20 or 24) under example.test.

Address i (10.0.c.d, i = 256c + d) has PTR h<i>.example.test with A 10.0.c.d, except every 1000th family:
i % 1000 == 1: the A points elsewhere (CRITICAL forward-mismatch); == 2: the PTR name has no A
(forward-no-address); == 3: no PTR (no-ptr). Writes the two zone files, the address list for adnslogres and
expected.json with the number of OK and CRITICAL addresses.

usage: gen_zones.py SIZE OUTDIR"""
import json
import os
import sys

size, out = int(sys.argv[1]), sys.argv[2]
if size not in (16, 20, 24):
    sys.exit("SIZE must be 16, 20 or 24")
os.makedirs(out, exist_ok=True)
head = ("$TTL 3600\n@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300\n"
        "@ IN NS ns.example.test.\n")
forward, reverse, lines = [head, "ns IN A 127.0.0.1\n"], [head], []
critical = 0
for i in range(1 << (32 - size)):
    c, d = divmod(i, 256)
    kind = i % 1000
    lines.append(f"10.0.{c}.{d} - - x\n")
    if kind == 3:
        critical += 1
        continue
    host = f"gone{i}" if kind == 2 else f"h{i}"
    reverse.append(f"{d}.{c} IN PTR {host}.example.test.\n")
    if kind == 2:
        critical += 1
        continue
    if kind == 1:
        critical += 1
    forward.append(f"{host} IN A 10.{1 if kind == 1 else 0}.{c}.{d}\n")
files = {"example.test.zone": forward, "0.10.in-addr.arpa.zone": reverse, "adnslogres.in": lines}
for name, content in files.items():
    with open(os.path.join(out, name), "w") as f:
        f.writelines(content)
total = 1 << (32 - size)
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump({"addresses": total, "ok": total - critical, "critical": critical}, f)
