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
        do {
            let parsed = try HostAndPort(parsing: rest, bareIPv6: false)
            address = parsed.address
            port = parsed.port ?? 80
        } catch {
            let reason = switch error {
            case .unclosedBracket: "the '[' of the IPv6 address is not closed"
            case .textAfterBracket: "unexpected text after the ']'"
            case .notIPv6(let host): "'\(host)' is not an IPv6 address"
            case .unbracketedIPv6: "an IPv6 address must be in brackets"
            case .notAnAddress(let host):
                host.isEmpty ? "no address" : "'\(host)' is not an IPv4 address (no host names)"
            case .badPort(let port): "'\(port)' is not a port number from 1 to 65535"
            }
            throw fail(reason)
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
