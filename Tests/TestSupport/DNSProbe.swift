import Glibc

/// Sends one raw query over UDP to a loopback server and waits briefly for the reply: how `NSDServer`
/// learns that nsd really answers, without depending on dig or on the product's resolver.
enum DNSProbe {
    /// The reply's RCODE and whether AA was set, or nil if nothing (matching) arrived in time.
    static func query(_ name: String, type: UInt16, port: UInt16, family: Loopback.Family = .ipv4,
                      timeoutMilliseconds: Int32 = 250) -> (rcode: UInt8, authoritative: Bool)? {
        guard let fd = try? Loopback.makeSocket(family, tcp: false) else { return nil }
        defer { _ = close(fd) }
        // A connected socket only receives from that server, and reports "port unreachable" quickly.
        guard Loopback.connect(fd, family, port: port) else { return nil }
        let id = UInt16.random(in: 1 ... UInt16.max)
        let message = DNSWire.query(id: id, name: DNSWire.labels(dotted: name), type: type)
        guard send(fd, message, message.count, 0) == message.count else { return nil }
        var reply = [UInt8](repeating: 0, count: 4096)
        var polled = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&polled, 1, timeoutMilliseconds) == 1 else { return nil }
        let count = recv(fd, &reply, reply.count, Int32(MSG_DONTWAIT))
        guard count >= DNSWire.headerSize, DNSWire.uint16(reply, at: 0) == id, reply[2] & 0x80 != 0 else {
            return nil
        }
        return (reply[3] & 0x0F, reply[2] & 0x04 != 0)
    }
}
