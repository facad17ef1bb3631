import Glibc

/// Loopback-only socket helpers for the test servers. Every socket is close-on-exec, so a process a test
/// spawns (nsd, rdnscheck) never inherits one and keeps a port busy after the server stopped.
public enum Loopback {
    /// The address every test server binds and every test resolver asks.
    public static let ipv4Address = "127.0.0.1"

    enum Family {
        case ipv4
        case ipv6
    }

    /// UDP and TCP sockets bound to the same port on 127.0.0.1 and, optionally, ::1.
    struct PortSockets {
        var port: UInt16
        /// (family, isTCP, fd) for every bound socket.
        var sockets: [(family: Family, tcp: Bool, fd: Int32)]

        func closeAll() {
            for socket in sockets { _ = Glibc.close(socket.fd) }
        }
    }

    /// Whether ::1 can be bound here (containers often run with IPv6 disabled).
    public static var hasIPv6: Bool {
        guard let fd = try? makeSocket(.ipv6, tcp: false) else { return false }
        defer { _ = Glibc.close(fd) }
        return bind(fd, .ipv6, port: 0) == 0
    }

    /// Binds UDP and TCP on one free high port on 127.0.0.1 (and ::1), letting the kernel pick the port
    /// for the first socket and retrying when another process already holds it for the others.
    static func bindPortSockets(ipv6: Bool, attempts: Int = 50) throws -> PortSockets {
        let wanted: [(Family, Bool)] = [(.ipv4, false), (.ipv4, true)] + (ipv6 ? [(.ipv6, false), (.ipv6, true)] : [])
        for _ in 0 ..< attempts {
            var bound = PortSockets(port: 0, sockets: [])
            var clash = false
            for (family, tcp) in wanted {
                let fd = try makeSocket(family, tcp: tcp)
                let error = bind(fd, family, port: bound.port)
                if error == EADDRINUSE {
                    _ = Glibc.close(fd)
                    clash = true
                    break
                }
                guard error == 0 else {
                    _ = Glibc.close(fd)
                    bound.closeAll()
                    throw TestSupportError("cannot bind \(family) loopback: \(String(cString: strerror(error)))")
                }
                if bound.port == 0 { bound.port = localPort(fd) }
                bound.sockets.append((family, tcp, fd))
            }
            if !clash { return bound }
            bound.closeAll()
        }
        throw TestSupportError("no free loopback port for UDP and TCP after \(attempts) attempts")
    }

    static func makeSocket(_ family: Family, tcp: Bool) throws -> Int32 {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let kind = Int32((tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(domain, kind, 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        if family == .ipv6 {
            // Separate v4 and v6 sockets on the same port, as nsd does, instead of a dual-stack one.
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if tcp {
            // Lets a restarted server rebind while old connections sit in TIME_WAIT.
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        return fd
    }

    /// Binds to the loopback address of the family; returns 0 or the errno.
    static func bind(_ fd: Int32, _ family: Family, port: UInt16) -> Int32 {
        let result = withAddress(family, port: port) { Glibc.bind(fd, $0, $1) }
        return result == 0 ? 0 : errno
    }

    static func connect(_ fd: Int32, _ family: Family, port: UInt16) -> Bool {
        withAddress(family, port: port) { Glibc.connect(fd, $0, $1) } == 0
    }

    static func localPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset, right after the family.
        return withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    static func withAddress<R>(_ family: Family, port: UInt16,
                               _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch family {
        case .ipv4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, "::1", &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}
