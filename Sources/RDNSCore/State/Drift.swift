/// One field of an address's state that differs from the last run, with both values as they appear in JSON.
public struct Change: Equatable, Sendable {
    /// The fields that can drift, in the order changes are listed.
    public enum Field: String, Sendable, CaseIterable {
        case ptrNames = "ptr_names"
        case forward
        case status
        /// A discovered address appeared on the host (old false, new true) or disappeared (the reverse).
        case attached
    }

    public let field: Field
    /// `ptr_names`: an array of names; `forward`: an object from name to an array of addresses;
    /// `status`: the lowercase status word; `attached`: true or false.
    public let old: JSONValue
    public let new: JSONValue

    public init(field: Field, old: JSONValue, new: JSONValue) {
        self.field = field
        self.old = old
        self.new = new
    }

    /// `{"field": "status", "old": "ok", "new": "critical"}`.
    public var json: JSONValue {
        .object([
            JSONValue.Member("field", .string(field.rawValue)),
            JSONValue.Member("old", old),
            JSONValue.Member("new", new),
        ])
    }
}

/// A change of status, PTR names or forward answers of one address since the last run (SPEC.md, "State, drift
/// and the daemon"). A first run sets the baseline and is never a drift; neither is a change of only the
/// failure count or the check time, nor of only the case of a name (names compare case-insensitively; the
/// changes show them in the case DNS gave them).
public struct Drift: Equatable, Sendable, CustomStringConvertible {
    /// Which way the status moved, for the log priority: `worse` is logged as a warning, the others as a notice.
    public enum Direction: Sendable, Equatable {
        /// The status rose in the order OK < WARNING < CRITICAL < UNKNOWN.
        case worse
        case better
        /// The status stayed and names or answers changed: the old verdict already told the operator how
        /// things stand, so the change is news, not an alarm.
        case sameStatus
    }

    public let address: IPAddress
    public let oldStatus: Status
    public let newStatus: Status
    /// Never empty; in the order ptr_names, forward, status, attached.
    public private(set) var changes: [Change]

    /// The drift from `previous` to `next`; nil when there is no previous state or nothing drifted.
    public init?(address: IPAddress, previous: AddressState?, next: AddressState) {
        guard let previous else { return nil }
        let changes = Drift.changes(from: previous, to: next)
        guard !changes.isEmpty else { return nil }
        self.address = address
        oldStatus = previous.status
        newStatus = next.status
        self.changes = changes
    }

    /// A discovered address that appeared on the host (`attached` true: it is checked from now on, and `status` is
    /// its first result's) or disappeared (false: no longer checked unless a `check` line lists it, `stillChecked`;
    /// `status` is its last). Its records are not compared: an address that appears has no baseline, and one that
    /// disappears has no new result.
    public init(address: IPAddress, attached: Bool, status: Status, stillChecked: Bool = false) {
        self.address = address
        oldStatus = status
        newStatus = status
        changes = [Change(field: .attached, old: .bool(!attached), new: .bool(attached))]
        self.stillChecked = stillChecked
    }

    /// This drift of records, for an address that also appeared on the host or disappeared from it in the same run
    /// (one a `check` line lists too, so it has a baseline and a result).
    public func attaching(_ attached: Bool) -> Drift {
        var drift = self
        drift.changes.append(Change(field: .attached, old: .bool(!attached), new: .bool(attached)))
        drift.stillChecked = true
        return drift
    }

    /// An address that disappeared from the host and is still checked: a `check` line lists it.
    public private(set) var stillChecked = false

    /// Whether this drift is an address appearing (true) or disappearing (false); nil for a change of records.
    public var attachment: Bool? {
        guard case .bool(let attached) = changes.first(where: { $0.field == .attached })?.new else { return nil }
        return attached
    }

    /// One change per field that differs, in the order ptr_names, forward, status; none without a previous state.
    public static func changes(from previous: AddressState?, to next: AddressState) -> [Change] {
        guard let previous else { return [] }
        var changes: [Change] = []
        let same = previous.hasSameRecords(as: next)
        if !same.ptrNames {
            changes.append(Change(field: .ptrNames, old: namesJSON(previous), new: namesJSON(next)))
        }
        if !same.forward {
            changes.append(Change(field: .forward, old: forwardJSON(previous), new: forwardJSON(next)))
        }
        if previous.status != next.status {
            changes.append(Change(field: .status, old: .string(previous.status.word), new: .string(next.status.word)))
        }
        return changes
    }

    /// The JSON `changes` array of SPEC.md, for `RDNSCHECK_CHANGES` and the JSON report (`[]` when empty):
    /// `[{"field": "status", "old": "ok", "new": "critical"}]`.
    public static func json(_ changes: [Change]) -> String {
        JSONValue.array(changes.map(\.json)).jsonText
    }

    /// Whether the status got worse, better or stayed (see `Direction`). An address that appeared is worse when it
    /// does not pass: mail may leave from it now.
    public var direction: Direction {
        if attachment == true { return newStatus > .ok ? .worse : .sameStatus }
        return newStatus > oldStatus ? .worse : newStatus < oldStatus ? .better : .sameStatus
    }

    /// One log line, status first because it says the most:
    /// `192.0.2.10: status ok -> critical; ptr_names [mail.example.com] -> [mx.example.com]`.
    /// Forward answers print as `{mx.example.com: [198.51.100.9]}`.
    /// An attachment reads `192.0.2.10: appeared on this host (status warning)` or `… disappeared from this host`.
    public var description: String {
        var parts: [String] = []
        switch attachment {
        case true?: parts.append("appeared on this host" + (changes.count == 1 ? " (status \(newStatus.word))" : ""))
        case false?: parts.append("disappeared from this host" + (stillChecked ? "" : "; no longer checked"))
        case nil: break
        }
        for field in [Change.Field.status, .ptrNames, .forward] {
            guard let change = changes.first(where: { $0.field == field }) else { continue }
            parts.append("\(field.rawValue) \(Drift.logText(change.old)) -> \(Drift.logText(change.new))")
        }
        return "\(address): " + parts.joined(separator: "; ")
    }

    private static func namesJSON(_ state: AddressState) -> JSONValue {
        .array(state.ptrNames.map(JSONValue.string))
    }

    private static func forwardJSON(_ state: AddressState) -> JSONValue {
        .object(state.orderedForward.map { JSONValue.Member($0.name, .array($0.addresses.map(JSONValue.string))) })
    }

    /// A change's value without JSON quotes. Names in a state are escaped presentation text already, but a state
    /// can be built from any strings, so every byte outside printable ASCII (and the space, which would make
    /// the list ambiguous) is escaped as `\DDD` again to keep the line one line. A list prints at most
    /// `AddressResult.maximumPTRNames` items and counts the rest: a state file written before names were capped,
    /// or a forward answer of thousands of addresses, must not make one log line megabytes long.
    private static func logText(_ value: JSONValue) -> String {
        let shown = AddressResult.maximumPTRNames
        switch value {
        case .string(let text):
            return escaped(text)
        case .array(let values):
            return "[" + values.prefix(shown).map(logText).joined(separator: ", ")
                + AddressResult.andMore(values.count - shown) + "]"
        case .object(let members):
            return "{" + members.prefix(shown).map { escaped($0.key) + ": " + logText($0.value) }
                .joined(separator: ", ") + AddressResult.andMore(members.count - shown) + "}"
        default:
            return value.jsonText
        }
    }

    private static func escaped(_ text: String) -> String {
        Escaping.decimal(text, keeping: { (0x21...0x7e).contains($0) })
    }
}
