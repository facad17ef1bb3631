import Foundation
import Glibc

/// A small DNS server of our own for fault tests: it answers every query on 127.0.0.1 (and optionally
/// ::1), UDP and TCP on the same free port, with the behaviour chosen for the query name. Unlike nsd it
/// can serve hostile names, broken messages, truncation, resets and silence.
///
///     let server = try FaultServer(rules: [
///         FaultServer.reverseName(ipv4: "192.0.2.1"): .answer([.ptr("host.example.test")]),
///         "host.example.test": .answer([.a("192.0.2.1")]),
///     ])
///     defer { server.stop() }
///
/// Rule keys are names in any case, with or without the trailing dot. Queries are matched on the name
/// ASCII-lowercased with labels joined by "." (so a label that contains a dot cannot be told apart from
/// two labels, and non-UTF-8 bytes become U+FFFD in the key).
public final class FaultServer: Sendable {
    /// The port the server listens on, UDP and TCP, on every address it serves.
    public let port: UInt16
    /// Whether the server also listens on ::1.
    public let servesIPv6: Bool
    private let core: FaultServerCore

    /// Starts serving at once. `ipv6: true` also binds ::1 (and throws if this host has no IPv6
    /// loopback; check `Loopback.hasIPv6` first to skip such tests).
    public init(rules: [String: FaultBehaviour], defaultBehaviour: FaultBehaviour = .rcode(5),
                ipv6: Bool = false) throws {
        let sockets = try Loopback.bindPortSockets(ipv6: ipv6)
        for socket in sockets.sockets where socket.tcp {
            guard listen(socket.fd, 64) == 0 else {
                sockets.closeAll()
                throw TestSupportError("listen() failed: \(String(cString: strerror(errno)))")
            }
        }
        var keyed: [String: FaultBehaviour] = [:]
        for (name, behaviour) in rules { keyed[Self.key(name)] = behaviour }
        core = try FaultServerCore(sockets: sockets, rules: keyed, defaultBehaviour: defaultBehaviour)
        port = sockets.port
        servesIPv6 = ipv6
        core.start()
    }

    deinit {
        core.stop()
    }

    /// Stops answering, closes every socket and waits for the server threads to finish. Idempotent.
    public func stop() {
        core.stop()
    }

    /// How many well-formed queries arrived for a name (any case, trailing dot optional), UDP and TCP.
    public func queryCount(for name: String) -> Int {
        core.queryCount(for: Self.key(name))
    }

    /// Every well-formed query received so far, in arrival order.
    public var queries: [FaultQuery] {
        core.queryLog
    }

    /// Empties the list `queries` returns (the per-name counts that `queryCount(for:)` and `.sequence` use stay),
    /// so a long-running test does not grow its own memory with every query it makes.
    public func clearQueryLog() {
        core.clearLog()
    }

    /// Replaces (or with nil removes) the rule for a name while the server runs.
    public func setBehaviour(_ behaviour: FaultBehaviour?, for name: String) {
        core.setRule(behaviour, for: Self.key(name))
    }

    /// The reverse-lookup name of an IPv4 address: "1.2.3.4" gives "4.3.2.1.in-addr.arpa".
    public static func reverseName(ipv4: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 4)
        precondition(inet_pton(AF_INET, ipv4, &bytes) == 1, "'\(ipv4)' is not an IPv4 address")
        return bytes.reversed().map { String($0) }.joined(separator: ".") + ".in-addr.arpa"
    }

    /// The reverse-lookup name of an IPv6 address in nibble format (RFC 3596), under ip6.arpa.
    public static func reverseName(ipv6: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        precondition(inet_pton(AF_INET6, ipv6, &bytes) == 1, "'\(ipv6)' is not an IPv6 address")
        let nibbles = bytes.flatMap { [$0 >> 4, $0 & 0x0F] }
        return nibbles.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
    }

    /// The rule key of a dotted name: ASCII-lowercased, no trailing dot.
    static func key(_ name: String) -> String {
        key(labels: DNSWire.labels(dotted: name))
    }

    /// The rule key of a name on the wire. Lowercases ASCII only, as DNS compares names (RFC 4343).
    static func key(labels: [[UInt8]]) -> String {
        labels.map { label in
            String(decoding: label.map { (0x41 ... 0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        }.joined(separator: ".")
    }
}
