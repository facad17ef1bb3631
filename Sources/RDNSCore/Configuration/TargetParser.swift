/// Turns `ADDRESS`, `CIDR` and (on the command line) `ADDRESS=NAME` into check targets.
public enum TargetParser {
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        case range(AddressRange.ParseError)
        case nameOnRange(String)
        case invalidName(String)

        public var description: String {
            switch self {
            case .malformed(let text): "'\(text)' is not an IPv4 or IPv6 address or range"
            case .range(let error): error.description
            case .nameOnRange(let text): "'\(text)': an expected name applies to one address, not to a range"
            case .invalidName(let text): "expected name '\(text)' is not a valid hostname"
            }
        }
    }

    /// Parses one address or range, with an optional expected PTR name for a single address.
    public static func parse(_ text: String, expectedName: DNSName? = nil) -> Result<CheckTargets, ParseError> {
        if text.contains("/") {
            guard expectedName == nil else { return .failure(.nameOnRange(text)) }
            do {
                return .success(CheckTargets(try AddressRange(parsing: text)))
            } catch {
                return .failure(.range(error))
            }
        }
        guard let address = IPAddress(text) else { return .failure(.malformed(text)) }
        return .success(CheckTargets(CheckTarget(address, expectedName: expectedName)))
    }

    /// Parses a command-line argument: `ADDRESS`, `ADDRESS=NAME` or `CIDR`.
    public static func parseArgument(_ text: String) -> Result<CheckTargets, ParseError> {
        guard let equals = text.firstIndex(of: "=") else { return parse(text) }
        let nameText = String(text[text.index(after: equals)...])
        guard let name = DNSName(nameText), HostnameRules.violation(in: name) == nil else {
            return .failure(.invalidName(nameText))
        }
        return parse(String(text[..<equals]), expectedName: name)
    }
}
