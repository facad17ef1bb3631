#!/usr/bin/env python3
"""Connects to SMTP servers from given source addresses and prints each server's answer to RCPT.

    smtp_probe.py < PLAN

Each line of PLAN is `SOURCE SERVER PORT COUNT TAG`: COUNT connections to [SERVER]:PORT, each bound to SOURCE,
saying EHLO, MAIL FROM and RCPT TO, then QUIT. Each connection prints one line: TAG (the rest of the plan's line,
tabs kept), a tab, the reply code to RCPT, a tab, and the reply's text (its last line). A connection the server
refuses earlier prints that reply's code and text instead, with the command it answered (`554<TAB>EHLO: ...`).
One process for the whole plan: Python's start-up (slow behind a pyenv shim) is paid once.
Exit 0 when every connection got to RCPT's answer, 1 on a network error (printed to stderr)."""

import socket
import sys

TIMEOUT = 30  # seconds per reply: Postfix waits for its DNS lookups before the banner and at RCPT


def reply(stream):
    """Reads one SMTP reply (all its lines); returns (code, text of the last line)."""
    while True:
        line = stream.readline()
        if not line:
            raise ConnectionError("connection closed by the server")
        line = line.decode("utf-8", "replace").rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return int(line[:3]), line[4:]


def probe(source, server, port):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.bind((source, 0))
        sock.connect((server, port))
        stream = sock.makefile("rb")
        steps = [
            ("banner", None),
            ("EHLO", b"EHLO probe.example.test\r\n"),
            ("MAIL", b"MAIL FROM:<probe@example.test>\r\n"),
            ("RCPT", b"RCPT TO:<user@rcv.test>\r\n"),
        ]
        for name, command in steps:
            if command:
                sock.sendall(command)
            code, text = reply(stream)
            if name == "RCPT":
                break
            if code >= 400:
                text = f"{name}: {text}"
                break
        sock.sendall(b"QUIT\r\n")
        return code, text


def main():
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    for line in sys.stdin:
        if not line.strip():
            continue
        source, server, port, count, tag = line.rstrip("\n").split(" ", 4)
        for _ in range(int(count)):
            try:
                code, text = probe(source, server, int(port))
            except OSError as error:
                sys.exit(f"smtp_probe.py: {source} -> [{server}]:{port}: {error}")
            print(f"{tag}\t{code}\t{text}", flush=True)


if __name__ == "__main__":
    main()
