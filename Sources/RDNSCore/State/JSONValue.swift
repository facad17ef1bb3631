/// A JSON value (RFC 8259), with a strict parser and a serializer.
///
/// The parser reads files that anyone with write access to the state directory can corrupt, so it accepts
/// exactly RFC 8259 and nothing more: no comments, no trailing commas, no byte order mark, no duplicate keys
/// (compared as Swift strings, so canonically equivalent keys are duplicates too), no unescaped control
/// characters, no invalid UTF-8, no lone surrogates. Nesting and size are limited, and
/// every failure is a thrown `JSONParseError` with the byte offset, never a trap.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number; always finite when parsed.
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// Members in document order; equality is order-sensitive.
    case object([Member])

    /// One `"key": value` pair of an object.
    public struct Member: Equatable, Sendable {
        public let key: String
        public let value: JSONValue

        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Deep enough for any document rdnscheck writes, shallow enough that the recursive parser cannot
    /// exhaust the stack.
    public static let defaultMaximumDepth = 64
    /// Larger than any changes array or report; the state file passes its own, larger limit.
    public static let defaultMaximumBytes = 16 * 1024 * 1024

    /// Parses one JSON text (UTF-8 bytes). `maximumDepth` counts nested arrays and objects; the parser recurses
    /// once per level, so keep it in the hundreds at most.
    public static func parse(_ bytes: some Collection<UInt8>, maximumBytes: Int = defaultMaximumBytes,
                             maximumDepth: Int = defaultMaximumDepth) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= maximumBytes else {
            throw JSONParseError(offset: maximumBytes, reason: "input longer than \(maximumBytes) bytes")
        }
        var parser = JSONParser(bytes: Array(bytes), maximumDepth: maximumDepth)
        return try parser.parseDocument()
    }

    /// Compact JSON text on one line, with `", "` and `": "` separators as in SPEC.md's examples. Strings are
    /// escaped as in `JSONReport.quoted`; a non-finite double (which the parser never produces) becomes `null`.
    public var jsonText: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .double(let value): value.isFinite ? value.description : "null"
        case .string(let text): JSONReport.quoted(text)
        case .array(let values): "[" + values.map(\.jsonText).joined(separator: ", ") + "]"
        case .object(let members):
            "{" + members.map { JSONReport.quoted($0.key) + ": " + $0.value.jsonText }.joined(separator: ", ") + "}"
        }
    }
}

/// Why a JSON text was rejected, and where.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Zero-based byte offset of the offending input.
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// `byte 17: expected ':' after an object key`.
    public var description: String { "byte \(offset): \(reason)" }
}

/// A recursive-descent parser over the whole input; depth is checked before every recursion.
private struct JSONParser {
    let bytes: [UInt8]
    let maximumDepth: Int
    var index = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected \(describeByte()) after the JSON value") }
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected \(describeByte()), expected a value")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
        index += 1
        var members: [JSONValue.Member] = []
        var keys: Set<String> = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string key, found \(describeByte())") }
            let keyOffset = index
            let key = try parseString()
            // Two values for one key would let a reader and a writer disagree about the document.
            guard keys.insert(key).inserted else {
                throw JSONParseError(offset: keyOffset, reason: "duplicate key \(quotedExcerpt(key))")
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw failure("expected ':' after an object key, found \(describeByte())")
            }
            index += 1
            skipWhitespace()
            members.append(JSONValue.Member(key, try parseValue(depth: depth)))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw failure("expected ',' or '}' in an object, found \(describeByte())")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
        index += 1
        var values: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return .array(values)
        }
        while true {
            skipWhitespace()
            values.append(try parseValue(depth: depth))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(values)
            default: throw failure("expected ',' or ']' in an array, found \(describeByte())")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw JSONParseError(offset: start, reason: "unterminated string") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                // Every byte appended was validated (or encoded from a scalar), so decoding repairs nothing.
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw failure("unescaped control character \(describeByte()) in a string")
            case 0..<0x80:
                // Copying a run of plain ASCII at once keeps large state files quick to read.
                let runEnd = bytes[index...].firstIndex {
                    $0 < 0x20 || $0 >= 0x80 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\")
                } ?? bytes.count
                utf8.append(contentsOf: bytes[index..<runEnd])
                index = runEnd
            default:
                guard let length = validUTF8SequenceLength(at: index) else { throw failure("invalid UTF-8") }
                utf8.append(contentsOf: bytes[index..<(index + length)])
                index += length
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONParseError) {
        let start = index
        index += 1
        guard index < bytes.count else { throw JSONParseError(offset: start, reason: "unterminated escape") }
        let simple: UInt8? = switch bytes[index] {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case UInt8(ascii: "/"): UInt8(ascii: "/")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0c
        case UInt8(ascii: "n"): 0x0a
        case UInt8(ascii: "r"): 0x0d
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let simple {
            utf8.append(simple)
            index += 1
            return
        }
        guard bytes[index] == UInt8(ascii: "u") else {
            throw JSONParseError(offset: start, reason: "invalid escape: \(describeByte()) after '\\'")
        }
        index += 1
        var value = try parseHex4(escapeOffset: start)
        switch value {
        case 0xd800...0xdbff:
            guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                throw JSONParseError(offset: start, reason: "high surrogate not followed by a low surrogate")
            }
            index += 2
            let low = try parseHex4(escapeOffset: start)
            guard (0xdc00...0xdfff).contains(low) else {
                throw JSONParseError(offset: start, reason: "high surrogate not followed by a low surrogate")
            }
            value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00)
        case 0xdc00...0xdfff:
            throw JSONParseError(offset: start, reason: "low surrogate without a high surrogate")
        default:
            break
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw JSONParseError(offset: start, reason: "escape is not a Unicode scalar")
        }
        utf8.append(contentsOf: scalar.utf8)
    }

    private mutating func parseHex4(escapeOffset: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = hexDigitValue(bytes[index]) else {
                throw JSONParseError(offset: escapeOffset, reason: "\\u needs four hexadecimal digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard isDigit(peek()) else { throw failure("expected a digit, found \(describeByte())") }
        if peek() == UInt8(ascii: "0") {
            index += 1
            guard !isDigit(peek()) else { throw failure("leading zero in a number") }
        } else {
            skipDigits()
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard isDigit(peek()) else { throw failure("expected a digit after '.', found \(describeByte())") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard isDigit(peek()) else { throw failure("expected a digit in the exponent, found \(describeByte())") }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int(text) { return .integer(value) }
        // The grammar was checked above, so only magnitude can make the conversion fail or overflow.
        guard let value = Double(text), value.isFinite else {
            throw JSONParseError(offset: start, reason: "number out of range")
        }
        return .double(value)
    }

    private mutating func expectLiteral(_ literal: String) throws(JSONParseError) {
        guard bytes[index...].starts(with: literal.utf8) else { throw failure("invalid literal, expected \(literal)") }
        index += literal.utf8.count
    }

    /// Length of the valid UTF-8 sequence of two to four bytes at `position` (RFC 3629: no overlong forms,
    /// no surrogates, nothing above U+10FFFF), or nil.
    private func validUTF8SequenceLength(at position: Int) -> Int? {
        let lead = bytes[position]
        let (length, secondRange): (Int, ClosedRange<UInt8>) = switch lead {
        case 0xc2...0xdf: (2, 0x80...0xbf)
        case 0xe0: (3, 0xa0...0xbf)
        case 0xe1...0xec, 0xee...0xef: (3, 0x80...0xbf)
        case 0xed: (3, 0x80...0x9f)
        case 0xf0: (4, 0x90...0xbf)
        case 0xf1...0xf3: (4, 0x80...0xbf)
        case 0xf4: (4, 0x80...0x8f)
        default: (0, 0...0)
        }
        guard length > 0, position + length <= bytes.count, secondRange.contains(bytes[position + 1]) else {
            return nil
        }
        for continuation in bytes[(position + 2)..<(position + length)] where continuation & 0xc0 != 0x80 {
            return nil
        }
        return length
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        index + ahead < bytes.count ? bytes[index + ahead] : nil
    }

    private func isDigit(_ byte: UInt8?) -> Bool {
        byte.map(isDecimalDigit) ?? false
    }

    private mutating func skipDigits() {
        while isDigit(peek()) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { index += 1 }
    }

    private func failure(_ reason: String) -> JSONParseError {
        JSONParseError(offset: index, reason: reason)
    }

    /// The byte at the current offset for an error message: `'x'` when printable ASCII, else `byte 0x1F`.
    private func describeByte() -> String {
        guard let byte = peek() else { return "end of input" }
        guard (0x21...0x7e).contains(byte) else {
            return "byte 0x" + String(Int(byte) + 0x100, radix: 16).dropFirst()
        }
        return "'\(Character(Unicode.Scalar(byte)))'"
    }
}

/// `text` as a JSON string literal for an error or log message: at most 64 characters, and every scalar
/// outside ASCII escaped as `\uXXXX`, so a hostile key can neither flood nor split a log line.
func quotedExcerpt(_ text: String) -> String {
    let limit = 64
    var out = "\""
    for scalar in text.unicodeScalars.prefix(limit) {
        if scalar.isASCII {
            out += JSONReport.quoted(String(scalar)).dropFirst().dropLast()
        } else {
            for unit in String(scalar).utf16 {
                out += "\\u" + String(String(Int(unit) + 0x10000, radix: 16).dropFirst())
            }
        }
    }
    return out + "\"" + (text.unicodeScalars.dropFirst(limit).isEmpty ? "" : "...")
}
