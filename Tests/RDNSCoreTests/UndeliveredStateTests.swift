import RDNSCore
import Testing

private let owed = [
    Delivery(address: IPAddress("192.0.2.10")!, oldStatus: .ok, newStatus: .critical,
             problems: [.forwardMismatch, .noPTR], ptrNames: ["MX.example.com", "evil\\010name"], ptrCount: 1_850,
             changes: [
                 Change(field: .ptrNames, old: .array([.string("mail.example.com")]),
                        new: .array([.string("MX.example.com"), .string("evil\\010name")])),
                 Change(field: .forward, old: .object([JSONValue.Member("mail.example.com", .array([
                     .string("192.0.2.10")]))]), new: .object([])),
                 Change(field: .status, old: .string("ok"), new: .string("critical")),
             ], drifts: 3, tries: 2),
    Delivery(address: IPAddress("2001:db8::25")!, oldStatus: .warning, newStatus: .ok, problems: [], ptrNames: [],
             changes: [Change(field: .status, old: .string("warning"), new: .string("ok"))]),
]

/// A file whose only undelivered entry for 192.0.2.10 has the JSON members `members`.
private func withUndelivered(_ members: String) -> [UInt8] {
    Array("{\"version\": 1, \"undelivered\": {\"192.0.2.10\": {\(members)}}, \"addresses\": {}}".utf8)
}

private let validMembers = [
    ("old_status", "\"ok\""), ("new_status", "\"critical\""), ("problems", "[\"no-ptr\"]"), ("ptr_names", "[]"),
    ("changes", "[{\"field\": \"status\", \"old\": \"ok\", \"new\": \"critical\"}]"), ("drifts", "1"),
    ("tries", "0"),
]

private func members(replacing key: String, with value: String) -> String {
    validMembers.map { "\"\($0.0)\": \($0.0 == key ? value : $0.1)" }.joined(separator: ", ")
}

@Suite("StateFile: on-change deliveries still owed")
struct UndeliveredStateTests {
    @Test("undelivered deliveries are written one per line and read back exactly")
    func roundTrip() throws {
        let text = try StateFile.encode([:], lastSuccess: 5, undelivered: owed)
        #expect(text.hasPrefix("{\"version\": 1, \"last_success\": 5, \"undelivered\": {\n \"192.0.2.10\": "
                               + "{\"old_status\": \"ok\", \"new_status\": \"critical\", "
                               + "\"problems\": [\"forward-mismatch\", \"no-ptr\"], "))
        #expect(text.split(separator: "\n").count == 4)
        let contents = try StateFile.decodeContents(Array(text.utf8))
        #expect(contents.undelivered == Dictionary(uniqueKeysWithValues: owed.map { ($0.address, $0) }))
        #expect(contents.lastSuccess == 5)
    }

    @Test("a file without undelivered deliveries has no such key, and older files read as owing nothing")
    func absentKey() throws {
        let text = try StateFile.encode([IPAddress("192.0.2.10")!: StateSamples.state()])
        #expect(!text.contains("undelivered"))
        #expect(try StateFile.decodeContents(Array(text.utf8)).undelivered.isEmpty)
    }

    @Test("a wrong undelivered entry makes the file corrupt, naming the address and the field", arguments: [
        ("old_status", "\"bad\"", "undelivered \"192.0.2.10\": \"old_status\" is not one of ok, warning, critical, "
            + "unknown"),
        ("problems", "[\"no-such-code\"]", "undelivered \"192.0.2.10\": \"problems\" holds \"no-such-code\", not a "
            + "problem code"),
        ("ptr_names", "[\"a b\"]", "undelivered \"192.0.2.10\": \"ptr_names\" holds \"a b\", not an escaped name"),
        ("changes", "[]", "undelivered \"192.0.2.10\": \"changes\" is not a non-empty array"),
        ("changes", "[{\"field\": \"ttl\", \"old\": 1, \"new\": 2}]",
         "undelivered \"192.0.2.10\": a change: \"field\" is not one of ptr_names, forward, status, attached"),
        ("changes", "[{\"field\": \"status\", \"old\": \"ok\", \"new\": \"critical\"}, "
            + "{\"field\": \"ptr_names\", \"old\": [], \"new\": []}]",
         "undelivered \"192.0.2.10\": \"changes\" are not in the order ptr_names, forward, status"),
        ("changes", "[{\"field\": \"forward\", \"old\": {}, \"new\": {\"a.example\": [\"10.0.0.01\"]}}]",
         "undelivered \"192.0.2.10\": a change: \"new\" of forward holds \"10.0.0.01\", not an address in "
            + "canonical form"),
        ("tries", "4", "undelivered \"192.0.2.10\": \"tries\" is not an integer from 0 to 3"),
        ("drifts", "-1", "undelivered \"192.0.2.10\": \"drifts\" is not an integer from 0 to 4000000000"),
    ])
    func corruptEntry(key: String, value: String, message: String) {
        #expect {
            _ = try StateFile.decodeContents(withUndelivered(members(replacing: key, with: value)))
        } throws: { error in
            "\(error)" == message
        }
        let valid = withUndelivered(members(replacing: "", with: ""))
        #expect(throws: Never.self) { _ = try StateFile.decodeContents(valid) }
    }
}
