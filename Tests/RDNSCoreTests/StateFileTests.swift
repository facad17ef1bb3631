import Foundation
@testable import RDNSCore
import Testing

/// Several addresses in every shape a state can take: IPv4 and IPv6, several names, a hostile name, a lasting
/// temporary failure with no records, a name without addresses, a zero time.
private let sampleStates: [IPAddress: AddressState] = {
    let hostile = DNSName(labels: [Array("evil\n\"\\ $(x)".utf8), Array("\u{0}é".utf8), Array("net".utf8)])!
    return [
        IPAddress("192.0.2.10")!: StateSamples.state(forward: ["mail.example.com": ["192.0.2.10"]]),
        IPAddress("192.0.2.9")!: StateSamples.state(.warning, ptr: ["a.example.com", "B.example.com"],
                                                    forward: ["a.example.com": ["192.0.2.9", "198.51.100.1"],
                                                              "B.example.com": ["192.0.2.9"]],
                                                    since: 1, checkedAt: 2),
        IPAddress("2001:db8::25")!: StateSamples.state(.critical, ptr: [hostile.description],
                                                       forward: [hostile.description: ["2001:db8::1:0:0:1"]],
                                                       failures: 0, since: 0, checkedAt: 0),
        IPAddress("2001:db8::26")!: StateSamples.state(.critical, ptr: [], forward: [:], failures: 7),
        IPAddress("203.0.113.1")!: StateSamples.state(.unknown, ptr: ["x.example.com"], forward: ["x.example.com": []]),
    ]
}()

private let oneAddress = """
    {"version": 1, "addresses": {
     "192.0.2.10": {"status": "ok", "ptr_names": ["mail.example.com"], \
    "forward": {"mail.example.com": ["192.0.2.10"]}, "since": 1795428000, "checked_at": 1795428000}
    }}

    """

/// The decoding error for `text`, or nil when it decodes.
private func decodeError(_ text: String) -> StateFileError? {
    decodeError(Array(text.utf8))
}

private func decodeError(_ bytes: [UInt8]) -> StateFileError? {
    do {
        _ = try StateFile.decode(bytes)
        return nil
    } catch {
        return error
    }
}

/// A file with one valid address whose field `key` is set to (or, when new, added as) the JSON text `value`.
private func withField(_ key: String, _ value: String) -> String {
    var fields = [
        ("status", "\"ok\""), ("ptr_names", "[\"mail.example.com\"]"),
        ("forward", "{\"mail.example.com\": [\"192.0.2.10\"]}"), ("temporary_failures", "0"),
        ("since", "1795428000"), ("checked_at", "1795428000"),
    ]
    if !fields.contains(where: { $0.0 == key }) { fields.append((key, value)) }
    let object = fields.map { "\"\($0.0)\": \($0.0 == key ? value : $0.1)" }.joined(separator: ", ")
    return "{\"version\": 1, \"addresses\": {\"192.0.2.10\": {\(object)}}}"
}

/// Files that are JSON but not a state file, and what the error says.
private let corruptFiles: [(text: String, message: String)] = [
    ("", "not valid JSON: byte 0: unexpected end of input, expected a value"),
    ("state", "not valid JSON: byte 0: unexpected 's', expected a value"),
    ("[]", "the file is not a JSON object"),
    ("{}", "no \"version\""),
    ("{\"version\": 2, \"addresses\": {}}", "unsupported version 2 (this rdnscheck reads 1)"),
    ("{\"version\": \"1\", \"addresses\": {}}", "unsupported version \"1\" (this rdnscheck reads 1)"),
    ("{\"version\": 1.0, \"addresses\": {}}", "unsupported version 1.0 (this rdnscheck reads 1)"),
    ("{\"version\": 1}", "the file has no \"addresses\""),
    ("{\"version\": 1, \"addresses\": {}, \"extra\": 0}", "the file has an unknown key \"extra\""),
    ("{\"version\": 1, \"addresses\": []}", "\"addresses\" is not an object"),
    ("{\"version\": 1, \"addresses\": {\"mail.example.com\": {}}}",
     "address \"mail.example.com\" is not an address in canonical form"),
    ("{\"version\": 1, \"addresses\": {\"2001:DB8::1\": {}}}",
     "address \"2001:DB8::1\" is not an address in canonical form"),
    ("{\"version\": 1, \"addresses\": {\"192.0.2.010\": {}}}",
     "address \"192.0.2.010\" is not an address in canonical form"),
    ("{\"version\": 1, \"addresses\": {\"192.0.2.10\": []}}", "address \"192.0.2.10\" is not a JSON object"),
    ("{\"version\": 1, \"addresses\": {\"192.0.2.10\": {}}}", "address \"192.0.2.10\" has no \"status\""),
    (withField("note", "\"hi\""),
     "address \"192.0.2.10\" has an unknown key \"note\""),
    ("{\"version\": 1, \"addresses\": {\"192.0.2.10\": {}, \"192.0.2.10\": {}}}",
     "not valid JSON: byte 47: duplicate key \"192.0.2.10\""),
]

/// One field of an address with a wrong value, and what the error says.
private let corruptFields: [(key: String, value: String, message: String)] = [
    ("status", "\"OK\"", "address \"192.0.2.10\": \"status\" is not one of ok, warning, critical, unknown"),
    ("status", "2", "address \"192.0.2.10\": \"status\" is not one of ok, warning, critical, unknown"),
    ("ptr_names", "\"mail.example.com\"", "address \"192.0.2.10\": \"ptr_names\" is not an array"),
    ("ptr_names", "[\"mail.example.com\", 1]",
     "address \"192.0.2.10\": \"ptr_names\" holds 1, not an escaped name"),
    ("ptr_names", "[\"mail.example.com\", \"a b\"]",
     "address \"192.0.2.10\": \"ptr_names\" holds \"a b\", not an escaped name"),
    ("ptr_names", "[\"mail.example.com\", \"a\\nb\"]",
     "address \"192.0.2.10\": \"ptr_names\" holds \"a\\nb\", not an escaped name"),
    ("ptr_names", "[\"mail.example.com\", \"\\u00e9\"]",
     "address \"192.0.2.10\": \"ptr_names\" holds \"\\u00e9\", not an escaped name"),
    ("ptr_names", "[\"mail.example.com\", \"a\\\\256\"]",
     "address \"192.0.2.10\": \"ptr_names\" holds \"a\\\\256\", not an escaped name"),
    ("ptr_names", "[\"mail.example.com\", \"a\\\\12\"]",
     "address \"192.0.2.10\": \"ptr_names\" holds \"a\\\\12\", not an escaped name"),
    ("ptr_names", "[[\"mail.example.com\"]]",
     "address \"192.0.2.10\": \"ptr_names\" holds an array, not an escaped name"),
    ("forward", "[]", "address \"192.0.2.10\": \"forward\" is not an object"),
    ("forward", "{\"mx.example.com\": [\"192.0.2.10\"]}",
     "address \"192.0.2.10\": forward answer for \"mx.example.com\": not a PTR name"),
    ("forward", "{\"mail.example.com\": \"192.0.2.10\"}",
     "address \"192.0.2.10\": forward answer for \"mail.example.com\" is not an array"),
    ("forward", "{\"mail.example.com\": [\"192.0.2.256\"]}",
     "address \"192.0.2.10\": forward answer for \"mail.example.com\" holds \"192.0.2.256\", "
        + "not an address in canonical form"),
    ("forward", "{\"mail.example.com\": [\"2001:db8:0::1\"]}",
     "address \"192.0.2.10\": forward answer for \"mail.example.com\" holds \"2001:db8:0::1\", "
        + "not an address in canonical form"),
    ("forward", "{\"mail.example.com\": [{}]}",
     "address \"192.0.2.10\": forward answer for \"mail.example.com\" holds an object, "
        + "not an address in canonical form"),
    ("temporary_failures", "-1",
     "address \"192.0.2.10\": \"temporary_failures\" is not an integer from 0 to 4000000000"),
    ("temporary_failures", "1.5",
     "address \"192.0.2.10\": \"temporary_failures\" is not an integer from 0 to 4000000000"),
    ("temporary_failures", "null",
     "address \"192.0.2.10\": \"temporary_failures\" is not an integer from 0 to 4000000000"),
    // Found in review: this count, plus one more failure, overflowed and killed the process.
    ("temporary_failures", "9223372036854775807",
     "address \"192.0.2.10\": \"temporary_failures\" is not an integer from 0 to 4000000000"),
    ("since", "\"1795428000\"", "address \"192.0.2.10\": \"since\" is not a non-negative integer"),
    ("since", "1e20", "address \"192.0.2.10\": \"since\" is not a non-negative integer"),
    ("checked_at", "-1795428000",
     "address \"192.0.2.10\": \"checked_at\" is not a non-negative integer"),
    ("checked_at", "true", "address \"192.0.2.10\": \"checked_at\" is not a non-negative integer"),
]

@Suite("StateFile: the state file's JSON, written stably and read strictly")
struct StateFileTests {
    @Test("one address encodes as SPEC's keys on one line")
    func encodesOneAddress() throws {
        let states = [IPAddress("192.0.2.10")!: StateSamples.state(forward: ["mail.example.com": ["192.0.2.10"]])]
        #expect(try StateFile.encode(states) == oneAddress)
    }

    @Test("no addresses encode as an empty object")
    func encodesNothing() throws {
        #expect(try StateFile.encode([:]) == "{\"version\": 1, \"addresses\": {}}\n")
        #expect(try StateFile.decode(try StateFile.encode([:]).utf8).isEmpty)
    }

    @Test("addresses are sorted, IPv4 first and numerically, one per line")
    func sortedOnePerLine() throws {
        let lines = try StateFile.encode(sampleStates).split(separator: "\n")
        #expect(lines.count == sampleStates.count + 2)
        #expect(lines.dropFirst().dropLast().map { $0.split(separator: "\"")[0...1].joined(separator: "\"") } == [
            " \"192.0.2.9", " \"192.0.2.10", " \"203.0.113.1", " \"2001:db8::25", " \"2001:db8::26",
        ])
    }

    @Test("several addresses, IPv6 and escaped hostile names round-trip exactly")
    func roundTrip() throws {
        let text = try StateFile.encode(sampleStates)
        #expect(try StateFile.decode(text.utf8) == sampleStates)
        #expect(try StateFile.encode(try StateFile.decode(Array(text.utf8))) == text)
        #expect(text.contains("evil\\\\010\\\\034\\\\092\\\\032\\\\036\\\\040x\\\\041.\\\\000\\\\195\\\\169.net"))
    }

    @Test("IPv4-mapped addresses written by 0.1 in hexadecimal still load, in today's form; one address twice does not")
    func mappedAddressesInTheOldForm() throws {
        let old = withField("forward", "{\"mail.example.com\": [\"::ffff:a00:1\"]}")
            .replacingOccurrences(of: "\"192.0.2.10\": {", with: "\"::ffff:a00:1\": {")
        let states = try StateFile.decode(old.utf8)
        let state = try #require(states[IPAddress("::ffff:10.0.0.1")!])
        #expect(state.forward == ["mail.example.com": ["::ffff:10.0.0.1"]])
        #expect(try StateFile.encode(states).contains("\"::ffff:10.0.0.1\": {"))
        let entry = "{\"status\": \"ok\", \"ptr_names\": [], \"forward\": {}, \"temporary_failures\": 0, \"since\": 1, "
            + "\"checked_at\": 1}"
        let twice = "{\"version\": 1, \"addresses\": {\"::ffff:a00:1\": \(entry), \"::ffff:10.0.0.1\": \(entry)}}"
        #expect(decodeError(twice)?.description.contains("address \"::ffff:10.0.0.1\" is given twice") == true,
                "\(String(describing: decodeError(twice)))")
    }

    @Test("last_success is written when there is one, read back, and optional")
    func lastSuccess() throws {
        let text = try StateFile.encode(sampleStates, lastSuccess: 1_795_437_000)
        #expect(text.hasPrefix("{\"version\": 1, \"last_success\": 1795437000, \"addresses\": {\n"))
        #expect(try StateFile.decodeContents(text.utf8) == StateFile.Contents(states: sampleStates,
                                                                                  lastSuccess: 1_795_437_000))
        #expect(try StateFile.decodeContents(try StateFile.encode(sampleStates).utf8).lastSuccess == nil)
        #expect(try StateFile.decode(text.utf8) == sampleStates)
    }

    @Test("a last_success that is not a non-negative integer makes the file corrupt",
          arguments: ["-5", "1.5", "\"1795437000\"", "null"])
    func badLastSuccess(value: String) {
        let text = "{\"version\": 1, \"last_success\": \(value), \"addresses\": {}}\n"
        #expect(throws: StateFileError("\"last_success\" is not a non-negative integer")) {
            try StateFile.decodeContents(text.utf8)
        }
    }

    @Test("the file is JSON that Foundation reads, with integer times")
    func foundationReadsTheFile() throws {
        let data = Data(try StateFile.encode(sampleStates).utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        let addresses = try #require(object["addresses"] as? [String: [String: Any]])
        #expect(addresses.count == sampleStates.count)
        #expect(addresses["192.0.2.9"]?["since"] as? Int == 1)
        #expect(addresses["2001:db8::26"]?["temporary_failures"] as? Int == 7)
    }

    @Test("every truncation of a valid file is an error")
    func truncated() throws {
        let bytes = Array(try StateFile.encode(sampleStates).utf8)
        for length in 0..<(bytes.count - 1) {
            #expect(decodeError(Array(bytes.prefix(length))) != nil, "length \(length)")
        }
        #expect(decodeError(Array(bytes.dropLast())) == nil, "only the final newline is optional")
    }

    @Test("corrupt files give an error that says what is wrong", arguments: corruptFiles)
    func corrupt(text: String, message: String) {
        #expect(decodeError(text)?.message == message)
    }

    @Test("a field of the wrong type or value gives an error naming the address and the field",
          arguments: corruptFields)
    func corruptField(key: String, value: String, message: String) {
        #expect(decodeError(withField(key, value))?.message == message)
    }

    @Test("invalid UTF-8, a byte order mark, NUL bytes and binary garbage are errors", arguments: [
        Array(oneAddress.utf8).replacing(Array("mail".utf8), with: [0x6d, 0xc3, 0x28, 0x6c], maxReplacements: 1),
        Array(oneAddress.utf8).replacing(Array("mail".utf8), with: [0x6d, 0xed, 0xa0, 0x80], maxReplacements: 1),
        [0xef, 0xbb, 0xbf] + Array(oneAddress.utf8),
        Array(oneAddress.utf8) + [0x00],
        Array(repeating: 0, count: 4096),
        (0..<4096).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) },
    ] as [[UInt8]])
    func garbage(bytes: [UInt8]) {
        #expect(decodeError(bytes) != nil)
    }

    @Test("deep or huge nesting is an error, not a crash")
    func hugeNesting() {
        let deep = "{\"version\": 1, \"addresses\": " + String(repeating: "[", count: 100_000)
        #expect(decodeError(deep)?.message.hasPrefix("not valid JSON: byte ") == true)
        #expect(decodeError(deep)?.message.hasSuffix("nesting deeper than 64 levels") == true)
    }

    @Test("a file over the size limit is refused")
    func tooLarge() {
        let bytes = repeatElement(UInt8(ascii: " "), count: StateFile.maximumSize + 1)
        #expect(throws: StateFileError("not valid JSON: byte \(StateFile.maximumSize): input longer than "
                                       + "\(StateFile.maximumSize) bytes")) {
            try StateFile.decode(bytes)
        }
    }

    @Test("an address without names, answers or failures leaves those keys out; written out, they read the same")
    func bareAddressIsShort() throws {
        let state = StateSamples.state(.critical, ptr: [], forward: [:], failures: 0, since: 5, checkedAt: 6)
        let text = try StateFile.encode([IPAddress("10.0.0.1")!: state])
        #expect(text == "{\"version\": 1, \"addresses\": {\n \"10.0.0.1\": {\"status\": \"critical\", "
                + "\"since\": 5, \"checked_at\": 6}\n}}\n")
        let long = "{\"version\": 1, \"addresses\": {\"10.0.0.1\": {\"status\": \"critical\", \"ptr_names\": [], "
            + "\"forward\": {}, \"temporary_failures\": 0, \"since\": 5, \"checked_at\": 6}}}"
        #expect(try StateFile.decode(long.utf8) == [IPAddress("10.0.0.1")!: state])
        #expect(decodeError(long.replacingOccurrences(of: "\"forward\"", with: "\"forwards\""))?.message
            == "address \"10.0.0.1\" has an unknown key \"forwards\"")
    }

    @Test("a configuration at the address limit without PTR names fits the size limit however large its counters")
    func bareStateAtTheLimitFits() throws {
        let worst = StateSamples.state(.critical, ptr: [], forward: [:],
                                       failures: StateFile.maximumTemporaryFailures, since: .max, checkedAt: .max)
        let line = try StateFile.encode([IPAddress("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!: worst])
            .split(separator: "\n")[1]
        #expect(line.utf8.count + ",\n".utf8.count == StateFile.maximumBareLineSize)
        let head = "{\"version\": 1, \"last_success\": 9223372036854775807, \"addresses\": {\n".utf8.count
        #expect(head + CheckTargets.maximumCount * StateFile.maximumBareLineSize + "}}\n".utf8.count
            <= StateFile.maximumSize)
    }

    @Test("the largest state the writer writes reads back; one byte more is not written")
    func writerAndReaderShareTheBound() throws {
        // A /20 of the common kinds of address, at the size of its own encoding: the bound both sides apply.
        var states: [IPAddress: AddressState] = [:]
        for offset in 0..<4_096 {
            let address = IPAddress.v4(0x0a00_0000 + UInt32(offset))
            let name = "host-\(offset).example.net"
            states[address] = offset % 4 == 0
                ? StateSamples.state(.critical, ptr: [], forward: [:], failures: offset % 3, since: 1, checkedAt: 2)
                : StateSamples.state(.warning, ptr: [name], forward: [name: [address.description]], since: 1,
                                     checkedAt: 2)
        }
        let size = try StateFile.encode(states, lastSuccess: 7).utf8.count
        let text = try StateFile.encode(states, lastSuccess: 7, maximumSize: size)
        #expect(try StateFile.decodeContents(text.utf8) == StateFile.Contents(states: states, lastSuccess: 7))
        #expect(throws: StateFileError("the state of 4096 addresses takes \(size) bytes, more than the "
                                       + "\(size - 1) a state file may hold")) {
            try StateFile.encode(states, lastSuccess: 7, maximumSize: size - 1)
        }
    }

    @Test("invalid JSON anywhere is named before a wrong address, and the first wrong address before a later one")
    func errorsInTheOrderOfTheWholeDocument() {
        let addresses = "\"addresses\": {\"192.0.2.1\": {}, \"192.0.2.300\": {}, \"192.0.2.2\": {}"
        #expect(decodeError("{\"version\": 1, \(addresses)}}")?.message == "address \"192.0.2.1\" has no \"status\"")
        #expect(decodeError("{\"version\": 1, \(addresses), \"192.0.2.1\": 1}}")?.message
                == "not valid JSON: byte 82: duplicate key \"192.0.2.1\"")
        #expect(decodeError("{\"version\": 1, \(addresses)}, }")?.message
                == "not valid JSON: byte 83: expected a string key, found '}'")
        #expect(decodeError("{\(addresses)}, \"version\": 2}")?.message
                == "unsupported version 2 (this rdnscheck reads 1)")
        #expect(decodeError("{\(addresses)}, \"version\": 1, \"extra\": 1}")?.message
                == "the file has an unknown key \"extra\"")
    }

    @Test("an address given twice is named before what is wrong with its second entry")
    func twiceBeforeWrong() {
        let entry = "{\"status\": \"ok\", \"since\": 1, \"checked_at\": 1}"
        let text = "{\"version\": 1, \"addresses\": {\"::ffff:a00:1\": \(entry), \"::ffff:10.0.0.1\": {}}}"
        #expect(decodeError(text)?.message == "address \"::ffff:10.0.0.1\" is given twice")
    }

    @Test("a large state reads back exactly, and a key repeated at its end is still found")
    func largeStateRoundTrip() throws {
        var states: [IPAddress: AddressState] = [:]
        for offset in 0..<20_000 {
            let address = IPAddress.v4(0x0a00_0000 + UInt32(offset))
            states[address] = offset % 100 == 0
                ? StateSamples.state(.ok, ptr: ["h\(offset).example.net"],
                                     forward: ["h\(offset).example.net": [address.description]])
                : StateSamples.state(.critical, ptr: [], forward: [:], failures: offset % 3, since: offset,
                                     checkedAt: offset + 1)
        }
        let text = try StateFile.encode(states)
        #expect(try StateFile.decode(text.utf8) == states)
        let repeated = String(text.dropLast(3)) + ",\n \"10.0.0.0\": {}\n}}\n"
        #expect(decodeError(repeated)?.message
                == "not valid JSON: byte \(text.utf8.count): duplicate key \"10.0.0.0\"")
    }

    @Test("hostile address keys are quoted safely in the message")
    func hostileKeyInMessage() throws {
        let message = try #require(decodeError("{\"version\": 1, \"addresses\": {\"\\u001b[2J\\n\": {}}}")?.message)
        #expect(message == "address \"\\u001b[2J\\n\" is not an address in canonical form")
    }
}
