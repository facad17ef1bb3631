/// The status of an address or a run, in the monitoring-plugins order (the exit code is the raw value).
public enum Status: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case ok = 0
    case warning = 1
    case critical = 2
    case unknown = 3

    public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    public var description: String {
        switch self {
        case .ok: "OK"
        case .warning: "WARNING"
        case .critical: "CRITICAL"
        case .unknown: "UNKNOWN"
        }
    }

    /// The lowercase word used in JSON and environment variables.
    public var word: String {
        switch self {
        case .ok: "ok"
        case .warning: "warning"
        case .critical: "critical"
        case .unknown: "unknown"
        }
    }
}

/// Stable machine-readable problem codes (never renamed; new ones may be added).
public enum ProblemCode: String, Sendable, CaseIterable, Comparable {
    case noPTR = "no-ptr"
    case forwardMismatch = "forward-mismatch"
    case forwardNoAddress = "forward-no-address"
    case partialConfirmation = "partial-confirmation"
    case expectedNameMismatch = "expected-name-mismatch"
    case multiplePTR = "multiple-ptr"
    case genericPTR = "generic-ptr"
    case ptrIsCNAME = "ptr-is-cname"
    case invalidHostname = "invalid-hostname"
    case cnameLoop = "cname-loop"
    case temporaryFailure = "temporary-failure"

    public static func < (lhs: ProblemCode, rhs: ProblemCode) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One thing wrong with an address: a code, the status it implies, and one line naming the records.
public struct Problem: Hashable, Sendable {
    public let code: ProblemCode
    public let severity: Status
    /// The explanation without the address prefix (`PTR mx.example.com resolves to ...`).
    public let detail: String

    public init(_ code: ProblemCode, _ severity: Status, _ detail: String) {
        self.code = code
        self.severity = severity
        self.detail = detail
    }

    /// The full one-line message: `203.0.113.25: PTR mail.example.com resolves to ...`.
    public func message(for address: IPAddress) -> String {
        "\(address): \(detail)"
    }
}

/// What to do with generic PTR names (`generic-ptr` directive).
public enum GenericNamePolicy: String, Sendable, CaseIterable {
    case warn, fail, ignore
}

/// Settings that turn findings into statuses.
public struct CheckPolicy: Sendable, Equatable {
    public var genericNames: GenericNamePolicy
    /// Consecutive temporary failures after which an address is CRITICAL rather than WARNING.
    public var failAfter: Int

    public static let defaultFailAfter = 3

    public init(genericNames: GenericNamePolicy = .warn, failAfter: Int = CheckPolicy.defaultFailAfter) {
        self.genericNames = genericNames
        self.failAfter = failAfter
    }
}
