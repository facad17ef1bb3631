#!/usr/bin/env python3
"""Zones for rdnscheck's benchmark: 10.0.0.0/SIZE (16, 20 or 24) under example.test, and with COUNT (SIZE 16
only) the /16s 10.1.0.0 to 10.<COUNT-1>.0.0 as well, for the memory of several /16 in one run.

Address i (10.0.c.d, i = 256c + d) has PTR h<i>.example.test with A 10.0.c.d, except every 1000th family:
i % 1000 == 1: the A points elsewhere (CRITICAL forward-mismatch); == 2: the PTR name has no A
(forward-no-address); == 3: no PTR (no-ptr). In 10.n.0.0/16 (n > 0) the names are h<i>.n<n>.example.test.
Writes the zone files (N.10.in-addr.arpa.zone for each /16), the address list for adnslogres (10.0.0.0/SIZE)
and expected.json with the number of OK and CRITICAL addresses of 10.0.0.0/SIZE, and of all with COUNT.

usage: gen_zones.py SIZE OUTDIR [COUNT]"""
import json
import os
import sys

size, out = int(sys.argv[1]), sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
if size not in (16, 20, 24):
    sys.exit("SIZE must be 16, 20 or 24")
if count < 1 or count > 255 or (count > 1 and size != 16):
    sys.exit("COUNT must be 1 to 255, and more than 1 only with SIZE 16")
os.makedirs(out, exist_ok=True)
head = ("$TTL 3600\n@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300\n"
        "@ IN NS ns.example.test.\n")
forward, lines = [head, "ns IN A 127.0.0.1\n"], []
files = {"example.test.zone": forward, "adnslogres.in": lines}
critical = 0
for n in range(count):
    reverse = [head]
    files[f"{n}.10.in-addr.arpa.zone"] = reverse
    suffix = f".n{n}" if n else ""
    for i in range(1 << (32 - size)):
        c, d = divmod(i, 256)
        kind = i % 1000
        if n == 0:
            lines.append(f"10.0.{c}.{d} - - x\n")
        if kind == 3:
            critical += 1
            continue
        host = (f"gone{i}" if kind == 2 else f"h{i}") + suffix
        reverse.append(f"{d}.{c} IN PTR {host}.example.test.\n")
        if kind == 2:
            critical += 1
            continue
        if kind == 1:
            critical += 1
        forward.append(f"{host} IN A 10.{(n + 1) % 256 if kind == 1 else n}.{c}.{d}\n")
for name, content in files.items():
    with open(os.path.join(out, name), "w") as f:
        f.writelines(content)
total = count << (32 - size)
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump({"addresses": total, "ok": total - critical, "critical": critical}, f)
