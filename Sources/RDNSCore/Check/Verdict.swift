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
    /// The resolver answers SERVFAIL, but answers with CD (checking disabled) set: DNSSEC validation fails.
    case dnssecBogus = "dnssec-bogus"
    /// More than `ChainedLookup.longChain` CNAMEs before the answer: legal, but some resolvers give up.
    case longCNAMEChain = "long-cname-chain"
    case temporaryFailure = "temporary-failure"
    /// AWS was asked to set the PTR and has not done it yet (`aws-ptr on`).
    case ptrUpdatePending = "ptr-update-pending"
    /// AWS's PTR update ended in a status other than successful.
    case ptrUpdateFailed = "ptr-update-failed"
    /// AWS's `PtrRecord` is not the PTR live DNS gives.
    case awsPTRMismatch = "aws-ptr-mismatch"
    /// The answer came from a resolver that invents records for the host's own addresses (systemd-resolved).
    case synthesizedAnswer = "synthesized-answer"

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
    /// What to change, and where, when the cure is known (`add an A record: mail.example.com. A 203.0.113.25`).
    public var fix: String?

    public init(_ code: ProblemCode, _ severity: Status, _ detail: String, fix: String? = nil) {
        self.code = code
        self.severity = severity
        self.detail = detail
        self.fix = fix
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

/// A problem of the run rather than of one address (JSON's top-level `problems`): it raises the run's status as an
/// address's problem would.
public struct RunProblem: Hashable, Sendable {
    /// Stable codes, never renamed.
    public enum Code: String, Sendable, CaseIterable {
        /// `discover` could not ask: the run used the addresses last discovered.
        case discoveryFailed = "discovery-failed"
        /// `aws-ptr on` could not read AWS's records: the verdicts stand on DNS alone.
        case awsUnavailable = "aws-unavailable"
        /// Discovery found no address and there is no `check` line: nothing was checked (UNKNOWN).
        case nothingToCheck = "nothing-to-check"
    }

    public let code: Code
    public let severity: Status
    /// One line saying why (`metadata service at http://169.254.169.254: no answer within 1s (2 attempts)`).
    public let message: String

    public init(_ code: Code, _ severity: Status, _ message: String) {
        self.code = code
        self.severity = severity
        self.message = message
    }
}
