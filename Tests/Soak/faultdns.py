#!/usr/bin/env python3
"""A small fault DNS server for the soak test and the valgrind check (loopback only, UDP and TCP).

    faultdns.py [--port N] [--ipv6] [--upstream HOST:PORT] [--port-file FILE]

Names under soak.test. and the reverse names of 203.0.113.0/24 get the faults below; every other query is
relayed to --upstream (NSD serving Tests/Zones) over the transport it came on, or REFUSED without one. With
--port 0 the kernel picks a free port (the same one for UDP and TCP, and ::1 with --ipv6), written to
--port-file once the server is ready. Stops on SIGTERM or SIGINT.

Behaviours (the first label of a soak.test name, or the address in 203.0.113.0/24):

    servfail / .1      SERVFAIL
    refused  / .5      REFUSED
    drop               never answers (UDP and TCP)
    .2                 drop on every 5th query for the name, SERVFAIL otherwise (a timeout every 5th run)
    garbage            40 pseudo-random bytes after the query's ID (glibc ignores it: a timeout)
    garbage-answer / .3  a valid header and question, then ANCOUNT 1..4 and 0..60 pseudo-random octets
    tcstall            TC over UDP; over TCP reads the query and never answers
    .4                 TC over UDP; over TCP: stall, reset, answer, answer, answer (cycling per TCP query)
    tcreset            TC over UDP; over TCP a reset (SO_LINGER 0)
    tcanswer / big     TC over UDP; over TCP the full answer (big: 300 A records, 4.8 kB)
    ok6                A 203.0.113.6 (.6 answers PTR ok6.soak.test, over UDP)
    .7                 PTR ok7.soak.test and other7.soak.test alternately (drift on every run)
    other7             A 198.51.100.7 (ok7: A 203.0.113.7)
    .8                 a hostile PTR name with control bytes and shell metacharacters
    .9                 a CNAME to 9.soak.test, which CNAMEs back (a loop)
"""

import argparse
import os
import random
import signal
import socket
import struct
import sys
import threading

TYPE_A, TYPE_CNAME, TYPE_PTR = 1, 5, 12
REVERSE_SUFFIX = ".113.0.203.in-addr.arpa"


def parse_question(message):
    """(labels, qtype, end) of the single question, or None."""
    if len(message) < 12 or struct.unpack("!H", message[4:6])[0] != 1:
        return None
    labels, offset = [], 12
    while True:
        if offset >= len(message):
            return None
        length = message[offset]
        offset += 1
        if length == 0:
            break
        if length > 63 or offset + length > len(message):
            return None
        labels.append(message[offset:offset + length])
        offset += length
    if offset + 4 > len(message):
        return None
    qtype = struct.unpack("!H", message[offset:offset + 2])[0]
    return labels, qtype, offset + 4


def encode_name(text_or_labels):
    labels = text_or_labels
    if isinstance(text_or_labels, str):
        labels = [label.encode() for label in text_or_labels.strip(".").split(".") if label]
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\0"


def reply(query, end, rcode=0, records=(), tc=False, ancount=None, tail=b""):
    """Header (query's ID, QR AA, RD copied) and echoed question, then records [(type, rdata)] owned by the
    question name (a compression pointer to offset 12)."""
    flags = 0x8400 | (struct.unpack("!H", query[2:4])[0] & 0x7900) | rcode | (0x0200 if tc else 0)
    records = [] if tc else list(records)
    count = len(records) if ancount is None else ancount
    message = query[0:2] + struct.pack("!HHHHH", flags, 1, count, 0, 0) + query[12:end]
    for rtype, rdata in records:
        message += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 300, len(rdata)) + rdata
    return message + tail


class Server:
    def __init__(self, port, ipv6, upstream):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.counts = {}
        self.stopping = threading.Event()
        self.sockets = []
        families = [(socket.AF_INET, "127.0.0.1")] + ([(socket.AF_INET6, "::1")] if ipv6 else [])
        for _ in range(50):
            try:
                self.sockets = self.bind_all(families, port)
                break
            except OSError:
                for sock in self.sockets:
                    sock.close()
                self.sockets = []
                if port != 0:
                    raise
        self.port = self.sockets[0].getsockname()[1]

    @staticmethod
    def bind_all(families, port):
        bound = []
        try:
            for family, host in families:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    sock = socket.socket(family, kind)
                    bound.append(sock)
                    if family == socket.AF_INET6:
                        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                    if kind == socket.SOCK_STREAM:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind((host, port))
                    port = sock.getsockname()[1]
                    if kind == socket.SOCK_STREAM:
                        sock.listen(64)
        except OSError:
            for sock in bound:
                sock.close()
            raise
        return bound

    def count(self, key):
        with self.lock:
            index = self.counts.get(key, 0)
            self.counts[key] = index + 1
            return index

    def behaviour(self, labels):
        """The behaviour key for a query name, or None to relay it."""
        name = ".".join(label.decode("latin-1").lower() for label in labels)
        if name.endswith(".soak.test"):
            return name[: -len(".soak.test")]
        if name.endswith(REVERSE_SUFFIX) and name.count(".") == 5:
            return "." + name.split(".")[0]
        return None

    def action(self, query, transport):
        """bytes to send, "drop", "reset" or "relay"."""
        question = parse_question(query)
        if question is None:
            flags = 0x8000 | (struct.unpack("!H", query[2:4])[0] & 0x7900) | 1
            return query[0:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0)
        labels, qtype, end = question
        key = self.behaviour(labels)
        if key is None:
            return "relay"
        index = self.count((key, transport))
        rng = random.Random(f"{key}/{transport}/{index}")  # reproducible garbage
        if key in ("servfail", ".1"):
            return reply(query, end, rcode=2)
        if key in ("refused", ".5"):
            return reply(query, end, rcode=5)
        if key == "drop":
            return "drop"
        if key == ".2":
            return "drop" if index % 5 == 0 else reply(query, end, rcode=2)
        if key == "garbage":
            return query[0:2] + bytes([0x80 | rng.randrange(128)]) + bytes(rng.randrange(256) for _ in range(37))
        if key in ("garbage-answer", ".3"):
            tail = bytes(rng.randrange(256) for _ in range(rng.randrange(61)))
            return reply(query, end, ancount=rng.randrange(1, 5), tail=tail)
        if key in ("tcstall", "tcreset", "tcanswer", "big", ".4"):
            if transport == "udp":
                return reply(query, end, tc=True)
            if key == "tcstall" or (key == ".4" and index % 5 == 0):
                return "drop"
            if key == "tcreset" or (key == ".4" and index % 5 == 1):
                return "reset"
            if key == "big":
                return reply(query, end, records=[(TYPE_A, bytes([198, 51, 100, n % 256])) for n in range(300)])
            if key == ".4":
                return reply(query, end, records=[(TYPE_PTR, encode_name("ok6.soak.test"))])
            return reply(query, end, records=[(TYPE_A, bytes([203, 0, 113, 6]))] if qtype == TYPE_A else [])
        if key == "ok6":
            return reply(query, end, records=[(TYPE_A, bytes([203, 0, 113, 6]))] if qtype == TYPE_A else [])
        if key == ".6":
            return reply(query, end, records=[(TYPE_PTR, encode_name("ok6.soak.test"))])
        if key == ".7":
            target = "ok7.soak.test" if index % 2 == 0 else "other7.soak.test"
            return reply(query, end, records=[(TYPE_PTR, encode_name(target))])
        if key == "ok7":
            return reply(query, end, records=[(TYPE_A, bytes([203, 0, 113, 7]))] if qtype == TYPE_A else [])
        if key == "other7":
            return reply(query, end, records=[(TYPE_A, bytes([198, 51, 100, 7]))] if qtype == TYPE_A else [])
        if key == ".8":
            hostile = [b"$(reboot)\x1b[2J\x07;`id`", b"\xc3\xa9vil", b"test"]
            return reply(query, end, records=[(TYPE_PTR, encode_name(hostile))])
        if key == ".9":
            return reply(query, end, records=[(TYPE_CNAME, encode_name("9.soak.test"))])
        if key == "9":
            return reply(query, end, records=[(TYPE_CNAME, encode_name("9" + REVERSE_SUFFIX))])
        return reply(query, end, rcode=3)

    # --- transports ---------------------------------------------------------------------------------------

    def relay_udp(self, sock, query, client):
        if self.upstream is None:
            question = parse_question(query)
            sock.sendto(reply(query, question[2], rcode=5), client)
            return
        with socket.socket(self.upstream_family(), socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(3)
            try:
                upstream.sendto(query, self.upstream)
                answer = upstream.recv(65535)
            except OSError:
                return
        try:
            sock.sendto(answer, client)
        except OSError:
            pass

    def relay_tcp(self, query):
        with socket.create_connection(self.upstream, timeout=3) as upstream:
            upstream.sendall(struct.pack("!H", len(query)) + query)
            length = struct.unpack("!H", self.read_exactly(upstream, 2))[0]
            return self.read_exactly(upstream, length)

    def upstream_family(self):
        return socket.AF_INET6 if ":" in self.upstream[0] else socket.AF_INET

    @staticmethod
    def read_exactly(sock, count):
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def serve_udp(self, sock):
        while not self.stopping.is_set():
            try:
                query, client = sock.recvfrom(65535)
            except OSError:
                return
            if len(query) < 12 or query[2] & 0x80:
                continue
            action = self.action(query, "udp")
            if action == "relay":
                threading.Thread(target=self.relay_udp, args=(sock, query, client), daemon=True).start()
            elif isinstance(action, bytes):
                try:
                    sock.sendto(action, client)
                except OSError:
                    pass

    def serve_tcp_listener(self, listener):
        while not self.stopping.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_connection, args=(connection,), daemon=True).start()

    def serve_connection(self, connection):
        with connection:
            try:
                while True:
                    length = struct.unpack("!H", self.read_exactly(connection, 2))[0]
                    query = self.read_exactly(connection, length)
                    action = self.action(query, "tcp")
                    if action == "relay":
                        if self.upstream is None:
                            action = reply(query, parse_question(query)[2], rcode=5)
                        else:
                            action = self.relay_tcp(query)
                    if action == "drop":
                        # Hold the connection open until the client gives up (or we stop).
                        connection.settimeout(1)
                        while not self.stopping.is_set():
                            try:
                                if not connection.recv(4096):
                                    return
                            except socket.timeout:
                                continue
                        return
                    if action == "reset":
                        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        return
                    connection.sendall(struct.pack("!H", len(action)) + action)
            except (OSError, EOFError, struct.error):
                return

    def run(self, port_file):
        for sock in self.sockets:
            target = self.serve_udp if sock.type == socket.SOCK_DGRAM else self.serve_tcp_listener
            threading.Thread(target=target, args=(sock,), daemon=True).start()
        if port_file:
            with open(port_file + ".tmp", "w") as handle:
                handle.write(f"{self.port}\n")
            os.rename(port_file + ".tmp", port_file)
        self.stopping.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ipv6", action="store_true", help="also serve on ::1")
    parser.add_argument("--upstream", help="HOST:PORT to relay other names to (NSD)")
    parser.add_argument("--port-file", help="write the port here once ready")
    arguments = parser.parse_args()
    upstream = None
    if arguments.upstream:
        host, _, port = arguments.upstream.rpartition(":")
        upstream = (host.strip("[]"), int(port))
    server = Server(arguments.port, arguments.ipv6, upstream)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: server.stopping.set())
    server.run(arguments.port_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
