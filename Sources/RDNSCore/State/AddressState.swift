/// What rdnscheck remembers about one address between runs: the state file's unit, and what drift is measured
/// against.
///
/// Names and addresses are kept as the text the reports print (escaped presentation form, canonical addresses),
/// so the stored state compares, serializes and logs without re-parsing anything.
public struct AddressState: Equatable, Sendable {
    public var status: Status
    /// `DNSName.description` of every PTR name, in `AddressResult.ptrNames` order.
    public var ptrNames: [String]
    /// PTR name (as in `ptrNames`) to the canonical text of its forward addresses, in `ForwardAnswer` order.
    public var forward: [String: [String]]
    /// Consecutive runs that ended in a temporary failure, the last one included.
    public var temporaryFailures: Int
    /// Seconds since the epoch when `status` began.
    public var since: Int
    /// Seconds since the epoch of the last check.
    public var checkedAt: Int

    public init(status: Status, ptrNames: [String], forward: [String: [String]], temporaryFailures: Int,
                since: Int, checkedAt: Int) {
        self.status = status
        self.ptrNames = ptrNames
        self.forward = forward
        self.temporaryFailures = temporaryFailures
        self.since = since
        self.checkedAt = checkedAt
    }

    /// The state after a check at `now` (seconds since the epoch) that gave `result`, given the state before it
    /// (nil on the address's first run).
    ///
    /// A result with a temporary failure keeps the previous PTR names and forward answers (SPEC.md: only the
    /// status and the failure count move), because a failed lookup says nothing about the records; without a
    /// previous state it stores what the result has. The failure count is the result's own: the check computed
    /// it from `previous.temporaryFailures`, and it is the count the result's status was decided with.
    /// `since` moves only when the status changes.
    public init(result: AddressResult, previous: AddressState?, now: Int) {
        let lookupFailed = result.problems.contains { $0.code == .temporaryFailure }
        if let previous, lookupFailed {
            ptrNames = previous.ptrNames
            forward = previous.forward
        } else {
            // Names are stored lowercased: names compare case-insensitively (SPEC.md), so a PTR that only changes
            // case is no drift.
            ptrNames = result.ptrNames.map { $0.description.lowercased() }
            // Names that differ only in case are one name; the closure keeps the first.
            let answers = result.forward.map { ($0.name.description.lowercased(), $0.addresses.map(\.description)) }
            forward = Dictionary(answers, uniquingKeysWith: { first, _ in first })
        }
        status = result.status
        temporaryFailures = result.temporaryFailures
        since = previous.flatMap { $0.status == result.status ? $0.since : nil } ?? now
        checkedAt = now
    }

    /// `forward` in a stable order: the order of `DNSName` (case-insensitive, then by bytes), which for
    /// presentation texts is their lowercased text, then the text itself.
    var orderedForward: [(name: String, addresses: [String])] {
        forward.map { (name: $0.key, addresses: $0.value) }
            .sorted { ($0.name.lowercased(), $0.name) < ($1.name.lowercased(), $1.name) }
    }
}
