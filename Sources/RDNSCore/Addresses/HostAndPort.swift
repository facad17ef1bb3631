/// An address and an optional port as text: `192.0.2.53`, `192.0.2.53:5300`, `[2001:db8::53]`,
/// `[2001:db8::53]:5300`, and, where `bareIPv6` allows it, `2001:db8::53` (a nameserver may be written so; a URL's
/// host needs the brackets). The one parser of such text, for `Nameserver` and the metadata endpoint
/// (`HTTPEndpoint`), each of which words its own errors.
public struct HostAndPort: Sendable, Equatable {
    public let address: IPAddress
    /// Nil when the text gives none.
    public let port: UInt16?

    /// What is wrong with the text.
    public enum ParseError: Error, Equatable, Sendable {
        case unclosedBracket
        case textAfterBracket
        /// The text in brackets, which is not an IPv6 address.
        case notIPv6(String)
        /// An IPv6 address without brackets where they are required.
        case unbracketedIPv6
        /// The host text, which is not an address (empty, a name, a malformed address).
        case notAnAddress(String)
        /// The port text, which is not a number from 1 to 65535 written plainly.
        case badPort(String)
    }

    public init(parsing text: Substring, bareIPv6: Bool) throws(ParseError) {
        var host = text
        var portText: Substring? = nil
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .unclosedBracket }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .textAfterBracket }
                portText = after.dropFirst()
            }
            guard host.contains(":"), let address = IPAddress(host) else { throw .notIPv6(String(host)) }
            self.address = address
        } else {
            let colons = host.count { $0 == ":" }
            if colons == 1, let colon = host.firstIndex(of: ":") {
                portText = host[host.index(after: colon)...]
                host = host[..<colon]
            } else if colons > 1 && !bareIPv6 {
                throw .unbracketedIPv6
            }
            guard let address = IPAddress(host) else { throw .notAnAddress(String(host)) }
            self.address = address
        }
        guard let portText else {
            port = nil
            return
        }
        guard let value = plainNumber(String(portText)), let port = UInt16(exactly: value), port > 0 else {
            throw .badPort(String(portText))
        }
        self.port = port
    }
}
