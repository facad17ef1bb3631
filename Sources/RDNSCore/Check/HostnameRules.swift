/// What receivers accept as a hostname in a PTR record (RFC 952/1123, with the underscore that real PTR
/// data contains): labels of letters, digits, hyphen and underscore, 1-63 octets, not starting or ending
/// with a hyphen; at most 253 characters; not made of digits and dots only (that looks like an address).
public enum HostnameRules {
    /// Nil when `name` is a valid hostname, otherwise the reason it is not.
    public static func violation(in name: DNSName) -> String? {
        // Walks the wire form in place: this runs for every PTR name of a range.
        name.wire.withUnsafeBufferPointer { wire in
            guard wire.count > 1, wire[0] != 0 else { return "it is the root name" }
            let textLength = wire.count - 2  // the labels, and a dot between each two
            guard textLength <= 253 else { return "it is \(textLength) characters long (the limit is 253)" }
            var digitsOnly = true
            var index = 0
            while index < wire.count, wire[index] != 0 {
                let start = index + 1, end = min(index + 1 + Int(wire[index]), wire.count)
                guard start < end else { break }  // a cut label: names are built whole, but never read past them
                guard end - start <= 63 else { return "a label is longer than 63 characters" }
                // Each question in a loop of its own: one loop asking both took about 17 instructions a letter,
                // these 12.
                let label = UnsafeBufferPointer(rebasing: wire[start..<end])
                guard label.allSatisfy(isHostnameByte) else {
                    return "a label holds a character other than a-z, 0-9, - and _"
                }
                if label[0] == UInt8(ascii: "-") { return "a label starts with a hyphen" }
                if label[label.count - 1] == UInt8(ascii: "-") { return "a label ends with a hyphen" }
                // Mostly settled by the first byte of the first label.
                if digitsOnly { digitsOnly = label.allSatisfy(isDecimalDigit) }
                index = end
            }
            return digitsOnly ? "it is made of digits and dots only" : nil
        }
    }

    /// Whether glibc keeps `name` from a PTR answer (glibc 2.36 `__res_binary_hnok`): every byte a letter, digit,
    /// hyphen or underscore, the first label not starting with a hyphen. A name it drops (one with a space, say) is
    /// never seen by a program that asks `getnameinfo`, Postfix included; a name it keeps may still be one
    /// `violation(in:)` refuses (made of digits and dots only, a label ending with a hyphen).
    public static func glibcKeeps(_ name: DNSName) -> Bool {
        name.wire.withUnsafeBufferPointer { wire in
            if wire.count > 1, wire[0] > 0, wire[1] == UInt8(ascii: "-") { return false }
            var index = 0
            while index < wire.count, wire[index] != 0 {
                let start = index + 1, end = min(index + 1 + Int(wire[index]), wire.count)
                guard start < end else { break }  // as in `violation(in:)`
                if !wire[start..<end].allSatisfy(isHostnameByte) { return false }
                index = end
            }
            return true
        }
    }

    private static func isHostnameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
