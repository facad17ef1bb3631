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
            guard var action = handle(query, transport: .tcp) else { continue }
            while case .later(let seconds, let inner) = action {
                guard wait(for: [], events: 0, timeout: Int32(clamping: Int(seconds * 1000))) != nil else { return }
                action = inner
            }
            switch action {
            case .reply(let bytes):
                let body = bytes.prefix(65_535)
                guard send(fd, [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body) else { return }
            case .silence:
                holdOpen(fd)
                return
            case .reset:
                reset = true
                return
            case .later:
                return  // unreachable: unwrapped above
            }
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
