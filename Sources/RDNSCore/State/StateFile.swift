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
/// Addresses are sorted and each takes one line, so the file diffs well; an address's keys are `status`,
/// `ptr_names`, `forward`, `temporary_failures`, `since` and `checked_at` (epoch seconds), nothing else.
/// Decoding is strict: a file that is not what `encode` could have written is corrupt, and the caller replaces
/// it (SPEC.md) rather than guessing. Round trips are exact for every state `AddressState(result:previous:now:)`
/// builds with a non-negative `now`.
public enum StateFile {
    /// The format version this code writes and reads.
    public static let version = 1
    /// Files larger than this are corrupt: about 250,000 addresses at a generous 250 bytes a line.
    public static let maximumSize = 64 * 1024 * 1024

    private enum Key {
        static let version = "version", addresses = "addresses", lastSuccess = "last_success"
        static let status = "status", ptrNames = "ptr_names", forward = "forward"
        static let temporaryFailures = "temporary_failures", since = "since", checkedAt = "checked_at"
    }

    /// What a state file holds.
    public struct Contents: Equatable, Sendable {
        public var states: [IPAddress: AddressState]
        /// End of the last run in which every address was OK, in epoch seconds; nil before there was one.
        public var lastSuccess: Int?

        public init(states: [IPAddress: AddressState], lastSuccess: Int? = nil) {
            self.states = states
            self.lastSuccess = lastSuccess
        }
    }

    /// The JSON text of `states` (and `lastSuccess`, when there is one), ending with a newline.
    public static func encode(_ states: [IPAddress: AddressState], lastSuccess: Int? = nil) -> String {
        let success = lastSuccess.map { "\(JSONReport.quoted(Key.lastSuccess)): \(max(0, $0)), " } ?? ""
        let head = "{\(JSONReport.quoted(Key.version)): \(version), " + success
            + "\(JSONReport.quoted(Key.addresses)): {"
        guard !states.isEmpty else { return head + "}}\n" }
        let lines = states.sorted { $0.key < $1.key }.map { address, state in
            " " + JSONReport.quoted(address.description) + ": " + json(state).jsonText
        }
        return head + "\n" + lines.joined(separator: ",\n") + "\n}}\n"
    }

    /// Reads the text `encode` writes; throws for anything else: not JSON, another version, a missing or unknown
    /// key, a value of the wrong type, an address or forward answer that is not canonical text, a name that is
    /// not escaped presentation text, a forward answer for a name that is not a PTR name, a negative number.
    public static func decode(_ bytes: some Collection<UInt8>) throws(StateFileError) -> [IPAddress: AddressState] {
        try decodeContents(bytes).states
    }

    /// `decode`, with the file's `last_success` too.
    public static func decodeContents(_ bytes: some Collection<UInt8>) throws(StateFileError) -> Contents {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes, maximumBytes: maximumSize)
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
        try expectKeys(top, [Key.version, Key.addresses] + (lastSuccess == nil ? [] : [Key.lastSuccess]), "the file")
        guard case .object(let entries) = top[Key.addresses] else {
            throw StateFileError("\"addresses\" is not an object")
        }
        var states: [IPAddress: AddressState] = [:]
        states.reserveCapacity(entries.count)
        for entry in entries {
            let place = "address \(quotedExcerpt(entry.key))"
            guard let address = IPAddress(canonical: entry.key) else {
                throw StateFileError("\(place) is not an address in canonical form")
            }
            // The parser refuses duplicate keys, but an IPv4-mapped address has two canonical forms (0.1 wrote hex).
            guard states[address] == nil else { throw StateFileError("\(place) is given twice") }
            states[address] = try state(from: entry.value, place)
        }
        return Contents(states: states, lastSuccess: lastSuccess)
    }

    private static func json(_ state: AddressState) -> JSONValue {
        .object([
            JSONValue.Member(Key.status, .string(state.status.word)),
            JSONValue.Member(Key.ptrNames, .array(state.ptrNames.map(JSONValue.string))),
            JSONValue.Member(Key.forward, .object(state.orderedForward.map {
                JSONValue.Member($0.name, .array($0.addresses.map(JSONValue.string)))
            })),
            JSONValue.Member(Key.temporaryFailures, .integer(state.temporaryFailures)),
            JSONValue.Member(Key.since, .integer(state.since)),
            JSONValue.Member(Key.checkedAt, .integer(state.checkedAt)),
        ])
    }

    private static func state(from value: JSONValue, _ place: String) throws(StateFileError) -> AddressState {
        let fields = try members(of: value, place)
        try expectKeys(fields, [Key.status, Key.ptrNames, Key.forward, Key.temporaryFailures, Key.since,
                                Key.checkedAt], place)
        guard case .string(let word) = fields[Key.status], let status = Status.allCases.first(where: {
            $0.word == word
        }) else {
            throw StateFileError("\(place): \"status\" is not one of ok, warning, critical, unknown")
        }
        let ptrNames = try names(fields[Key.ptrNames], "\(place): \"ptr_names\"")
        var forward: [String: [String]] = [:]
        guard case .object(let answers) = fields[Key.forward] else {
            throw StateFileError("\(place): \"forward\" is not an object")
        }
        for answer in answers {
            let answerPlace = "\(place): forward answer for \(quotedExcerpt(answer.key))"
            guard ptrNames.contains(answer.key) else { throw StateFileError("\(answerPlace): not a PTR name") }
            forward[answer.key] = try addresses(answer.value, answerPlace)
        }
        let temporaryFailures = try count(fields[Key.temporaryFailures], "\(place): \"temporary_failures\"",
                                          maximum: maximumTemporaryFailures)
        let since = try count(fields[Key.since], "\(place): \"since\"")
        let checkedAt = try count(fields[Key.checkedAt], "\(place): \"checked_at\"")
        return AddressState(status: status, ptrNames: ptrNames, forward: forward, temporaryFailures: temporaryFailures,
                            since: since, checkedAt: checkedAt)
    }

    private static func names(_ value: JSONValue?, _ place: String) throws(StateFileError) -> [String] {
        guard case .array(let values) = value else { throw StateFileError("\(place) is not an array") }
        var names: [String] = []
        for value in values {
            guard case .string(let name) = value, isPresentationText(name) else {
                throw StateFileError("\(place) holds \(describe(value)), not an escaped name")
            }
            names.append(name)
        }
        return names
    }

    private static func addresses(_ value: JSONValue, _ place: String) throws(StateFileError) -> [String] {
        guard case .array(let values) = value else { throw StateFileError("\(place) is not an array") }
        var addresses: [String] = []
        for value in values {
            guard case .string(let text) = value, let address = IPAddress(canonical: text) else {
                throw StateFileError("\(place) holds \(describe(value)), not an address in canonical form")
            }
            addresses.append(address.description)
        }
        return addresses
    }

    /// More consecutive failures than runs fit in a century at one run a second: a larger count is corruption.
    static let maximumTemporaryFailures = 4_000_000_000

    private static func count(_ value: JSONValue?, _ place: String, maximum: Int = .max) throws(StateFileError) -> Int {
        guard case .integer(let number) = value, number >= 0, number <= maximum else {
            throw StateFileError("\(place) is not " + (maximum == .max ? "a non-negative integer"
                                                                       : "an integer from 0 to \(maximum)"))
        }
        return number
    }

    private static func members(of value: JSONValue, _ place: String) throws(StateFileError) -> [String: JSONValue] {
        guard case .object(let members) = value else { throw StateFileError("\(place) is not a JSON object") }
        // Keys are unique: the parser refuses duplicates.
        return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    private static func expectKeys(_ members: [String: JSONValue], _ keys: [String],
                                   _ place: String) throws(StateFileError) {
        if let missing = keys.first(where: { members[$0] == nil }) {
            throw StateFileError("\(place) has no \(quotedExcerpt(missing))")
        }
        // With every expected key present, only a larger count means an unknown one; sorting names the same one
        // each time.
        if members.count > keys.count, let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw StateFileError("\(place) has an unknown key \(quotedExcerpt(unknown))")
        }
    }

    /// A short rendering of a wrong value for an error message.
    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): quotedExcerpt(text)
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
