import RDNSCore

/// Where an HTTP server listens: `http://` with an IPv4 literal or a bracketed IPv6 literal, and a port (80 unless
/// given). No host names: the metadata service is a literal address in practice, and a name would need a lookup
/// through the very resolver rdnscheck distrusts on such hosts. No `https`, user, path, query or fragment.
public struct HTTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let address: IPAddress
    public let port: UInt16

    public init(address: IPAddress, port: UInt16 = 80) {
        self.address = address
        self.port = port
    }

    /// Parses `http://ADDRESS[:PORT][/]`; the error says what is wrong with `text`.
    public init(parsing text: String) throws(HTTPEndpointError) {
        func fail(_ reason: String) -> HTTPEndpointError {
            HTTPEndpointError("'\(text)' is not an endpoint of the form http://ADDRESS[:PORT]: \(reason)")
        }
        guard text.hasPrefix("http://") else {
            throw fail(text.contains("://") ? "only http:// is supported" : "it does not start with http://")
        }
        var rest = Substring(text.dropFirst("http://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains(where: { "/?#@".contains($0) }) else {
            throw fail("it has a path, query or user part")
        }
        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("the '[' of the IPv6 address is not closed") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("unexpected text after the ']'") }
                portText = after.dropFirst()
            }
            guard host.contains(":"), let address = IPAddress(host) else {
                throw fail("'\(host)' is not an IPv6 address")
            }
            self.address = address
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail("an IPv6 address must be in brackets") }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            guard let address = IPAddress(host), address.isIPv4 else {
                throw fail(host.isEmpty ? "no address" : "'\(host)' is not an IPv4 address (no host names)")
            }
            self.address = address
        }
        if let portText {
            guard (1...5).contains(portText.count), portText.utf8.allSatisfy(isDecimalDigit),
                  let port = UInt16(portText), port > 0 else {
                throw fail("'\(portText)' is not a port number from 1 to 65535")
            }
            self.port = port
        } else {
            self.port = 80
        }
    }

    /// `http://169.254.169.254`, `http://[fd00:ec2::254]:8080`: the port only when it is not 80.
    public var description: String {
        let host = address.isIPv4 ? address.description : "[\(address)]"
        return "http://\(host)" + (port == 80 ? "" : ":\(port)")
    }

    /// The `Host:` header's value.
    var hostHeader: String {
        let host = address.isIPv4 ? address.description : "[\(address)]"
        return port == 80 ? host : "\(host):\(port)"
    }
}

/// A malformed endpoint, with a message naming it and what is wrong.
public struct HTTPEndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
