/// A domain name as raw label bytes, so tests can serve hostile names that no zone file or text parser
/// would accept: control bytes, spaces, dots inside a label, `$(...)`, backticks, `;`, non-ASCII bytes,
/// 63-octet labels.
///
/// Write ordinary names as string literals (`"mail.example.test"`); build hostile ones with
/// `FaultName(labels:)`, for example `FaultName(labels: [Array("a.b".utf8), Array("example".utf8)])`
/// is a two-label name whose first label contains a dot.
public struct FaultName: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The labels, most specific first, without the empty root label.
    public var labels: [[UInt8]]

    /// A name from raw labels. Empty labels are skipped when encoding; labels over 63 octets are cut to
    /// 63 because the wire format cannot express them.
    public init(labels: [[UInt8]]) {
        self.labels = labels
    }

    /// A name from dotted text, for example "mail.example.test" or "mail.example.test." (same name).
    public init(_ dotted: String) {
        labels = DNSWire.labels(dotted: dotted)
    }

    /// A name from a dotted string literal, as `init(_:)`.
    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// Dotted presentation form with a trailing dot, for messages. Bytes that are not printable ASCII,
    /// and dots and backslashes inside a label, are shown as `\DDD` (decimal) so nothing is ambiguous.
    public var description: String {
        labels.map { label in
            label.map { byte in
                let plain = (0x21 ... 0x7E).contains(byte) && byte != 0x2E && byte != 0x5C
                if plain { return String(UnicodeScalar(byte)) }
                let digits = String(byte)
                return "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }.joined()
        }.joined(separator: ".") + "."
    }
}
