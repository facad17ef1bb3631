#!/usr/bin/env python3
"""Prints a port free for UDP and TCP on 127.0.0.1 (and on ::1 with --ipv6), released again: a server of the
soak and valgrind scripts binds it next. Used by Tests/Soak/soak.sh, Tests/Sanitizers/valgrind.sh and
Tests/Integrations/prometheus.sh."""
import socket
import sys

ipv6 = "--ipv6" in sys.argv[1:]
for _ in range(100):
    sockets = []
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sockets.append(probe)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        wanted = [(socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1")]
        if ipv6:
            wanted += [(socket.AF_INET6, kind, "::1") for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM)]
        for family, kind, host in wanted:
            sock = socket.socket(family, kind)
            sockets.append(sock)
            sock.bind((host, port))
        print(port)
        break
    except OSError:
        continue
    finally:
        for sock in sockets:
            sock.close()
else:
    sys.exit("free-port.py: no free port found")
