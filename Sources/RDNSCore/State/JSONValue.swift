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
        try JSONReader.read(bytes, maximumBytes: maximumBytes, maximumDepth: maximumDepth) {
            reader throws(JSONParseError) in try reader.readValue(depth: 0)
        }
    }

    /// Compact JSON text on one line, with `", "` and `": "` separators as in SPEC.md's examples. Strings are
    /// escaped as in `Escaping.jsonString`; a non-finite double (which the parser never produces) becomes `null`.
    public var jsonText: String {
        var text = ""
        write(to: &text)
        return text
    }

    /// Appends `jsonText` to `text`, so that a large document (the state file) is written into one buffer
    /// instead of being joined from a String per value.
    func write(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .integer(let value): text += String(value)
        case .double(let value): text += value.isFinite ? value.description : "null"
        case .string(let string): text += Escaping.jsonString(string)
        case .array(let values):
            text += "["
            for (position, value) in values.enumerated() {
                if position > 0 { text += ", " }
                value.write(to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (position, member) in members.enumerated() {
                if position > 0 { text += ", " }
                text += Escaping.jsonString(member.key)
                text += ": "
                member.value.write(to: &text)
            }
            text += "}"
        }
    }
}

/// The keys of one object so far, to find a duplicate. Most objects have a few keys, and comparing with each is
/// quicker than hashing into a table built for every object; a large one (the state file's addresses) gets a table.
private struct KeySet {
    private static let listed = 8
    private var list: [String] = []
    private var table: Set<String>?

    init(expectedCount: Int) {
        if expectedCount > KeySet.listed { table = Set(minimumCapacity: expectedCount) }
    }

    /// Adds `key`; false when it was there already.
    mutating func insert(_ key: String) -> Bool {
        if table != nil { return table!.insert(key).inserted }
        guard !list.contains(key) else { return false }
        guard list.count == KeySet.listed else {
            list.append(key)
            return true
        }
        table = Set(list + [key])
        list = []
        return true
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

    /// Input longer than a reader takes, found from its length before any byte is read.
    static func tooLong(_ maximumBytes: Int) -> JSONParseError {
        JSONParseError(offset: maximumBytes, reason: "input longer than \(maximumBytes) bytes")
    }
}

/// A pull reader over one JSON text: the caller reads values one at a time, as whole `JSONValue`s
/// (`readValue`) or, for the members of an object or the elements of an array, one by one (`readObject`,
/// `readArray`) without building the container, so that a large document (the state file) is decoded as it is
/// read. Both ways share one grammar, one duplicate-key check and one depth limit, checked before every recursion.
struct JSONReader {
    private let bytes: [UInt8]
    private let maximumDepth: Int
    private var index = 0

    private init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Reads one JSON text with `body`, which reads its one value; only whitespace may follow it.
    static func read<Value>(_ bytes: some Collection<UInt8>, maximumBytes: Int, maximumDepth: Int,
                            _ body: (inout JSONReader) throws(JSONParseError) -> Value) throws(JSONParseError)
        -> Value {
        guard bytes.count <= maximumBytes else {
            throw JSONParseError.tooLong(maximumBytes)
        }
        var reader = JSONReader(bytes: Array(bytes), maximumDepth: maximumDepth)
        reader.skipWhitespace()
        let value = try body(&reader)
        reader.skipWhitespace()
        guard reader.index == reader.bytes.count else {
            throw reader.failure("unexpected \(reader.describeByte()) after the JSON value")
        }
        return value
    }

    /// Whether the next value is an object (whitespace before it skipped).
    var isAtObject: Bool { peek() == UInt8(ascii: "{") }

    /// Reads the next value whole. `depth` is the number of arrays and objects it is nested in.
    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            var members: [JSONValue.Member] = []
            try readObject(depth: depth + 1) { reader, key throws(JSONParseError) in
                members.append(JSONValue.Member(key, try reader.readValue(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            var values: [JSONValue] = []
            try readArray(depth: depth + 1) { reader throws(JSONParseError) in
                values.append(try reader.readValue(depth: depth + 1))
            }
            return .array(values)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected \(describeByte()), expected a value")
        }
    }

    /// Reads the object that must come next (`isAtObject`), calling `member` with each key in document order;
    /// `member` must read the key's value, at `depth`, the object's own depth (one more than its container's).
    /// `expectedCount`, a guess at the number of keys, saves growing the table that finds duplicates.
    mutating func readObject(depth: Int, expectedCount: Int = 0,
                             _ member: (inout JSONReader, String) throws(JSONParseError) -> Void)
        throws(JSONParseError) {
        guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
        index += 1
        var keys = KeySet(expectedCount: expectedCount)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string key, found \(describeByte())") }
            let keyOffset = index
            let key = try parseString()
            // Two values for one key would let a reader and a writer disagree about the document.
            guard keys.insert(key) else {
                throw JSONParseError(offset: keyOffset, reason: "duplicate key \(Escaping.jsonExcerpt(key))")
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw failure("expected ':' after an object key, found \(describeByte())")
            }
            index += 1
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return
            default: throw failure("expected ',' or '}' in an object, found \(describeByte())")
            }
        }
    }

    /// Reads the array that comes next, calling `element` for each element, which it must read at `depth`.
    private mutating func readArray(depth: Int, _ element: (inout JSONReader) throws(JSONParseError) -> Void)
        throws(JSONParseError) {
        guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return
            default: throw failure("expected ',' or ']' in an array, found \(describeByte())")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = index
        index += 1
        // Most strings (keys, words, addresses, host names) are plain ASCII: made straight from the input.
        let plainEnd = endOfPlainASCII(from: index)
        if plainEnd < bytes.count, bytes[plainEnd] == UInt8(ascii: "\"") {
            defer { index = plainEnd + 1 }
            return String(decoding: bytes[index..<plainEnd], as: UTF8.self)
        }
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
                let runEnd = endOfPlainASCII(from: index)
                utf8.append(contentsOf: bytes[index..<runEnd])
                index = runEnd
            default:
                guard let length = validUTF8SequenceLength(at: index) else { throw failure("invalid UTF-8") }
                utf8.append(contentsOf: bytes[index..<(index + length)])
                index += length
            }
        }
    }

    /// The offset of the first byte from `position` on that is not printable ASCII other than `"` and `\\`.
    private func endOfPlainASCII(from position: Int) -> Int {
        var end = position
        while end < bytes.count {
            let byte = bytes[end]
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
            end += 1
        }
        return end
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
        // Times and counts, most of a state file's numbers, are added up digit by digit: 18 digits cannot overflow.
        let digits = bytes[start..<index].drop { $0 == UInt8(ascii: "-") }
        if isInteger, digits.count <= 18 {
            let magnitude = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            return .integer(bytes[start] == UInt8(ascii: "-") ? -magnitude : magnitude)
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
