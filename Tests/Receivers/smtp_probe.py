#!/usr/bin/env python3
"""Connects to an SMTP server from a given source address and prints the server's answer to RCPT.

    smtp_probe.py SOURCE SERVER PORT [COUNT]

Each of COUNT connections (default 1) binds SOURCE, says EHLO, MAIL FROM and RCPT TO, then QUIT, and prints one
line: the reply code to RCPT, a tab, and the reply's text (its last line). A connection the server refuses
earlier prints that reply's code and text instead, with the command it answered (e.g. `554<TAB>EHLO: ...`).
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
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    source, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    count = int(sys.argv[4]) if len(sys.argv) == 5 else 1
    for _ in range(count):
        try:
            code, text = probe(source, server, port)
        except OSError as error:
            sys.exit(f"smtp_probe.py: {source} -> [{server}]:{port}: {error}")
        print(f"{code}\t{text}", flush=True)


if __name__ == "__main__":
    main()
