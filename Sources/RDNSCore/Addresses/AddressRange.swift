/// A CIDR range such as `203.0.113.0/24` or `2001:db8::/120`: every address in it, network and broadcast included,
/// in order. A collection computed from the network and the prefix: a /16 costs no memory per address.
public struct AddressRange: Hashable, Sendable, RandomAccessCollection, CustomStringConvertible {
    /// The most addresses one range may hold: an IPv4 /16 or an IPv6 /112.
    public static let maximumSize = 65_536

    public let network: IPAddress
    public let prefixLength: Int

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformedAddress(String)
        case malformedPrefix(String)
        case hostBitsSet(given: String, network: String)
        case tooLarge(String, addresses: String)

        public var description: String {
            switch self {
            case .malformedAddress(let text): "'\(text)' is not an IPv4 or IPv6 address"
            case .malformedPrefix(let text): "'\(text)' has no valid prefix length"
            case .hostBitsSet(let given, let network): "'\(given)' has host bits set; did you mean \(network)?"
            case .tooLarge(let text, let count):
                "'\(text)' holds \(count) addresses; one range may hold at most 65536 (an IPv4 /16 or an IPv6 /112)"
            }
        }
    }

    /// Parses `ADDRESS/PREFIX`. Host bits must be zero, so a typo cannot silently check a different range.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { throw .malformedAddress(text) }
        guard parts.count == 2 else { throw .malformedPrefix(text) }
        let digits = parts[1]
        guard (1...3).contains(digits.count), digits.utf8.allSatisfy(isDecimalDigit),
              let prefix = Int(digits), prefix <= address.bitWidth,
              digits == "0" || digits.first != "0" else { throw .malformedPrefix(text) }
        let network = AddressRange.mask(address, prefix: prefix)
        guard network == address else {
            throw .hostBitsSet(given: text, network: "\(network)/\(prefix)")
        }
        let hostBits = address.bitWidth - prefix
        guard hostBits <= 16 else {
            throw .tooLarge(text, addresses: hostBits >= 64 ? "2^\(hostBits)" : String(UInt64(1) << hostBits))
        }
        self.network = network
        self.prefixLength = prefix
    }

    /// The range of `prefixLength` bits that holds `address`; `prefixLength` at most the address's width, and
    /// leaving at most 16 host bits.
    init(containing address: IPAddress, prefixLength: Int) {
        precondition(prefixLength <= address.bitWidth && address.bitWidth - prefixLength <= 16)
        network = AddressRange.mask(address, prefix: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Number of addresses in the range (at most `maximumSize`).
    public var count: Int { 1 << (network.bitWidth - prefixLength) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// The address `offset` places after the network address.
    public subscript(offset: Int) -> IPAddress {
        precondition(offset >= 0 && offset < count, "address offset out of the range")
        return switch network {
        case .v4(let base): .v4(base + UInt32(offset))
        case .v6(let base): .v6(base + UInt128(offset))
        }
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.isIPv4 == network.isIPv4 && AddressRange.mask(address, prefix: prefixLength) == network
    }

    public var description: String { "\(network)/\(prefixLength)" }

    private static func mask(_ address: IPAddress, prefix: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            return .v4(prefix == 0 ? 0 : value & ~UInt32(0) << UInt32(32 - prefix))
        case .v6(let value):
            return .v6(prefix == 0 ? 0 : value & ~UInt128(0) << UInt128(128 - prefix))
        }
    }
}
