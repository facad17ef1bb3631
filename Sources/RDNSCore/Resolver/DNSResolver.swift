/// The one seam between the check and DNS: ask one question (class IN), get the reply or why there is none.
///
/// Implementations send exactly the question asked; following CNAMEs is the core's job (`ChainedLookup`), so a
/// blocking libresolv pool, a pipelined engine and a test table all behave the same above this line.
///
/// What a caller needs from an engine besides answers is here too, with defaults for resolvers that need none of it
/// (a test table, libresolv's pool): nothing above this line names an implementation.
public protocol DNSResolver: Sendable {
    /// Asks `name`/`type` with the header bits `options` asks for (an engine must set them on the wire).
    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome

    /// How many checks to keep in flight so the resolver stays busy (each check asks one question at a time).
    var checksInFlight: Int { get }

    /// Why the resolver works with less concurrency than asked for (an open-files limit), for the log; nil if not.
    var concurrencyReduction: String? { get }

    /// Which nameservers the resolver asks and why, when they are not what the configuration or /etc/resolv.conf
    /// names (`SystemNameservers`), for the log at each start and reload; nil if nothing needs saying.
    var nameserverNotice: String? { get }

    /// Runs `body`, the checks of a run, where the resolver wants them: an engine with its own thread runs them
    /// there, beside its sockets.
    func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T

    /// An actor whose executor is the resolver's own thread, for the many checks of a range: a task isolated to it
    /// runs beside the sockets as under `run`, for less (`ForwardConfirmation.check(_:concurrency:…)`); nil for a
    /// resolver without a thread of its own.
    var isolation: (any Actor)? { get }

    /// How the queries since the last call were paced (`--rate`, or the engine slowing down for a nameserver that
    /// drops queries); nil when the resolver does not pace. Each call starts a new tally.
    func takePacingSummary() -> PacingSummary?

    /// Stops the resolver's threads; later queries fail at once.
    func shutdown()
}

extension DNSResolver {
    /// An ordinary question: RD (and AD, to learn whether the answer was validated), no other bit.
    /// Inlined: as an async function of its own it cost each query a frame from the task allocator and one more
    /// resumption on the way back (about 280 instructions a check, measured with callgrind on a /16).
    @inline(__always)
    public func query(_ name: DNSName, type: RecordType) async -> QueryOutcome {
        await query(name, type: type, options: [])
    }

    public var checksInFlight: Int { 32 }
    public var concurrencyReduction: String? { nil }
    public var nameserverNotice: String? { nil }
    public func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T { await body() }
    public var isolation: (any Actor)? { nil }
    public func takePacingSummary() -> PacingSummary? { nil }
    public func shutdown() {}
}

/// Header bits of a question beyond the ordinary ones.
public struct QueryOptions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// CD, checking disabled (RFC 4035 3.2.2): a validating resolver answers without validating, so an answer to a
    /// question that got SERVFAIL without it shows that DNSSEC validation is what fails (`ServerFailureDiagnosis`).
    public static let checkingDisabled = QueryOptions(rawValue: 1 << 0)
}

/// What one question got back.
public enum QueryOutcome: Sendable, Equatable {
    /// A reply with RCODE NOERROR or NXDOMAIN; its answer section, unfiltered (the core checks owners and types),
    /// and its AA and AD bits (the core needs them to tell an answer systemd-resolved made up).
    case reply(rcode: UInt8, answers: [ResourceRecord], flags: ReplyFlags = [])
    /// No usable reply: a temporary failure, never to be confused with "no record".
    case failure(LookupFailure)
}

/// Why a lookup produced no usable reply. All of these are temporary: the record may well exist.
public enum LookupFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// RCODE 2.
    case serverFailure
    /// RCODE 5 (or NOTIMP: the server will not answer this).
    case refused
    /// RCODE 1: the server could not parse the query.
    case formatError
    /// No reply within timeout x attempts.
    case timeout
    /// Nothing listening or no route: no nameserver reachable.
    case unreachable
    /// A reply arrived but could not be parsed or did not match the question.
    case malformed(String)
    /// The TCP connection for a truncated reply was reset or closed before the whole reply arrived.
    case connectionFailed(String)
    /// The resolver failed locally (e.g. could not build the query).
    case localError(String)

    public var description: String {
        switch self {
        case .serverFailure: "SERVFAIL"
        case .refused: "REFUSED"
        case .formatError: "FORMERR"
        case .timeout: "timeout"
        case .unreachable: "no nameserver reachable"
        case .malformed(let why): "malformed reply (\(why))"
        case .connectionFailed(let why): "TCP connection failed (\(why))"
        case .localError(let why): "resolver error (\(why))"
        }
    }
}
