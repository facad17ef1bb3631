/// One run of `on-change` owed for an address: the drift it reports and how often it has been tried.
///
/// Delivery is at-least-once (SPEC.md, "State, drift and the daemon"): a delivery whose program could not be
/// started or was cut off is kept, in the state file too, and tried again on later runs. Two deliveries for one
/// address merge into one that spans both, so at most one waits per address however often it drifts.
public struct Delivery: Equatable, Sendable {
    public let address: IPAddress
    public var oldStatus: Status
    public var newStatus: Status
    /// The problem codes of the newest result, in its order.
    public var problems: [ProblemCode]
    /// The PTR names of the newest result, as escaped presentation text in the case DNS gave them: at most
    /// `AddressResult.maximumPTRNames`, the first in sorted order.
    public var ptrNames: [String]
    /// How many PTR names the newest result had in all (`ptrNames.count` or more).
    public var ptrCount: Int
    /// Never empty; in the order ptr_names, forward, status.
    public var changes: [Change]
    /// How many drifts this delivery reports: 1, or more once merged.
    public var drifts: Int
    /// Runs of the program tried for it so far (each started, or failed to start).
    public var tries: Int

    /// A delivery tried this often and still not made is dropped with an error line.
    public static let maximumTries = 3

    public init(address: IPAddress, oldStatus: Status, newStatus: Status, problems: [ProblemCode],
                ptrNames: [String], ptrCount: Int? = nil, changes: [Change], drifts: Int = 1, tries: Int = 0) {
        self.address = address
        self.oldStatus = oldStatus
        self.newStatus = newStatus
        self.problems = problems
        self.ptrNames = ptrNames
        self.ptrCount = max(ptrCount ?? ptrNames.count, ptrNames.count)
        self.changes = changes
        self.drifts = drifts
        self.tries = tries
    }

    /// The delivery of `drift`, found in the check that gave `result`.
    public init(_ drift: Drift, result: AddressResult) {
        self.init(address: drift.address, oldStatus: drift.oldStatus, newStatus: drift.newStatus,
                  problems: result.problems.map(\.code), ptrNames: result.ptrNames.map(\.description),
                  ptrCount: result.ptrCount, changes: drift.changes)
    }

    /// The delivery of `drift` for an address that has no result this run (it disappeared from the host): the
    /// names are the last run's.
    public init(_ drift: Drift, lastState: AddressState?) {
        self.init(address: drift.address, oldStatus: drift.oldStatus, newStatus: drift.newStatus, problems: [],
                  ptrNames: lastState?.ptrNames ?? [], changes: drift.changes)
    }

    /// This delivery followed by `later`, for the same address, as one: from this one's old values to `later`'s
    /// new values, field by field. A field that changed and changed back stays listed (old and new then equal)
    /// so the program still hears that it moved; `drifts` says how many drifts the delivery stands for.
    /// `later` brings its own tries: it is a new drift, owed its own chances.
    public func merged(with later: Delivery) -> Delivery {
        var merged = later
        merged.oldStatus = oldStatus
        merged.changes = Change.Field.allCases.compactMap { field in
            let first = changes.first { $0.field == field }
            let last = later.changes.first { $0.field == field }
            guard let first else { return last }
            guard let last else { return first }
            return Change(field: field, old: first.old, new: last.new)
        }
        merged.drifts = drifts + later.drifts
        return merged
    }
}
