/// Every escaping of DNS-supplied and user-supplied text on its way to an output, in one place. Three formats, each
/// a different contract and written once:
///
/// - `\DDD` (DNS presentation format, RFC 1035 5.1): a byte as a backslash and three decimal digits. Names print
///   every byte outside letters, digits, `-`, `_` and `/` so; log and error lines their control characters; drift
///   values every byte outside printable ASCII. The text stays printable and one line, whatever DNS sent.
/// - JSON string literals (RFC 8259): the JSON report and the state file.
/// - Prometheus label values (text exposition format): the metrics textfile.
///
/// The Nagios plugin output's one rule (no `|`, which starts performance data) is here too.
public enum Escaping {
    // MARK: \DDD

    /// Appends `byte` as `\DDD`.
    @inline(__always)
    public static func appendDecimal(_ byte: UInt8, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\\"))
        text.append(UInt8(ascii: "0") + byte / 100)
        text.append(UInt8(ascii: "0") + byte / 10 % 10)
        text.append(UInt8(ascii: "0") + byte % 10)
    }

    /// `text` with every UTF-8 byte for which `printable` is false as `\DDD`.
    public static func decimal(_ text: String, keeping printable: (UInt8) -> Bool) -> String {
        guard !text.utf8.allSatisfy(printable) else { return text }
        var out: [UInt8] = []
        for byte in text.utf8 {
            if printable(byte) { out.append(byte) } else { appendDecimal(byte, to: &out) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Text that is always exactly one line, what the log and the command's error lines print: control characters
    /// as `\DDD` (one per UTF-8 byte), so one message is one line and cannot drive a terminal: C0 (newlines
    /// included), DEL, C1 (U+0080-U+009F: a lone U+009B is a terminal's CSI) and the Unicode line and paragraph
    /// separators.
    public static func oneLine(_ message: String) -> String {
        guard message.unicodeScalars.contains(where: isControl) else { return message }
        var out: [UInt8] = []
        for scalar in message.unicodeScalars {
            if isControl(scalar) {
                for byte in String(scalar).utf8 { appendDecimal(byte, to: &out) }
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    // MARK: JSON

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func jsonString(_ text: String) -> String {
        if needsNoJSONEscape(text) { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f || (0x2028...0x2029).contains(scalar.value):
                out += "\\u" + String(String(scalar.value + 0x10000, radix: 16).dropFirst())
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Appends `jsonString(text)` without its quotes (the inside of a string literal that also holds other parts),
    /// building no String when nothing needs escaping: reports write a few reasons for every address of a range.
    public static func appendJSONContent(_ text: String, to bytes: inout [UInt8]) {
        if needsNoJSONEscape(text) {
            bytes.append(contentsOf: text.utf8)
        } else {
            bytes.append(contentsOf: jsonString(text).utf8.dropFirst().dropLast())
        }
    }

    /// Most strings (addresses, words, plain host names) need no escape at all.
    private static func needsNoJSONEscape(_ text: String) -> Bool {
        // Over the contiguous bytes where the string has them (native strings do): iterating the UTF-8 view byte
        // by byte was a twentieth of a /16's JSON report.
        let plain = { (byte: UInt8) in
            byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
        }
        return text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(plain) } ?? text.utf8.allSatisfy(plain)
    }

    /// Appends the inside of `name`'s JSON string literal without building a String (reports write one or more
    /// names for every address of a range). Its presentation form is printable ASCII with no quote; of it only the
    /// backslashes of `\DDD` need escaping.
    public static func appendJSONContent(_ name: DNSName, to bytes: inout [UInt8]) {
        let start = bytes.count
        if name.appendPresentation(to: &bytes) && bytes[start...].contains(UInt8(ascii: "\\")) {
            var escaped: [UInt8] = []
            for byte in bytes[start...] {
                if byte == UInt8(ascii: "\\") { escaped.append(byte) }
                escaped.append(byte)
            }
            bytes.replaceSubrange(start..., with: escaped)
        }
    }

    // MARK: Prometheus

    /// A label value escaped as the text exposition format requires: backslash, double quote and line feed.
    public static func prometheusLabelValue(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// `text` as a JSON string literal for an error or log message: at most 64 characters, and every scalar
    /// outside ASCII escaped as `\uXXXX`, so a hostile key can neither flood nor split a log line. All ASCII, its
    /// cut marker too: a state file error is one line of printable ASCII.
    public static func jsonExcerpt(_ text: String) -> String {
        excerpt(text, limit: 64, marker: "...") { part in
            var out = "\""
            for scalar in part.unicodeScalars {
                if scalar.isASCII {
                    out += jsonString(String(scalar)).dropFirst().dropLast()
                } else {
                    for unit in String(scalar).utf16 {
                        out += "\\u" + String(String(Int(unit) + 0x10000, radix: 16).dropFirst())
                    }
                }
            }
            return out + "\""
        }
    }

    // MARK: Excerpts

    /// What a message shows of text that may be long or hostile (AWS's words, a command's error line, a server's
    /// answer): its first `limit` Unicode scalars, escaped by `escape`, then `marker` when there was more. Cut
    /// before escaping, so that no escape is split, and by scalars, so that one character with endless combining
    /// marks cannot get past the limit.
    public static func excerpt(_ text: String, limit: Int, marker: String = "…",
                               escape: (String) -> String = oneLine) -> String {
        let scalars = text.unicodeScalars
        guard let end = scalars.index(scalars.startIndex, offsetBy: limit, limitedBy: scalars.endIndex),
              end != scalars.endIndex else { return escape(text) }
        return escape(String(scalars[..<end])) + marker
    }

    // MARK: Nagios

    /// `text` with every `|` as `/`: in a plugin's output a `|` would start performance data.
    public static func withoutPipes(_ text: String) -> String {
        text.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "/")
    }
}
