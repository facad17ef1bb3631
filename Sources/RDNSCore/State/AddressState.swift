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
            // Names keep the case DNS gave them, as in every other output; `Drift` compares them
            // case-insensitively, so a PTR that only changes case is no drift.
            ptrNames = result.ptrNames.map(\.description)
            // Names that differ only in case are one name; the closure keeps the first.
            var answers: [String: [String]] = [:]
            var seen: Set<String> = []
            for answer in result.forward where seen.insert(answer.name.description.lowercased()).inserted {
                answers[answer.name.description] = answer.addresses.map(\.description)
            }
            forward = answers
        }
        status = result.status
        temporaryFailures = result.temporaryFailures
        since = previous.flatMap { $0.status == result.status ? $0.since : nil } ?? now
        checkedAt = now
    }

    /// Whether `other` holds the same names and answers, names compared case-insensitively (SPEC.md).
    func hasSameRecords(as other: AddressState) -> (ptrNames: Bool, forward: Bool) {
        func folded(_ forward: [String: [String]]) -> [String: [String]] {
            Dictionary(forward.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        }
        return (ptrNames.map { $0.lowercased() } == other.ptrNames.map { $0.lowercased() },
                folded(forward) == folded(other.forward))
    }

    /// `forward` in a stable order: the order of `DNSName` (case-insensitive, then by bytes), which for
    /// presentation texts is their lowercased text, then the text itself.
    var orderedForward: [(name: String, addresses: [String])] {
        forward.map { (name: $0.key, addresses: $0.value) }
            .sorted { ($0.name.lowercased(), $0.name) < ($1.name.lowercased(), $1.name) }
    }
}
