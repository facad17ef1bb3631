#!/usr/bin/env python3
"""Writes the saved DNS replies that DNSMessageTests parse.

  make_fixtures.py             writes the crafted (malformed and hostile) replies
  make_fixtures.py --capture PORT
                               also captures real replies from an NSD serving Tests/Zones on 127.0.0.1:PORT

The captured files are committed, so the tests never need a server; rerun this only to change them."""
import os
import random
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        raw = label.encode() if isinstance(label, str) else label
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def header(id_, flags, qd=1, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", id_, flags, qd, an, ns, ar)


def question(qname, qtype):
    return name(qname) + struct.pack(">HH", qtype, 1)


def rr(owner, rtype, rdata, rclass=1, ttl=300):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def write(file, data):
    with open(os.path.join(HERE, file), "wb") as f:
        f.write(data)


RESPONSE = 0x8400  # QR, AA, NOERROR
PTR, A, CNAME = 12, 1, 5
q = question("25.113.0.203.in-addr.arpa", PTR)
QNAME_POINTER = b"\xc0\x0c"  # offset 12: the question name

crafted = {
    # A PTR whose owner is the question name by pointer, and whose name is compressed against itself.
    "ptr-compressed-by-hand.bin": header(1, RESPONSE, an=1) + q
        + rr(QNAME_POINTER, PTR, b"\x04mail\x07example\x03com\x00"),
    # The PTR data (at offset 55: header 12, question 31, owner pointer 2, fixed fields 10) points to itself.
    "compression-loop.bin": header(2, RESPONSE, an=1) + q + rr(QNAME_POINTER, PTR, b"\xc0\x37"),
    # Two names that point at each other: 55 "a" -> 59 "b" -> 55.
    "compression-loop-two.bin": header(3, RESPONSE, an=1) + q + rr(QNAME_POINTER, PTR, b"\x01a\xc0\x3b\x01b\xc0\x37"),
    # A pointer that points forward, past the end of the message.
    "pointer-outside.bin": header(4, RESPONSE, an=1) + q + rr(QNAME_POINTER, PTR, b"\xc3\xff"),
    # Label type 0x40 (extended labels, never used).
    "bad-label-type.bin": header(5, RESPONSE, an=1) + q + rr(QNAME_POINTER, PTR, b"\x41abc\x00"),
    # Header only, cut short.
    "truncated-header.bin": header(6, RESPONSE)[:7],
    # The answer claims 10 bytes of data, 4 are present.
    "truncated-rdata.bin": header(7, RESPONSE, an=1) + q + QNAME_POINTER + struct.pack(">HHIH", PTR, 1, 300, 10) + b"\x04mail",
    # ancount says 3, one record present.
    "missing-records.bin": header(8, RESPONSE, an=3) + q + rr(QNAME_POINTER, PTR, name("mail.example.com")),
    # The PTR name runs past the record's data length.
    "ptr-overruns-rdata.bin": header(9, RESPONSE, an=1) + q + QNAME_POINTER + struct.pack(">HHIH", PTR, 1, 300, 3)
        + name("mail.example.com"),
    # An A record with 5 bytes of data.
    "a-bad-length.bin": header(10, RESPONSE, an=1) + question("mail.example.com", A)
        + rr(QNAME_POINTER, A, b"\xc0\x00\x02\x01\x07"),
    # A name longer than 255 octets, built from 63-octet labels.
    "name-too-long.bin": header(11, RESPONSE, an=1) + q
        + rr(QNAME_POINTER, PTR, b"".join(b"\x3f" + b"a" * 63 for _ in range(5)) + b"\x00"),
    # A name of exactly 255 octets (four labels: 63+63+63+61 plus length bytes and root) is legal.
    "name-255.bin": header(12, RESPONSE, an=1) + q
        + rr(QNAME_POINTER, PTR, b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x3d" + b"d" * 61 + b"\x00"),
    # A PTR owned by another name, and one in class CH: parsed, and left for the check to ignore.
    "wrong-owner.bin": header(13, RESPONSE, an=2) + q
        + rr(name("26.113.0.203.in-addr.arpa"), PTR, name("other.example.com"))
        + rr(QNAME_POINTER, PTR, name("chaos.example.com"), rclass=3),
    # A hostile PTR name: control bytes, shell metacharacters, a dot inside a label, non-ASCII.
    "hostile-ptr.bin": header(14, RESPONSE, an=1) + q
        + rr(QNAME_POINTER, PTR, b"\x0e$(reboot)\x1b;`\n\xff" + b"\x03a.b" + b"\x00"),
    # Random bytes after a valid-looking header.
    "garbage.bin": header(15, RESPONSE, an=4) + bytes(random.Random(7).randrange(256) for _ in range(40)),
    # Two questions (no real server sends this).
    "two-questions.bin": header(16, RESPONSE, qd=2) + q + q,
    # A CNAME chain in one answer: alias -> host, then host's A.
    "cname-then-a.bin": header(17, RESPONSE, an=2) + question("alias.example.com", A)
        + rr(QNAME_POINTER, CNAME, b"\x04host\xc0\x12") + rr(b"\xc0\x2f", A, b"\xcb\x00\x71\x19"),
}
for file, data in crafted.items():
    write(file, data)


def capture(port, qname, qtype, file):
    query = header(0x4242, 0x0100, qd=1) + question(qname, qtype)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(query, ("127.0.0.1", port))
        reply, _ = s.recvfrom(65535)
    write(file, reply)


if len(sys.argv) == 3 and sys.argv[1] == "--capture":
    port = int(sys.argv[2])
    capture(port, "10.2.0.192.in-addr.arpa", PTR, "nsd-ptr.bin")
    capture(port, "15.2.0.192.in-addr.arpa", PTR, "nsd-two-ptr.bin")
    capture(port, "multi.example.test", A, "nsd-three-a.bin")
    capture(port, "alias18.example.test", A, "nsd-cname-a.bin")
    capture(port, "12.2.0.192.in-addr.arpa", PTR, "nsd-nxdomain.bin")
    capture(port, "65.2.0.192.in-addr.arpa", PTR, "nsd-rfc2317-cname.bin")
    capture(port, "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", PTR, "nsd-ptr6.bin")
