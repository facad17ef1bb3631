/// The state file's text: every address's `AddressState` as JSON, and back.
///
/// ```
/// {"version": 1, "last_success": 1795437000, "addresses": {
///  "203.0.113.25": {"status": "ok", "ptr_names": ["mail.example.com"], "forward": {"mail.example.com": [...]}, ...},
///  "2001:db8::25": {"status": "warning", ...}
/// }}
/// ```
///
/// `last_success` (optional: absent until a run has had every address OK) is the end of the last such run, for
/// `rdnscheck_last_success_timestamp_seconds`, so that the metric survives restarts and separate `--once` runs.
///
/// `undelivered` (optional: absent when nothing is owed) holds the `on-change` deliveries still to be made, one line
/// per address with the keys `old_status`, `new_status`, `problems`, `ptr_names`, `changes` (the `changes` array of
/// SPEC.md), `drifts` and `tries` (the tries finished, 0 to 3: a third failed try drops the delivery, and one saved
/// with 3 is dropped when it is read); files without it still read.
///
/// `discovered` (optional: absent without `discover`) holds the addresses the last discovery found, `{"source":
/// "ec2", "addresses": [...], "region": "eu-west-1"}`: the baseline for addresses that appear or disappear, and
/// what a run checks when discovery fails.
///
/// Addresses are sorted and each takes one line, so the file diffs well; an address's keys are `status`,
/// `ptr_names`, `forward`, `temporary_failures`, `since` and `checked_at` (epoch seconds), nothing else. An empty
/// `ptr_names` or `forward` and a zero `temporary_failures` are left out: most addresses of a large range have no
/// PTR at all, and their lines are half as long without them (`{"status": "critical", "since": 1795437000,
/// "checked_at": 1795437000}`). Files that write them out, as earlier versions did, read the same.
/// Decoding is strict: a file that is not what `encode` could have written is corrupt, and the caller replaces
/// it (SPEC.md) rather than guessing. Round trips are exact for every state `AddressState(result:previous:now:)`
/// builds with a non-negative `now`.
public enum StateFile {
    /// The format version this code writes and reads.
    public static let version = 1
    /// The largest file `encode` writes and `decode` reads, one bound for both, so that a state file rdnscheck
    /// wrote can always be read back (nine /16s once wrote 84 MB to a reader that stopped at 64 MiB, and
    /// fail-after and drift were lost at every start). It is 512 bytes for each of the `CheckTargets.maximumCount`
    /// addresses a configuration may hold: an address without PTR names takes at most `maximumBareLineSize`, so
    /// any configuration fits whose addresses carry a name or two on average. A state larger than this is not
    /// written (the write fails with a message saying why) rather than written to be refused at the next start.
    public static let maximumSize = CheckTargets.maximumCount * 512
    /// The longest line of an address with no PTR names and no forward answers: the longest IPv6 text, the longest
    /// status word, the largest failure count and 19-digit times.
    static let maximumBareLineSize = 1 + "\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\": ".utf8.count
        + "{\"status\": \"critical\", \"temporary_failures\": 4000000000, ".utf8.count
        + "\"since\": 9223372036854775807, \"checked_at\": 9223372036854775807}".utf8.count + ",\n".utf8.count

    private enum Key {
        static let version = "version", addresses = "addresses", lastSuccess = "last_success"
        static let status = "status", ptrNames = "ptr_names", forward = "forward"
        static let temporaryFailures = "temporary_failures", since = "since", checkedAt = "checked_at"
        static let undelivered = "undelivered", oldStatus = "old_status", newStatus = "new_status"
        static let problems = "problems", changes = "changes", drifts = "drifts", tries = "tries"
        static let ptrCount = "ptr_count"
        static let discovered = "discovered", source = "source", region = "region"
    }

    /// What a state file holds.
    public struct Contents: Equatable, Sendable {
        public var states: [IPAddress: AddressState]
        /// End of the last run in which every address was OK, in epoch seconds; nil before there was one.
        public var lastSuccess: Int?
        /// `on-change` deliveries still owed, one per address.
        public var undelivered: [IPAddress: Delivery]
        /// The addresses `discover` last found: the baseline for attachment drift, and what a run checks when
        /// discovery fails.
        public var discovered: DiscoveredAddresses?

        public init(states: [IPAddress: AddressState], lastSuccess: Int? = nil,
                    undelivered: [IPAddress: Delivery] = [:], discovered: DiscoveredAddresses? = nil) {
            self.states = states
            self.lastSuccess = lastSuccess
            self.undelivered = undelivered
            self.discovered = discovered
        }
    }

    /// The JSON text of `states` (and `lastSuccess` and `undelivered`, when there are), ending with a newline; throws
    /// when it would be larger than `maximumSize`, which `decode` would refuse.
    public static func encode(_ states: [IPAddress: AddressState], lastSuccess: Int? = nil,
                              undelivered: [Delivery] = [],
                              discovered: DiscoveredAddresses? = nil) throws(StateFileError) -> String {
        try encode(states, lastSuccess: lastSuccess, undelivered: undelivered, discovered: discovered,
                   maximumSize: maximumSize)
    }

    static func encode(_ states: [IPAddress: AddressState], lastSuccess: Int?, undelivered: [Delivery] = [],
                       discovered: DiscoveredAddresses? = nil, maximumSize: Int) throws(StateFileError) -> String {
        let success = lastSuccess.map { "\(Escaping.jsonString(Key.lastSuccess)): \(max(0, $0)), " } ?? ""
        let head = "{\(Escaping.jsonString(Key.version)): \(version), " + success + encodeUndelivered(undelivered)
            + encodeDiscovered(discovered) + "\(Escaping.jsonString(Key.addresses)): {"
        guard !states.isEmpty else { return head + "}}\n" }
        // One buffer, written line by line: a String per line and their join took twice the memory and time.
        var text = head
        for (position, address) in states.keys.sorted().enumerated() {
            text += position == 0 ? "\n " : ",\n "
            text += Escaping.jsonString(address.description)
            text += ": "
            json(states[address]!).write(to: &text)
        }
        text += "\n}}\n"
        guard text.utf8.count <= maximumSize else {
            throw StateFileError("the state of \(states.count) addresses takes \(text.utf8.count) bytes, more than "
                                 + "the \(maximumSize) a state file may hold")
        }
        return text
    }

    /// Reads the text `encode` writes; throws for anything else: not JSON, another version, a missing or unknown
    /// key, a value of the wrong type, an address or forward answer that is not canonical text, a name that is
    /// not escaped presentation text, a forward answer for a name that is not a PTR name, a negative number.
    public static func decode(_ bytes: some Collection<UInt8>) throws(StateFileError) -> [IPAddress: AddressState] {
        try decodeContents(bytes).states
    }

    /// `decode`, with the file's `last_success` too.
    ///
    /// The addresses are decoded one at a time as they are read, never as one tree of the whole file (nine /16s
    /// are half a million entries). The errors are the ones a check of the whole document would give, in the
    /// same order: invalid JSON anywhere first, then the top-level keys, then the first bad address.
    public static func decodeContents(_ bytes: some Collection<UInt8>) throws(StateFileError) -> Contents {
        // An array (no copy when it is one already): a caller in another module gets unspecialized generic code,
        // and a loop over its bytes took longer than the decoding.
        // Refused by its length before it is copied: a file over the limit is hundreds of megabytes.
        guard bytes.count <= maximumSize else {
            throw StateFileError("not valid JSON: \(JSONParseError.tooLong(maximumSize))")
        }
        let bytes = Array(bytes)
        // Every member but the addresses' entries, which stand as an empty object when they are one.
        var document: JSONValue = .null
        var states: [IPAddress: AddressState] = [:]
        var firstBadAddress: StateFileError?
        do {
            try JSONReader.read(bytes, maximumBytes: maximumSize,
                                maximumDepth: JSONValue.defaultMaximumDepth) { reader throws(JSONParseError) in
                guard reader.isAtObject else {
                    document = try reader.readValue(depth: 0)
                    return
                }
                var top: [JSONValue.Member] = []
                try reader.readObject(depth: 1) { reader, key throws(JSONParseError) in
                    guard key == Key.addresses, reader.isAtObject else {
                        top.append(JSONValue.Member(key, try reader.readValue(depth: 1)))
                        return
                    }
                    top.append(JSONValue.Member(key, .object([])))
                    // rdnscheck writes one address a line: reserving for that many saves growing the tables.
                    let lines = bytes.count(where: { $0 == UInt8(ascii: "\n") })
                    states.reserveCapacity(lines)
                    try reader.readObject(depth: 2, expectedCount: lines) { reader, key throws(JSONParseError) in
                        let value = try reader.readValue(depth: 2)
                        // After a bad address the rest is only read, for the JSON errors that come first.
                        guard firstBadAddress == nil else { return }
                        do throws(StateFileError) {
                            try decodeAddress(key, value, into: &states)
                        } catch {
                            firstBadAddress = error
                        }
                    }
                }
                document = .object(top)
            }
        } catch {
            throw StateFileError("not valid JSON: \(error)")
        }
        let top = try members(of: document, "the file")
        // The version comes first: a newer format may differ in everything else, and saying so is clearer.
        guard let versionValue = top[Key.version] else { throw StateFileError("no \"version\"") }
        guard versionValue == .integer(version) else {
            throw StateFileError("unsupported version \(describe(versionValue)) (this rdnscheck reads \(version))")
        }
        let lastSuccess = try top[Key.lastSuccess].map { value throws(StateFileError) in
            try count(value, "\"last_success\"")
        }
        let undelivered = try top[Key.undelivered].map(decodeUndelivered) ?? [:]
        let discovered = try top[Key.discovered].map(decodeDiscovered)
        try expectKeys(top, [Key.version, Key.addresses], "the file",
                       optional: [Key.lastSuccess, Key.undelivered, Key.discovered])
        guard case .object = top[Key.addresses] else { throw StateFileError("\"addresses\" is not an object") }
        if let firstBadAddress { throw firstBadAddress }
        return Contents(states: states, lastSuccess: lastSuccess, undelivered: undelivered, discovered: discovered)
    }

    /// One member of `addresses`, added to `states`.
    private static func decodeAddress(_ key: String, _ value: JSONValue,
                                      into states: inout [IPAddress: AddressState]) throws(StateFileError) {
        // Built only for a message: most files have no error, and half a million of them took a tenth of the time.
        func place() -> String { "address \(Escaping.jsonExcerpt(key))" }
        guard let address = IPAddress(canonical: key) else {
            throw StateFileError("\(place()) is not an address in canonical form")
        }
        // The parser refuses duplicate keys, but an IPv4-mapped address has two canonical forms (0.1 wrote hex).
        // Said before anything wrong in the second one; looked up once when all is well.
        do throws(StateFileError) {
            guard states.updateValue(try state(from: value, place()), forKey: address) == nil else {
                throw StateFileError("\(place()) is given twice")
            }
        } catch {
            throw states[address] == nil ? error : StateFileError("\(place()) is given twice")
        }
    }

    /// `"undelivered": {` and one line per delivery, sorted by address; nothing when there is none.
    private static func encodeUndelivered(_ deliveries: [Delivery]) -> String {
        guard !deliveries.isEmpty else { return "" }
        let lines = deliveries.sorted { $0.address < $1.address }.map { delivery in
            " " + Escaping.jsonString(delivery.address.description) + ": " + JSONValue.object([
                JSONValue.Member(Key.oldStatus, .string(delivery.oldStatus.word)),
                JSONValue.Member(Key.newStatus, .string(delivery.newStatus.word)),
                JSONValue.Member(Key.problems, .array(delivery.problems.map { .string($0.rawValue) })),
                JSONValue.Member(Key.ptrNames, .array(delivery.ptrNames.map(JSONValue.string))),
            ] + (delivery.ptrCount > delivery.ptrNames.count ? [JSONValue.Member(Key.ptrCount,
                                                                                  .integer(delivery.ptrCount))] : []) + [
                JSONValue.Member(Key.changes, .array(delivery.changes.map(\.json))),
                JSONValue.Member(Key.drifts, .integer(delivery.drifts)),
                JSONValue.Member(Key.tries, .integer(delivery.tries)),
            ]).jsonText
        }
        return "\(Escaping.jsonString(Key.undelivered)): {\n" + lines.joined(separator: ",\n") + "\n}, "
    }

    /// `"discovered": {"source": "ec2", "addresses": […], "region": "eu-west-1"}, `; nothing without a discovery.
    private static func encodeDiscovered(_ discovered: DiscoveredAddresses?) -> String {
        guard let discovered else { return "" }
        let members = [
            JSONValue.Member(Key.source, .string(discovered.source.rawValue)),
            JSONValue.Member(Key.addresses, .array(discovered.addresses.map { .string($0.description) })),
        ] + (discovered.region.map { [JSONValue.Member(Key.region, .string($0))] } ?? [])
        return "\(Escaping.jsonString(Key.discovered)): " + JSONValue.object(members).jsonText + ",\n"
    }

    private static func decodeDiscovered(_ value: JSONValue) throws(StateFileError) -> DiscoveredAddresses {
        let place = "\"discovered\""
        let fields = try members(of: value, place)
        try expectKeys(fields, [Key.source, Key.addresses], place, optional: [Key.region])
        guard case .string(let word) = fields[Key.source], let source = DiscoverySource(rawValue: word) else {
            throw StateFileError("\(place): \"source\" is not one of ec2, interfaces")
        }
        let addresses = try self.addresses(fields[Key.addresses]!, "\(place): \"addresses\"")
        var region: String? = nil
        if let value = fields[Key.region] {
            guard case .string(let text) = value else { throw StateFileError("\(place): \"region\" is not a string") }
            region = text
        }
        do {
            return try DiscoveredAddresses.checked(source: source, addresses: addresses.compactMap { IPAddress($0) },
                                                   region: region)
        } catch {
            throw StateFileError("\(place): \(error.message)")
        }
    }

    private static func decodeUndelivered(_ value: JSONValue) throws(StateFileError) -> [IPAddress: Delivery] {
        guard case .object(let entries) = value else { throw StateFileError("\"undelivered\" is not an object") }
        var deliveries: [IPAddress: Delivery] = [:]
        for entry in entries {
            let place = "undelivered \(Escaping.jsonExcerpt(entry.key))"
            guard let address = IPAddress(entry.key), address.description == entry.key else {
                throw StateFileError("\(place) is not an address in canonical form")
            }
            let fields = try members(of: entry.value, place)
            // ptr_count is there only when the names were cut at the cap.
            try expectKeys(fields, [Key.oldStatus, Key.newStatus, Key.problems, Key.ptrNames, Key.changes, Key.drifts,
                                    Key.tries] + (fields[Key.ptrCount] == nil ? [] : [Key.ptrCount]), place)
            guard case .array(let codes) = fields[Key.problems] else {
                throw StateFileError("\(place): \"problems\" is not an array")
            }
            var problems: [ProblemCode] = []
            for code in codes {
                guard case .string(let text) = code, let problem = ProblemCode(rawValue: text) else {
                    throw StateFileError("\(place): \"problems\" holds \(describe(code)), not a problem code")
                }
                problems.append(problem)
            }
            guard case .array(let changeValues) = fields[Key.changes], !changeValues.isEmpty else {
                throw StateFileError("\(place): \"changes\" is not a non-empty array")
            }
            var changes: [Change] = []
            for changeValue in changeValues {
                let change = try self.change(from: changeValue, "\(place): a change")
                let order = Change.Field.allCases
                let rank = order.firstIndex(of: change.field)!
                guard changes.allSatisfy({ order.firstIndex(of: $0.field)! < rank }) else {
                    throw StateFileError("\(place): \"changes\" are not in the order ptr_names, forward, status")
                }
                changes.append(change)
            }
            deliveries[address] = Delivery(
                address: address, oldStatus: try status(fields[Key.oldStatus], "\(place): \"old_status\""),
                newStatus: try status(fields[Key.newStatus], "\(place): \"new_status\""), problems: problems,
                ptrNames: try names(fields[Key.ptrNames], "\(place): \"ptr_names\""),
                ptrCount: try fields[Key.ptrCount].map { value throws(StateFileError) in
                    try count(value, "\(place): \"ptr_count\"", maximum: Int(UInt16.max))
                },
                changes: changes,
                drifts: max(1, try count(fields[Key.drifts], "\(place): \"drifts\"",
                                         maximum: maximumTemporaryFailures)),
                tries: try count(fields[Key.tries], "\(place): \"tries\"", maximum: Delivery.maximumTries))
        }
        return deliveries
    }

    /// One element of a `changes` array, each value of the shape its field has in `Drift`.
    private static func change(from value: JSONValue,
                               _ place: @autoclosure () -> String) throws(StateFileError) -> Change {
        let fields = try members(of: value, place())
        try expectKeys(fields, ["field", "old", "new"], place())
        guard case .string(let name) = fields["field"], let field = Change.Field(rawValue: name) else {
            throw StateFileError("\(place()): \"field\" is not one of ptr_names, forward, status, attached")
        }
        for key in ["old", "new"] {
            let value = fields[key]!
            let valuePlace = "\(place()): \"\(key)\" of \(field.rawValue)"
            switch field {
            case .status: _ = try status(value, valuePlace)
            case .attached:
                guard case .bool = value else { throw StateFileError("\(valuePlace) is not true or false") }
            case .ptrNames: _ = try names(value, valuePlace)
            case .forward:
                guard case .object(let answers) = value else {
                    throw StateFileError("\(valuePlace) is not an object")
                }
                for answer in answers {
                    _ = try names(.array([.string(answer.key)]), valuePlace)
                    _ = try addresses(answer.value, valuePlace)
                }
            }
        }
        return Change(field: field, old: fields["old"]!, new: fields["new"]!)
    }

    private static func status(_ value: JSONValue?,
                               _ place: @autoclosure () -> String) throws(StateFileError) -> Status {
        guard case .string(let word) = value, let status = Status.allCases.first(where: { $0.word == word }) else {
            throw StateFileError("\(place()) is not one of ok, warning, critical, unknown")
        }
        return status
    }

    private static func json(_ state: AddressState) -> JSONValue {
        var members = [JSONValue.Member(Key.status, .string(state.status.word))]
        if !state.ptrNames.isEmpty {
            members.append(JSONValue.Member(Key.ptrNames, .array(state.ptrNames.map(JSONValue.string))))
        }
        if !state.forward.isEmpty {
            members.append(JSONValue.Member(Key.forward, .object(state.orderedForward.map {
                JSONValue.Member($0.name, .array($0.addresses.map(JSONValue.string)))
            })))
        }
        if state.temporaryFailures != 0 {
            members.append(JSONValue.Member(Key.temporaryFailures, .integer(state.temporaryFailures)))
        }
        members.append(JSONValue.Member(Key.since, .integer(state.since)))
        members.append(JSONValue.Member(Key.checkedAt, .integer(state.checkedAt)))
        return .object(members)
    }

    private static func state(from value: JSONValue,
                              _ place: @autoclosure () -> String) throws(StateFileError) -> AddressState {
        let fields = try members(of: value, place())
        try expectKeys(fields, [Key.status, Key.since, Key.checkedAt], place(),
                       optional: [Key.ptrNames, Key.forward, Key.temporaryFailures])
        guard case .string(let word) = fields[Key.status], let status = Status.allCases.first(where: {
            $0.word == word
        }) else {
            throw StateFileError("\(place()): \"status\" is not one of ok, warning, critical, unknown")
        }
        let ptrNames = try names(fields[Key.ptrNames] ?? .array([]), "\(place()): \"ptr_names\"")
        var forward: [String: [String]] = [:]
        guard case .object(let answers) = fields[Key.forward] ?? .object([]) else {
            throw StateFileError("\(place()): \"forward\" is not an object")
        }
        for answer in answers {
            func answerPlace() -> String { "\(place()): forward answer for \(Escaping.jsonExcerpt(answer.key))" }
            guard ptrNames.contains(answer.key) else { throw StateFileError("\(answerPlace()): not a PTR name") }
            forward[answer.key] = try addresses(answer.value, answerPlace())
        }
        let temporaryFailures = try count(fields[Key.temporaryFailures] ?? .integer(0),
                                          "\(place()): \"temporary_failures\"", maximum: maximumTemporaryFailures)
        let since = try count(fields[Key.since], "\(place()): \"since\"")
        let checkedAt = try count(fields[Key.checkedAt], "\(place()): \"checked_at\"")
        // Only a failed lookup counts, and it is never OK: a count beside "ok" is not rdnscheck's, and a planted
        // 3999999999 made the next timeout CRITICAL at once. Cleared rather than refused, to keep the baseline.
        return AddressState(status: status, ptrNames: ptrNames, forward: forward,
                            temporaryFailures: status == .ok ? 0 : temporaryFailures,
                            since: since, checkedAt: checkedAt)
    }

    private static func names(_ value: JSONValue?,
                              _ place: @autoclosure () -> String) throws(StateFileError) -> [String] {
        guard case .array(let values) = value else { throw StateFileError("\(place()) is not an array") }
        var names: [String] = []
        for value in values {
            guard case .string(let name) = value, isPresentationText(name) else {
                throw StateFileError("\(place()) holds \(describe(value)), not an escaped name")
            }
            names.append(name)
        }
        return names
    }

    private static func addresses(_ value: JSONValue,
                                  _ place: @autoclosure () -> String) throws(StateFileError) -> [String] {
        guard case .array(let values) = value else { throw StateFileError("\(place()) is not an array") }
        var addresses: [String] = []
        for value in values {
            guard case .string(let text) = value, let address = IPAddress(canonical: text) else {
                throw StateFileError("\(place()) holds \(describe(value)), not an address in canonical form")
            }
            addresses.append(address.description)
        }
        return addresses
    }

    /// More consecutive failures than runs fit in a century at one run a second: a larger count is corruption.
    static let maximumTemporaryFailures = 4_000_000_000

    private static func count(_ value: JSONValue?, _ place: @autoclosure () -> String,
                              maximum: Int = .max) throws(StateFileError) -> Int {
        guard case .integer(let number) = value, number >= 0, number <= maximum else {
            throw StateFileError("\(place()) is not " + (maximum == .max ? "a non-negative integer"
                                                                         : "an integer from 0 to \(maximum)"))
        }
        return number
    }

    /// An object's members by key. Its objects have a few keys each, so a scan is quicker than building a table
    /// for each of half a million addresses. Keys are unique: the parser refuses duplicates.
    private struct Fields {
        let members: [JSONValue.Member]

        subscript(key: String) -> JSONValue? { members.first { $0.key == key }?.value }
        var count: Int { members.count }
        var keys: [String] { members.map(\.key) }
    }

    private static func members(of value: JSONValue,
                                _ place: @autoclosure () -> String) throws(StateFileError) -> Fields {
        guard case .object(let members) = value else { throw StateFileError("\(place()) is not a JSON object") }
        return Fields(members: members)
    }

    private static func expectKeys(_ members: Fields, _ keys: [String], _ place: @autoclosure () -> String,
                                   optional: [String] = []) throws(StateFileError) {
        if let missing = keys.first(where: { members[$0] == nil }) {
            throw StateFileError("\(place()) has no \(Escaping.jsonExcerpt(missing))")
        }
        // With every expected key present, only a larger count means an unknown one; sorting names the same one
        // each time.
        let known = keys.count + optional.count(where: { members[$0] != nil })
        if members.count > known,
           let unknown = members.keys.sorted().first(where: { !keys.contains($0) && !optional.contains($0) }) {
            throw StateFileError("\(place()) has an unknown key \(Escaping.jsonExcerpt(unknown))")
        }
    }

    /// A short rendering of a wrong value for an error message.
    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): Escaping.jsonExcerpt(text)
        case .array: "an array"
        case .object: "an object"
        default: value.jsonText
        }
    }

    /// True for text `DNSName.description` can produce: letters, digits, `-`, `_`, `/` and `.`, and `\DDD`
    /// escapes of a byte. Anything else did not come from rdnscheck and would reach logs and `on-change`.
    private static func isPresentationText(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                let digits = bytes.dropFirst(index + 1).prefix(3)
                guard digits.count == 3, digits.allSatisfy(isDecimalDigit),
                      digits.reduce(0, { $0 * 10 + Int($1 - UInt8(ascii: "0")) }) <= 255 else { return false }
                index += 4
                continue
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "/"),
                 UInt8(ascii: "."):
                index += 1
            default:
                return false
            }
        }
        return true
    }
}

/// Why a state file could not be read; the message says where (`address "192.0.2.1": "since" is ...`).
public struct StateFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
