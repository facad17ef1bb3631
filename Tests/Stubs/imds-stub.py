#!/usr/bin/env python3
"""A stand-in for the EC2 instance metadata service (IMDSv2), on loopback, for rdnscheck's tests, `make demo` and
the real-systemd test. Python 3 standard library only.

    imds-stub.py SCENARIO.json [--port PORT] [--bind ADDRESS] [--log FILE]

Listens on ADDRESS (127.0.0.1; ::1 works too) and PORT (0: a free one), prints the port on a line of its own on
stdout once it listens, and serves until killed. Point rdnscheck (or awscli) at it with
AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT. --log appends one line per request to FILE:
`METHOD PATH STATUS TOKEN-HEADER` (TOKEN-HEADER is `token=ok`, `token=missing` or `token=wrong`).

The scenario file is read again for every request, so a test changes what the service says between two runs by
rewriting it (write a new file and rename it over the old one). A scenario that cannot be read or parsed makes
every answer a 500 whose body says why. Its format (every key optional):

    {
      "region": "eu-west-1",
      "interfaces": [
        {"mac": "0e:00:00:00:00:01", "public-ipv4s": ["203.0.113.10"], "ipv6s": ["2001:db8::10"]},
        {"mac": "0e:00:00:00:00:02", "public-ipv4s": ["198.51.100.7"]}
      ],
      "refuse-tokens": false,
      "role": {"name": "rdnscheck-instance", "access-key-id": "ASIA...", "secret-access-key": "...",
               "token": "..."},
      "faults": {"/latest/meta-data/placement/region": {"mode": "slow", "delay": 3}}
    }

- `interfaces`: the answers of /latest/meta-data/network/interfaces/macs/ (`MAC/` a line) and of each
  `.../macs/MAC/public-ipv4s` and `.../macs/MAC/ipv6s` (an address a line); a key left out answers 404, as EC2 does
  for an interface without IPv6 or without a public IPv4. Entries are served as given, so a test can list a
  malformed address.
- Token flow as on EC2: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1 to 21600, else 400)
  gives a token; a GET without a token, or with one this stub did not give, answers 401. `refuse-tokens: true`
  answers 401 to every GET (a token that expired or was revoked).
- `role`: the instance role, for awscli: /latest/meta-data/iam/security-credentials/ lists its name,
  /latest/meta-data/iam/security-credentials/NAME gives JSON credentials (Code Success, Type AWS-HMAC, expiring in
  a day), /latest/dynamic/instance-identity/document gives the region. Defaults are made-up keys.
- `faults`: by exact path, what to do instead of the normal answer; `mode` is one of
    slow        wait `delay` seconds (default 5), then answer normally
    silent      read the request and never answer (until the client hangs up, or 120 s)
    close       read the request and close the connection without a word
    oversized   a 200 with a body of `size` bytes (default 1048576) and its Content-Length
    status      answer `status` (e.g. 500) with a short body
    body        a 200 with `body` (a string) as the body
    bad-status  a status line that is not HTTP (`HTTP/1.1 OK`)
    bad-header  a header line without a colon
    no-length   a 200 with neither Content-Length nor chunked encoding, the body ended by closing
    truncated   a Content-Length larger than the body sent, then close
    chunked     the normal answer in chunked encoding (valid)
    bad-chunked the normal answer in chunked encoding with a chunk size that is not hexadecimal
    garbage     bytes that are not HTTP at all
  `"times": N` applies the fault to the first N requests of that path only (counted since the stub started), so
  a test can prove a retry: `{"mode": "silent", "times": 1}`.
"""

import argparse
import http.server
import json
import os
import secrets
import socket
import socketserver
import sys
import threading
import time

MACS = "/latest/meta-data/network/interfaces/macs/"
ROLES = "/latest/meta-data/iam/security-credentials/"
DEFAULT_ROLE = {
    "name": "rdnscheck-instance",
    "access-key-id": "ASIAEXAMPLESTUBKEY01",
    "secret-access-key": "stubSecretAccessKeyForLoopbackTestsOnly0000",
    "token": "stub-session-token",
}


class Stub:
    def __init__(self, scenario_path, log_path):
        self.scenario_path = scenario_path
        self.log_path = log_path
        self.tokens = set()
        self.counts = {}
        self.lock = threading.Lock()

    def scenario(self):
        with open(self.scenario_path, encoding="utf-8") as file:
            value = json.load(file)
        if not isinstance(value, dict):
            raise ValueError("the scenario is not a JSON object")
        return value

    def log(self, line):
        if self.log_path:
            with self.lock, open(self.log_path, "a", encoding="utf-8") as file:
                file.write(line + "\n")

    def fault_for(self, scenario, path):
        fault = scenario.get("faults", {}).get(path)
        if fault is None:
            return None
        with self.lock:
            seen = self.counts.get(path, 0)
            self.counts[path] = seen + 1
        times = fault.get("times")
        return fault if times is None or seen < times else None


def make_handler(stub):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):
            pass

        def do_PUT(self):
            self.handle_request()

        def do_GET(self):
            self.handle_request()

        def handle_request(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            token = self.headers.get("X-aws-ec2-metadata-token")
            with stub.lock:
                known = token in stub.tokens
            token_state = "missing" if token is None else ("ok" if known else "wrong")
            try:
                scenario = stub.scenario()
            except (OSError, ValueError) as error:
                self.answer(500, "scenario: %s\n" % error, token_state)
                return
            fault = stub.fault_for(scenario, self.path)
            if fault is not None and self.act(fault, scenario, token_state):
                return
            status, body = self.normal_answer(scenario, token, known)
            self.answer(status, body, token_state)

        def normal_answer(self, scenario, token, known):
            path = self.path
            if path == "/latest/api/token":
                if self.command != "PUT":
                    return 405, "use PUT\n"
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
                if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                    return 400, "bad X-aws-ec2-metadata-token-ttl-seconds\n"
                new = secrets.token_urlsafe(42)
                with stub.lock:
                    stub.tokens.add(new)
                return 200, new
            if self.command != "GET":
                return 405, "use GET\n"
            if token is None or not known or scenario.get("refuse-tokens"):
                return 401, ""
            interfaces = scenario.get("interfaces", [])
            if path == MACS:
                return 200, "\n".join(entry["mac"] + "/" for entry in interfaces)
            for entry in interfaces:
                for key in ("public-ipv4s", "ipv6s"):
                    if path == MACS + entry["mac"] + "/" + key:
                        if key not in entry:
                            return 404, not_found()
                        return 200, "\n".join(entry[key])
            if path == "/latest/meta-data/placement/region" and "region" in scenario:
                return 200, scenario["region"]
            role = dict(DEFAULT_ROLE, **scenario.get("role", {}))
            if path == ROLES:
                return 200, role["name"]
            if path == ROLES + role["name"]:
                return 200, json.dumps(credentials(role), indent=2)
            if path == "/latest/dynamic/instance-identity/document":
                document = {"region": scenario.get("region", "us-east-1"), "instanceId": "i-0123456789abcdef0",
                            "accountId": "123456789012", "availabilityZone": scenario.get("region", "us-east-1") + "a"}
                return 200, json.dumps(document, indent=2)
            return 404, not_found()

        def answer(self, status, body, token_state, chunked=False, broken_chunks=False):
            data = body.encode("utf-8")
            stub.log("%s %s %d token=%s" % (self.command, self.path, status, token_state))
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                half = len(data) // 2
                parts = [data[:half], data[half:]]
                for part in parts:
                    if part:
                        size = b"zz" if broken_chunks else b"%x" % len(part)
                        self.wfile.write(size + b"\r\n" + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            self.close_connection = True

        def raw(self, data, token_state, status="raw"):
            stub.log("%s %s %s token=%s" % (self.command, self.path, status, token_state))
            self.wfile.write(data)
            self.wfile.flush()
            self.close_connection = True

        def act(self, fault, scenario, token_state):
            """Plays the fault; False when the normal answer should follow (after a delay)."""
            mode = fault.get("mode")
            if mode == "slow":
                time.sleep(float(fault.get("delay", 5)))
                return False
            if mode == "silent":
                stub.log("%s %s silent token=%s" % (self.command, self.path, token_state))
                self.connection.settimeout(120)
                try:
                    while self.connection.recv(4096):
                        pass
                except OSError:
                    pass
                self.close_connection = True
                return True
            if mode == "close":
                stub.log("%s %s close token=%s" % (self.command, self.path, token_state))
                self.close_connection = True
                return True
            if mode == "oversized":
                self.answer(200, "x" * int(fault.get("size", 1048576)), token_state)
            elif mode == "status":
                self.answer(int(fault.get("status", 500)), "stub fault\n", token_state)
            elif mode == "body":
                self.answer(200, fault.get("body", ""), token_state)
            elif mode == "bad-status":
                self.raw(b"HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n", token_state)
            elif mode == "bad-header":
                self.raw(b"HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nhi", token_state)
            elif mode == "no-length":
                self.raw(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n203.0.113.10", token_state)
            elif mode == "truncated":
                self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n203.0.113.10", token_state)
            elif mode in ("chunked", "bad-chunked"):
                status, body = self.normal_answer(scenario, self.headers.get("X-aws-ec2-metadata-token"),
                                                  self.headers.get("X-aws-ec2-metadata-token") in stub.tokens)
                self.answer(status, body, token_state, chunked=True, broken_chunks=mode == "bad-chunked")
            elif mode == "garbage":
                self.raw(bytes(range(256)) * 4, token_state)
            else:
                self.answer(500, "unknown fault mode %r\n" % mode, token_state)
            return True

    return Handler


def not_found():
    return ("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<html><head><title>404 - Not Found</title></head>"
            "<body><h1>404 - Not Found</h1></body></html>\n")


def credentials(role):
    now = time.gmtime()
    later = time.gmtime(time.time() + 86400)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {"Code": "Success", "LastUpdated": time.strftime(stamp, now), "Type": "AWS-HMAC",
            "AccessKeyId": role["access-key-id"], "SecretAccessKey": role["secret-access-key"],
            "Token": role["token"], "Expiration": time.strftime(stamp, later)}


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # Not HTTPServer's, which looks the address's name up (socket.getfqdn): a DNS query, seconds for ::1.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class Server6(Server):
    address_family = socket.AF_INET6


def main():
    parser = argparse.ArgumentParser(description="EC2 instance metadata service stub (IMDSv2) for tests")
    parser.add_argument("scenario")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--log")
    options = parser.parse_args()
    stub = Stub(os.path.abspath(options.scenario), options.log)
    server_class = Server6 if ":" in options.bind else Server
    server = server_class((options.bind, options.port), make_handler(stub))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
