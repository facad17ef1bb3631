/// The one seam between the check and DNS: ask one question (class IN), get the reply or why there is none.
///
/// Implementations send exactly the question asked; following CNAMEs is the core's job (`ChainedLookup`), so a
/// blocking libresolv pool, a pipelined engine and a test table all behave the same above this line.
public protocol DNSResolver: Sendable {
    func query(_ name: DNSName, type: RecordType) async -> QueryOutcome
}

/// What one question got back.
public enum QueryOutcome: Sendable, Equatable {
    /// A reply with RCODE NOERROR or NXDOMAIN; its answer section, unfiltered (the core checks owners and types).
    case reply(rcode: UInt8, answers: [ResourceRecord])
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
