#!/usr/bin/env python3
"""Loopback sinks for the on-change recipes' test (icinga-nagios-onchange.sh).

    sinks.py smtp DIR PORTFILE   an SMTP server on 127.0.0.1: each message's envelope and DATA (dot-unstuffed,
                                 byte for byte) go to DIR/mail-N.json and DIR/mail-N.eml
    sinks.py http DIR PORTFILE   an HTTP server on 127.0.0.1: each POST's path, headers and body go to
                                 DIR/post-N.json and DIR/post-N.body; it answers 200, or 500 on the path /fail

Each binds a free port, writes it to PORTFILE once it listens, and exits by itself after LIFETIME seconds (300) if
nobody stops it. A file is complete before the reply that ends the client's transaction, so once the recipe has
exited its delivery is on disk.
"""
import http.server
import itertools
import json
import os
import socketserver
import sys
import threading

LIFETIME = 300
counter = itertools.count(1)
lock = threading.Lock()


def save(directory, stem, meta, payload, suffix):
    with lock:
        number = next(counter)
    base = os.path.join(directory, f"{stem}-{number}")
    with open(base + suffix, "wb") as file:
        file.write(payload)
    with open(base + ".json", "w") as file:
        json.dump(meta, file)


class SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink.test ESMTP sink")
        sender, recipients = None, []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 sink.test")
            elif verb == b"MAIL":
                sender, recipients = line.strip()[len(b"MAIL FROM:"):].decode("latin-1"), []
            elif verb == b"RCPT":
                recipients.append(line.strip()[len(b"RCPT TO:"):].decode("latin-1"))
            elif verb == b"DATA":
                self.reply("354 go on")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline(1 << 20)
                    if not chunk or chunk == b".\r\n":
                        break
                    data += chunk[1:] if chunk.startswith(b".") else chunk
                save(self.server.directory, "mail", {"from": sender, "to": recipients}, bytes(data), ".eml")
                self.reply("250 queued")
                continue
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            elif verb == b"RSET":
                sender, recipients = None, []
            if verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 ok")
            elif verb not in (b"EHLO", b"HELO"):
                self.reply("502 not here")


class HTTPHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        meta = {"path": self.path, "headers": [[k, v] for k, v in self.headers.items()]}
        save(self.server.directory, "post", meta, body, ".body")
        status = 500 if self.path == "/fail" else 200
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def main():
    kind, directory, portfile = sys.argv[1:4]
    os.makedirs(directory, exist_ok=True)
    handler = SMTPHandler if kind == "smtp" else HTTPHandler
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.directory = directory
    timer = threading.Timer(LIFETIME, server.shutdown)
    timer.daemon = True
    timer.start()
    with open(portfile + ".tmp", "w") as file:
        file.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()
    os._exit(0)


if __name__ == "__main__":
    main()
