import Foundation
import RDNSCore
import Testing

private func parsed(_ text: String) throws -> JSONValue {
    try JSONValue.parse(text.utf8)
}

/// The error for `bytes`, or nil when they parse.
private func parseError(_ bytes: [UInt8], maximumBytes: Int = JSONValue.defaultMaximumBytes) -> JSONParseError? {
    do {
        _ = try JSONValue.parse(bytes, maximumBytes: maximumBytes)
        return nil
    } catch {
        return error
    }
}

@Suite("JSONValue: a strict RFC 8259 parser that reports where and never traps")
struct JSONValueTests {
    @Test("every kind of value parses", arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        (" \t\r\nfalse\n", .bool(false)),
        ("0", .integer(0)),
        ("-0", .integer(0)),
        ("42", .integer(42)),
        ("-17", .integer(-17)),
        ("9223372036854775807", .integer(Int.max)),
        ("-9223372036854775808", .integer(Int.min)),
        ("9223372036854775808", .double(9_223_372_036_854_775_808)),
        ("1.5", .double(1.5)),
        ("-0.25e2", .double(-25)),
        ("1E3", .double(1000)),
        ("2e-3", .double(0.002)),
        ("1e-400", .double(0)),
        ("\"\"", .string("")),
        ("\"a\\\"b\\\\c\\/d\"", .string("a\"b\\c/d")),
        ("\"\\b\\f\\n\\r\\t\"", .string("\u{8}\u{c}\n\r\t")),
        ("\"\\u0000\\u001F\\u00e9\\u20AC\"", .string("\u{0}\u{1f}é€")),
        ("\"\\ud83d\\ude00\"", .string("😀")),
        ("\"é😀\u{7f}\"", .string("é😀\u{7f}")),
        ("[]", .array([])),
        ("[1, [2, []], {}]", .array([.integer(1), .array([.integer(2), .array([])]), .object([])])),
        ("{\"b\": 1, \"a\": [true, null]}", .object([
            JSONValue.Member("b", .integer(1)), JSONValue.Member("a", .array([.bool(true), .null])),
        ])),
        ("{\"\": \"\"}", .object([JSONValue.Member("", .string(""))])),
    ])
    func validDocuments(text: String, expected: JSONValue) throws {
        #expect(try parsed(text) == expected)
    }

    @Test("malformed documents fail at the offending byte", arguments: [
        ("", 0),
        ("   ", 3),
        ("nul", 0),
        ("nullx", 4),
        ("True", 0),
        ("01", 1),
        ("-", 1),
        ("-a", 1),
        ("+1", 0),
        (".5", 0),
        ("1.", 2),
        ("1.e3", 2),
        ("1e", 2),
        ("1e+", 3),
        ("0x10", 1),
        ("1e400", 0),
        ("-1e400", 0),
        ("NaN", 0),
        ("Infinity", 0),
        ("[1,]", 3),
        ("[1 2]", 3),
        ("[", 1),
        ("]", 0),
        ("{\"a\" 1}", 5),
        ("{\"a\": 1,}", 8),
        ("{a: 1}", 1),
        ("{\"a\": 1 \"b\": 2}", 8),
        ("{\"a\": 1}}", 8),
        ("{\"a\": 1, \"a\": 2}", 9),
        ("\"abc", 0),
        ("\"a\nb\"", 2),
        ("\"a\tb\"", 2),
        ("\"\\x\"", 1),
        ("\"\\u12\"", 1),
        ("\"\\u12G4\"", 1),
        ("\"\\ud83d\"", 1),
        ("\"\\ud83dx\"", 1),
        ("\"\\ud83d\\u0041\"", 1),
        ("\"\\ude00\"", 1),
        ("\"\\", 1),
        ("1 2", 2),
        ("// comment\n1", 0),
        ("\u{feff}1", 0),
        ("'a'", 0),
    ])
    func malformedDocuments(text: String, offset: Int) {
        #expect(parseError(Array(text.utf8))?.offset == offset)
    }

    @Test("invalid UTF-8 in a string fails at its first byte", arguments: [
        [0x22, 0x80, 0x22],                    // lone continuation byte
        [0x22, 0xc0, 0xaf, 0x22],              // overlong '/'
        [0x22, 0xe0, 0x80, 0xaf, 0x22],        // overlong three-byte form
        [0x22, 0xed, 0xa0, 0x80, 0x22],        // UTF-8-encoded surrogate
        [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0xf5, 0x80, 0x80, 0x80, 0x22],
        [0x22, 0xff, 0x22],
        [0x22, 0xc3, 0x22],                    // truncated sequence
        [0x22, 0xe2, 0x82],                    // truncated at the end of the input
        [0x22, 0xf0, 0x9f, 0x98, 0x41, 0x22],  // bad fourth byte
    ] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(parseError(bytes)?.offset == 1)
    }

    @Test("bytes outside strings that are not JSON fail", arguments: [[0xff], [0x5b, 0x80, 0x5d], [0x00]] as [[UInt8]])
    func strayBytes(bytes: [UInt8]) {
        #expect(parseError(bytes) != nil)
    }

    @Test("nesting up to the limit parses; one level more fails at the bracket that exceeds it")
    func depthLimit() throws {
        let limit = JSONValue.defaultMaximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try parsed(deepest) }
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(parseError(Array(tooDeep.utf8))?.offset == limit)
        let objects = String(repeating: "{\"a\":", count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(parseError(Array(objects.utf8))?.offset == 5 * limit)
    }

    @Test("a million opening brackets is an error, not a stack overflow")
    func hugeNesting() {
        #expect(parseError(Array(repeating: UInt8(ascii: "["), count: 1_000_000)) != nil)
        #expect(parseError(Array(String(repeating: "{\"a\": [", count: 200_000).utf8)) != nil)
    }

    @Test("input over the size limit is refused before it is read")
    func sizeLimit() {
        let text = Array("[1, 2, 3]".utf8)
        #expect(parseError(text, maximumBytes: text.count) == nil)
        #expect(parseError(text, maximumBytes: text.count - 1) == JSONParseError(
            offset: text.count - 1, reason: "input longer than \(text.count - 1) bytes"))
    }

    @Test("errors say where and what, and quote hostile keys safely")
    func errorMessages() {
        #expect(parseError(Array("{\"a\" 1}".utf8))?.description
            == "byte 5: expected ':' after an object key, found '1'")
        #expect(parseError(Array("[1\u{1}]".utf8))?.description
            == "byte 2: expected ',' or ']' in an array, found byte 0x01")
        let key = "\u{1b}[2J\n" + String(repeating: "é", count: 100)
        let duplicate = "{" + Escaping.jsonString(key) + ": 1, " + Escaping.jsonString(key) + ": 2}"
        let description = parseError(Array(duplicate.utf8))?.description ?? ""
        #expect(description.hasPrefix("byte "))
        #expect(description.contains("duplicate key \"\\u001b[2J\\n\\u00e9"))
        #expect(description.hasSuffix("\"..."))
        #expect(description.utf8.allSatisfy { (0x20...0x7e).contains($0) })
    }

    @Test("a duplicate key is found however many keys come before it", arguments: [1, 7, 8, 9, 40])
    func duplicateAfterManyKeys(before: Int) {
        for duplicated in [0, before - 1] {
            let head = "{" + (0..<before).map { "\"k\($0)\": \($0), " }.joined()
            let text = head + "\"k\(duplicated)\": 0}"
            #expect(parseError(Array(text.utf8)) == JSONParseError(offset: head.utf8.count,
                                                                   reason: "duplicate key \"k\(duplicated)\""))
        }
    }

    @Test("canonically equivalent keys are duplicates in a large object too")
    func equivalentKeysInALargeObject() {
        let head = "{" + (0..<20).map { "\"k\($0)\": \($0), " }.joined() + "\"\u{e9}\": 1, "
        let text = head + "\"e\u{301}\": 2}"
        #expect(parseError(Array(text.utf8))?.offset == head.utf8.count)
    }

    @Test("integers are exact on either side of 18 digits", arguments: [
        ("999999999999999999", 999_999_999_999_999_999),
        ("-999999999999999999", -999_999_999_999_999_999),
        ("1000000000000000000", 1_000_000_000_000_000_000),
        ("-1000000000000000001", -1_000_000_000_000_000_001),
        ("-0", 0),
    ])
    func integersAroundEighteenDigits(text: String, value: Int) throws {
        #expect(try parsed(text) == .integer(value))
        #expect(try parsed("[\(text)]") == .array([.integer(value)]))
    }

    @Test("strings read the same whether plain, escaped or not ASCII", arguments: [
        ("\"mail.example.com\"", "mail.example.com"),
        ("\"mail\\u002eexample.com\"", "mail.example.com"),
        ("\"a\\\\b\"", "a\\b"),
        ("\"caf\u{e9}.example\"", "caf\u{e9}.example"),
        ("\"\u{e9}t\u{e9}\"", "\u{e9}t\u{e9}"),
    ])
    func plainAndEscapedStrings(text: String, value: String) throws {
        #expect(try parsed(text) == .string(value))
        #expect(try parsed("{\(text): 1}") == .object([JSONValue.Member(value, .integer(1))]))
    }

    @Test("serialized values parse back to themselves", arguments: [
        JSONValue.null,
        .bool(false),
        .integer(Int.min),
        .double(0.1),
        .double(1e-7),
        .double(-1.5e300),
        .string("\"\\/\u{0}\u{1f}\u{7f}\u{2028}é😀\n"),
        .array([.array([]), .object([]), .string("x")]),
        .object([JSONValue.Member("z", .integer(1)), JSONValue.Member("a\n", .array([.null]))]),
    ])
    func serializationRoundTrips(value: JSONValue) throws {
        #expect(try parsed(value.jsonText) == value)
    }

    @Test("serialized text is compact JSON on one line that Foundation reads")
    func serializationShape() throws {
        let value = JSONValue.object([
            JSONValue.Member("list", .array([.integer(1), .string("a\nb")])),
            JSONValue.Member("flag", .bool(true)),
        ])
        #expect(value.jsonText == "{\"list\": [1, \"a\\nb\"], \"flag\": true}")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(value.jsonText.utf8)) as? [String: Any])
        let list = try #require(object["list"] as? [Any])
        #expect(list.count == 2)
        #expect(list.last as? String == "a\nb")
        #expect(JSONValue.double(.nan).jsonText == "null")
        #expect(JSONValue.double(-.infinity).jsonText == "null")
    }

    @Test("what Foundation writes, this parser reads")
    func readsFoundationOutput() throws {
        let object: [String: Any] = ["names": ["a.example", "b\u{1}\"c"], "n": 12, "x": 0.5, "nested": ["k": NSNull()]]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let value = try JSONValue.parse(Array(data))
        #expect(value == .object([
            JSONValue.Member("n", .integer(12)),
            JSONValue.Member("names", .array([.string("a.example"), .string("b\u{1}\"c")])),
            JSONValue.Member("nested", .object([JSONValue.Member("k", .null)])),
            JSONValue.Member("x", .double(0.5)),
        ]))
    }

    @Test("random bytes and mutated documents never trap, and whatever parses re-serializes to itself")
    func fuzz() {
        var random = SplitMix(state: 20_261_123)
        let seed = Array("""
            {"version": 1, "addresses": {"192.0.2.1": {"status": "ok", "ptr_names": ["a\\u00e9\\ud83d\\ude00"], \
            "forward": {"a": ["192.0.2.1"]}, "temporary_failures": 0, "since": -1.5e3, "checked_at": [true, null]}}}
            """.utf8)
        let alphabet = Array("{}[]\":,\\/u0123456789abcdefABCDEF-+.eE \t\n\r".utf8) + [0x00, 0x1f, 0x7f, 0x80, 0xc3,
                                                                                       0xed, 0xf0, 0xf4, 0xff]
        var accepted = 0
        for round in 0..<5_000 {
            var bytes: [UInt8]
            if round % 4 == 0 {
                bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                    alphabet.randomElement(using: &random)!
                }
            } else {
                bytes = seed
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let position = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[position] = alphabet.randomElement(using: &random)!
                    case 1: bytes.remove(at: position)
                    default: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                    }
                    if bytes.isEmpty { break }
                }
            }
            do {
                let value = try JSONValue.parse(bytes)
                accepted += 1
                #expect((try? JSONValue.parse(value.jsonText.utf8)) == value)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        }
        #expect(accepted > 0)
    }
}
