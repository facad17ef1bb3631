/// A domain name as raw labels (uncompressed wire format), compared ASCII case-insensitively.
///
/// Names from the network may hold any byte, so the labels stay bytes; `description` escapes every byte
/// outside letters, digits, `-`, `_` and `/` as `\DDD` (DNS presentation format), which keeps control
/// characters, shell metacharacters and non-ASCII out of terminals, logs and monitoring output.
public struct DNSName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Wire format without compression: length-prefixed labels, ending with the root's zero byte.
    public let wire: [UInt8]

    public static let maximumWireLength = 255
    public static let maximumLabelLength = 63

    /// Builds a name from labels; nil when a label is empty or longer than 63 octets or the name exceeds 255.
    public init?(labels: [some Collection<UInt8>]) {
        var wire: [UInt8] = []
        for label in labels {
            guard (1...DNSName.maximumLabelLength).contains(label.count) else { return nil }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        guard wire.count <= DNSName.maximumWireLength else { return nil }
        self.wire = wire
    }

    /// Parses a dotted name as typed by a person (`mail.example.com`, one trailing dot allowed).
    /// No escapes: configuration and command-line names are hostnames.
    public init?(_ text: some StringProtocol) {
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        guard !body.isEmpty else { return nil }
        self.init(labels: body.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) })
    }

    init(uncheckedWire: [UInt8]) {
        wire = uncheckedWire
    }

    /// The labels, most specific first.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var index = 0
        while index < wire.count, wire[index] != 0 {
            let length = Int(wire[index])
            result.append(wire[(index + 1)..<(index + 1 + length)])
            index += 1 + length
        }
        return result
    }

    /// Presentation form without the trailing dot, escaped (see the type's documentation).
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(wire.count + 8)
        appendPresentation(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `description`'s bytes (printable ASCII only) without building a String: reports write one or more
    /// names for every address of a range. Returns whether a byte was escaped (`\DDD`, the only backslashes).
    @discardableResult
    public func appendPresentation(to text: inout [UInt8]) -> Bool {
        wire.withUnsafeBufferPointer { wire in
            if DNSName.appendPlain(wire, to: &text) { return false }
            var index = 0
            while index < wire.count, wire[index] != 0 {
                if index > 0 { text.append(UInt8(ascii: ".")) }
                let end = min(index + 1 + Int(wire[index]), wire.count)
                index += 1
                // Most labels need no escape: copied at once.
                if wire[index..<end].allSatisfy(DNSName.printsUnescaped) {
                    text.append(contentsOf: UnsafeBufferPointer(rebasing: wire[index..<end]))
                    index = end
                    continue
                }
                while index < end {
                    let byte = wire[index]
                    if DNSName.printsUnescaped(byte) {
                        text.append(byte)
                    } else {
                        Escaping.appendDecimal(byte, to: &text)
                    }
                    index += 1
                }
            }
            return true
        }
    }

    /// Most names need no escape at all: copied whole, as the wire form after its first length byte with the other
    /// length bytes turned into dots (one copy per name instead of one per label: a report writes six names for
    /// each address of a range). False, with nothing appended, for a name that needs an escape.
    private static func appendPlain(_ wire: UnsafeBufferPointer<UInt8>, to text: inout [UInt8]) -> Bool {
        guard let bytes = wire.baseAddress else { return true }
        // Through the base pointer: a slice of the buffer checks its bounds at every byte.
        var index = 0
        while index < wire.count, bytes[index] != 0 {
            let end = index + 1 + Int(bytes[index])
            guard end < wire.count else { return false }
            for position in (index + 1)..<end where !printsUnescaped(bytes[position]) { return false }
            index = end
        }
        guard index > 0 else { return true }
        let start = text.count
        text.append(contentsOf: UnsafeBufferPointer(rebasing: wire[1..<index]))
        text.withUnsafeMutableBufferPointer { text in
            var label = Int(bytes[0]) + 1
            while label < index {
                text[start + label - 1] = UInt8(ascii: ".")
                label += 1 + Int(bytes[label])
            }
        }
        return true
    }

    private static func printsUnescaped(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }

    /// ASCII lowercase of the wire form: the key for comparison and hashing.
    private var folded: [UInt8] { wire.map(asciiLowercased) }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.wire.count == rhs.wire.count else { return false }
        // Names read from one reply often share storage, and most compared names have the same case.
        if lhs.wire == rhs.wire { return true }
        return lhs.wire.withUnsafeBufferPointer { left in
            rhs.wire.withUnsafeBufferPointer { right in
                for index in 0..<left.count where asciiLowercased(left[index]) != asciiLowercased(right[index]) {
                    return false
                }
                return true
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(wire.count)
        for byte in wire { hasher.combine(asciiLowercased(byte)) }
    }

    /// Orders by the lowercased presentation text, so sorted output reads alphabetically.
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool {
        let left = lhs.description.lowercased(), right = rhs.description.lowercased()
        return left != right ? left < right : lhs.wire.lexicographicallyPrecedes(rhs.wire)
    }

    /// True when this name is `other` or lies below it (`a.b.example.com` is within `example.com`).
    public func isWithin(_ other: DNSName) -> Bool {
        let mine = labels, theirs = other.labels
        guard mine.count >= theirs.count else { return false }
        return zip(mine.suffix(theirs.count), theirs).allSatisfy { a, b in
            a.count == b.count && zip(a, b).allSatisfy { asciiLowercased($0) == asciiLowercased($1) }
        }
    }

    /// The reverse-lookup name of an address: `d.c.b.a.in-addr.arpa` or 32 nibbles under `ip6.arpa`.
    public static func reverse(of address: IPAddress) -> DNSName {
        // Written in place on the stack (at most 74 bytes), then copied once into a name of exactly its size: an
        // array built with `unsafeUninitializedCapacity` looked its storage type up at run time (about 540
        // instructions an address of a range, measured with callgrind), appending byte by byte checked the array's
        // uniqueness and capacity at each.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64 + DNSName.ip6Arpa.count) { bytes in
            var count = 0
            switch address {
            case .v4(let value):
                for shift in stride(from: 0, through: 24, by: 8) {
                    let lengthAt = count
                    count += 1
                    writeDecimal(UInt8(truncatingIfNeeded: value >> UInt32(shift)), to: bytes, at: &count)
                    bytes[lengthAt] = UInt8(count - lengthAt - 1)
                }
                DNSName.append(DNSName.inAddrArpa, to: bytes, at: &count)
            case .v6(let value):
                for shift in stride(from: 0, through: 124, by: 4) {
                    let nibble = UInt8(truncatingIfNeeded: value >> UInt128(shift)) & 0xf
                    bytes[count] = 1
                    bytes[count + 1] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                    count += 2
                }
                DNSName.append(DNSName.ip6Arpa, to: bytes, at: &count)
            }
            return DNSName(uncheckedWire: Array(UnsafeBufferPointer(rebasing: bytes[..<count])))
        }
    }

    /// Copies `suffix` into `bytes` at `count`, moving `count` past it. The suffix borrowed: a local copy of the
    /// chosen one was retained and released for every name.
    private static func append(_ suffix: [UInt8], to bytes: UnsafeMutableBufferPointer<UInt8>, at count: inout Int) {
        suffix.withUnsafeBufferPointer { suffix in
            _ = UnsafeMutableBufferPointer(rebasing: bytes[count...]).initialize(fromContentsOf: suffix)
        }
        count += suffix.count
    }

    private static let inAddrArpa: [UInt8] = [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0]
    private static let ip6Arpa: [UInt8] = [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0]
}

@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
}
