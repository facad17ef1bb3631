/// What receivers accept as a hostname in a PTR record (RFC 952/1123, with the underscore that real PTR
/// data contains): labels of letters, digits, hyphen and underscore, 1-63 octets, not starting or ending
/// with a hyphen; at most 253 characters; not made of digits and dots only (that looks like an address).
public enum HostnameRules {
    /// Nil when `name` is a valid hostname, otherwise the reason it is not.
    public static func violation(in name: DNSName) -> String? {
        let labels = name.labels
        guard !labels.isEmpty else { return "it is the root name" }
        let textLength = labels.reduce(labels.count - 1) { $0 + $1.count }
        guard textLength <= 253 else { return "it is \(textLength) characters long (the limit is 253)" }
        for label in labels {
            guard label.count <= 63 else { return "a label is longer than 63 characters" }
            guard label.allSatisfy(isHostnameByte) else { return "a label holds a character other than a-z, 0-9, - and _" }
            if label.first == UInt8(ascii: "-") { return "a label starts with a hyphen" }
            if label.last == UInt8(ascii: "-") { return "a label ends with a hyphen" }
        }
        if labels.allSatisfy({ $0.allSatisfy(isDecimalDigit) }) {
            return "it is made of digits and dots only"
        }
        return nil
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
