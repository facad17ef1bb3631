import Foundation
import Glibc

/// The server threads: one loop for all UDP sockets, one accept loop, one thread per TCP connection.
/// Every blocking call is a `poll` that includes the wake pipe, so `stop()` ends them all promptly.
extension FaultServerCore {
    /// A UDP reply waiting for its `.delayed` time; kept by the UDP loop so no thread sleeps.
    private struct PendingReply {
        var due: UInt64
        var action: FaultAction
        var fd: Int32
        var address: sockaddr_storage
        var addressLength: socklen_t
    }

    func udpLoop() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var pending: [PendingReply] = []
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            let due = pending.filter { $0.due <= now }
            pending.removeAll { $0.due <= now }
            for reply in due { perform(reply.action, udp: reply, into: &pending) }
            let timeout = pending.map { Int32(clamping: ($0.due - now) / 1_000_000 + 1) }.min() ?? -1
            guard let ready = wait(for: udpFDs, events: Int16(POLLIN), timeout: timeout) else { return }
            for fd in ready {
                var reply = PendingReply(due: 0, action: .silence, fd: fd, address: sockaddr_storage(),
                                         addressLength: socklen_t(MemoryLayout<sockaddr_storage>.size))
                let count = withUnsafeMutablePointer(to: &reply.address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, &reply.addressLength)
                    }
                }
                guard count > 0, let action = handle(Array(buffer[0 ..< count]), transport: .udp) else { continue }
                perform(action, udp: reply, into: &pending)
            }
        }
    }

    private func perform(_ action: FaultAction, udp reply: PendingReply, into pending: inout [PendingReply]) {
        switch action {
        case .reply(let bytes):
            var address = reply.address
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(reply.fd, bytes, bytes.count, Int32(MSG_DONTWAIT), $0, reply.addressLength)
                }
            }
        case .silence, .reset:
            break
        case .later(let seconds, let inner):
            var later = reply
            later.due = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
            later.action = inner
            pending.append(later)
        case .replyFrom(let source, let bytes):
            sendFromOtherSource(source, bytes, to: reply.address, length: reply.addressLength, via: reply.fd)
        case .all(let actions):
            for action in actions { perform(action, udp: reply, into: &pending) }
        }
    }

    /// Sends a UDP reply from a socket of its own: the server's address and another port, or (IPv4) 127.0.0.2
    /// and the server's port. The socket is closed at once.
    private func sendFromOtherSource(_ source: FaultSource, _ bytes: [UInt8], to address: sockaddr_storage,
                                     length: socklen_t, via serverFD: Int32) {
        let ipv4 = Int32(address.ss_family) == AF_INET
        let kind = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(ipv4 ? AF_INET : AF_INET6, kind, 0)
        guard fd >= 0 else { return }
        defer { _ = close(fd) }
        let serverPort = Loopback.localPort(serverFD)
        let bound: Int32
        if ipv4 && source == .otherAddress {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_port = serverPort.bigEndian
            local.sin_addr.s_addr = UInt32(0x7F00_0002).bigEndian
            bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            bound = -1
        }
        // Port 0: the kernel picks a free port, never the server's own (it is taken). Also the fallback for
        // 127.0.0.2 when the server's port is taken there.
        guard bound == 0 || Loopback.bind(fd, ipv4 ? .ipv4 : .ipv6, port: 0) == 0 else { return }
        var destination = address
        _ = withUnsafePointer(to: &destination) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, Int32(MSG_DONTWAIT), $0, length)
            }
        }
    }

    func acceptLoop() {
        while let ready = wait(for: listenFDs, events: Int16(POLLIN), timeout: -1) {
            for fd in ready {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { continue }
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                spawn { self.serve(connection: connection) }
            }
        }
    }

    /// Answers length-prefixed queries (RFC 1035 section 4.2.2) until the client closes or the server stops.
    private func serve(connection fd: Int32) {
        var reset = false
        defer {
            if reset {
                // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                var option = linger(l_onoff: 1, l_linger: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
            }
            _ = close(fd)
        }
        while let prefix = read(fd, exactly: 2) {
            let length = Int(DNSWire.uint16(prefix, at: 0))
            guard let query = read(fd, exactly: length) else { return }
            guard let action = handle(query, transport: .tcp) else { continue }
            switch perform(action, tcp: fd) {
            case .next: continue
            case .close: return
            case .reset:
                reset = true
                return
            }
        }
    }

    private enum TCPNext {
        case next
        case close
        case reset
    }

    /// Carries out one action on a TCP connection and says what to do with the connection next.
    private func perform(_ action: FaultAction, tcp fd: Int32) -> TCPNext {
        switch action {
        case .reply(let bytes), .replyFrom(_, let bytes):
            let body = bytes.prefix(65_535)
            return send(fd, [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body) ? .next : .close
        case .silence:
            holdOpen(fd)
            return .close
        case .reset:
            return .reset
        case .later(let seconds, let inner):
            guard wait(for: [], events: 0, timeout: Int32(clamping: Int(seconds * 1000))) != nil else { return .close }
            return perform(inner, tcp: fd)
        case .all(let actions):
            for action in actions {
                let next = perform(action, tcp: fd)
                guard case .next = next else { return next }
            }
            return .next
        }
    }

    /// Keeps a connection open without answering until the client closes it or the server stops.
    private func holdOpen(_ fd: Int32) {
        var sink = [UInt8](repeating: 0, count: 4096)
        while wait(for: [fd], events: Int16(POLLIN), timeout: -1) != nil {
            let got = recv(fd, &sink, sink.count, Int32(MSG_DONTWAIT))
            if got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR) { return }
        }
    }

    private func read(_ fd: Int32, exactly count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            guard wait(for: [fd], events: Int16(POLLIN), timeout: -1) != nil else { return nil }
            let got = bytes.withUnsafeMutableBytes {
                recv(fd, $0.baseAddress! + done, count - done, Int32(MSG_DONTWAIT))
            }
            if got == 0 { return nil }
            if got < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return nil
            }
            done += got
        }
        return bytes
    }

    /// Sends everything; MSG_NOSIGNAL because a client that hung up must not kill the test process.
    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if sent < 0 {
                guard errno == EAGAIN || errno == EINTR else { return false }
                guard wait(for: [fd], events: Int16(POLLOUT), timeout: -1) != nil else { return false }
                continue
            }
            done += sent
        }
        return true
    }

    /// Polls `fds` plus the wake pipe. Returns the ready descriptors (empty on timeout), or nil once the
    /// server is stopping or poll fails.
    private func wait(for fds: [Int32], events: Int16, timeout: Int32) -> [Int32]? {
        var polled = fds.map { pollfd(fd: $0, events: events, revents: 0) }
        polled.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        while true {
            let result = poll(&polled, nfds_t(polled.count), timeout)
            if result < 0, errno == EINTR { continue }
            guard result >= 0, polled[polled.count - 1].revents == 0 else { return nil }
            return polled.dropLast().filter { $0.revents != 0 }.map(\.fd)
        }
    }
}
