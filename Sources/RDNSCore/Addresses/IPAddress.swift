/// An IPv4 or IPv6 address, compared and hashed as binary, printed in canonical form (RFC 5952 for IPv6).
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses dotted-quad IPv4 (no leading zeros, which some parsers read as octal) or IPv6 text,
    /// including `::` compression and an embedded IPv4 tail. No zone index, no brackets.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        if bytes.contains(UInt8(ascii: ":")) {
            guard let value = IPAddress.parseIPv6(bytes[...]) else { return nil }
            self = .v6(value)
        } else {
            guard let value = IPAddress.parseIPv4(bytes[...]) else { return nil }
            self = .v4(value)
        }
    }

    /// Builds an address from 4 or 16 network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16: self = .v6(bytes.reduce(0) { $0 << 8 | UInt128($1) })
        default: return nil
        }
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// Address length in bits: 32 or 128.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    public var description: String {
        switch self {
        case .v4:
            return withText { String(decoding: $0, as: UTF8.self) }
        case .v6(let value):
            return IPAddress.formatIPv6(value)
        }
    }

    /// `description`'s bytes, for as long as `body` runs; IPv4 written digit by digit on the stack, as this runs for
    /// every address of a range, several times.
    public func withText<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        switch self {
        case .v4(let value):
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: IPAddress.maximumIPv4TextLength) { buffer in
                body(UnsafeBufferPointer(rebasing: buffer[0..<IPAddress.writeIPv4Text(value, to: buffer)]))
            }
        case .v6(let value):
            var text = IPAddress.formatIPv6(value)
            return text.withUTF8(body)
        }
    }

    /// The longest text of an IPv4 address: `255.255.255.255`.
    static let maximumIPv4TextLength = 15

    /// Writes IPv4 `value`'s text into `buffer` (room for `maximumIPv4TextLength` bytes); returns its length. Also
    /// for writers that have the room in their own buffer (`OutputBytes`).
    static func writeIPv4Text(_ value: UInt32, to buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var length = 0
        writeDecimal(UInt8(truncatingIfNeeded: value >> 24), to: buffer, at: &length)
        // Three more octets, each after a dot (a loop over the shifts took half as many instructions again).
        for shift: UInt32 in [16, 8, 0] {
            buffer[length] = UInt8(ascii: ".")
            length += 1
            writeDecimal(UInt8(truncatingIfNeeded: value >> shift), to: buffer, at: &length)
        }
        return length
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }

    // MARK: - Parsing

    private static func parseIPv4(_ text: ArraySlice<UInt8>) -> UInt32? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = parseDecimalOctet(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    private static func parseDecimalOctet(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard (1...3).contains(digits.count), digits.allSatisfy(isDecimalDigit) else { return nil }
        if digits.count > 1 && digits.first == UInt8(ascii: "0") { return nil }
        let number = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return number <= 255 ? UInt8(number) : nil
    }

    private static func parseIPv6(_ text: ArraySlice<UInt8>) -> UInt128? {
        guard text.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var rest = text
        if rest.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawDoubleColon = true
            rest = rest.dropFirst(2)
        } else if rest.first == UInt8(ascii: ":") {
            return nil
        }
        while !rest.isEmpty {
            let end = rest.firstIndex(of: UInt8(ascii: ":")) ?? rest.endIndex
            let group = rest[rest.startIndex..<end]
            let isLast = end == rest.endIndex
            if isLast && group.contains(UInt8(ascii: ".")) {
                guard let v4 = parseIPv4(group) else { return nil }
                let pair = [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                if sawDoubleColon { tail += pair } else { head += pair }
            } else {
                guard (1...4).contains(group.count), let word = UInt16(hex: group) else { return nil }
                if sawDoubleColon { tail.append(word) } else { head.append(word) }
            }
            if isLast { break }
            rest = rest[(end + 1)...]
            if rest.first == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                rest = rest.dropFirst()
            } else if rest.isEmpty {
                return nil
            }
        }
        let total = head.count + tail.count
        guard sawDoubleColon ? total <= 7 : total == 8 else { return nil }
        let words = head + Array(repeating: 0, count: 8 - total) + tail
        return words.reduce(0) { $0 << 16 | UInt128($1) }
    }

    // MARK: - RFC 5952 formatting

    /// Parses only text in the form `description` gives, or in the all-hexadecimal form rdnscheck 0.1 gave
    /// addresses with an IPv4 tail (`::ffff:a00:1`, now `::ffff:10.0.0.1`), so that state files it wrote still load.
    public init?(canonical text: String) {
        guard let address = IPAddress(text) else { return nil }
        switch address {
        case .v4: guard address.description == text else { return nil }
        case .v6(let value):
            let hexadecimal = IPAddress.compressedWords((0..<8).map { IPAddress.word($0, of: value) })
            guard address.description == text || hexadecimal == text else { return nil }
        }
        self = address
    }

    /// RFC 5952 §5: an address whose prefix alone says that an IPv4 address fills its last 32 bits ends in dotted
    /// decimal. Those prefixes: IPv4-mapped `::ffff:0:0/96` (RFC 4291 2.5.5.2), IPv4-translated `::ffff:0:0:0/96`
    /// (RFC 2765, which §5 names) and the NAT64 well-known prefix `64:ff9b::/96` (RFC 6052 2.4 writes
    /// `64:ff9b::192.0.2.33`). Not the deprecated IPv4-compatible `::/96`: `::` and `::1` are in it, so its
    /// prefix alone does not tell.
    private static func formatIPv6(_ value: UInt128) -> String {
        let words = (0..<8).map { word($0, of: value) }
        let prefix = value >> 32
        guard prefix == 0xffff || prefix == 0xffff_0000 || prefix == 0x64_ff9b << 64 else {
            return compressedWords(words)
        }
        let head = compressedWords(Array(words[0..<6]))
        return head + (head.hasSuffix("::") ? "" : ":") + IPAddress.v4(UInt32(truncatingIfNeeded: value)).description
    }

    private static func word(_ index: Int, of value: UInt128) -> UInt16 {
        UInt16(truncatingIfNeeded: value >> (112 - 16 * UInt128(index)))
    }

    /// The words in hexadecimal, the longest run of two or more zero words as "::" (the first such run on a tie).
    private static func compressedWords(_ words: [UInt16]) -> String {
        var best = (start: -1, length: 0)
        var index = 0
        while index < words.count {
            guard words[index] == 0 else { index += 1; continue }
            let start = index
            while index < words.count && words[index] == 0 { index += 1 }
            if index - start > best.length { best = (start, index - start) }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(words[$0], radix: 16) }.joined(separator: ":")
        }
        guard best.length >= 2 else { return hex(0..<words.count) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<words.count)
    }
}

/// Writes `octet` in decimal, 1 to 3 digits, into `buffer` from `index` on, moving `index` past them: an IPv4
/// address's text and the labels of its reverse name, written for every address of a range.
@inline(__always)
func writeDecimal(_ octet: UInt8, to buffer: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
    if octet >= 100 {
        buffer[index] = UInt8(ascii: "0") + octet / 100
        index += 1
    }
    if octet >= 10 {
        buffer[index] = UInt8(ascii: "0") + octet / 10 % 10
        index += 1
    }
    buffer[index] = UInt8(ascii: "0") + octet % 10
    index += 1
}

/// An ASCII digit 0-9 (parsers of numbers in text: addresses, prefixes, HTTP).
public func isDecimalDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}

extension UInt16 {
    /// Parses 1 to 4 hexadecimal digits.
    init?(hex digits: ArraySlice<UInt8>) {
        var value: UInt16 = 0
        for byte in digits {
            guard let digit = hexDigitValue(byte) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        self = value
    }
}

/// The value of an ASCII hexadecimal digit, either case.
public func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
