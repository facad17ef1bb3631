import CResolv
import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// The one place where libresolv's signals (the reply glibc accepted, the RCODE of a reply to the query that it
/// gave up on, `errno`, the deadline) and the pipelined engine's replies become a `QueryOutcome`. (The engine's
/// `TCPExchange` still maps its socket errors itself; `failure(errorNumber:)` is the mapping to share.)
///
/// glibc retries SERVFAIL, REFUSED and NOTIMP on the next attempt and then fails without a reply; the shim reports
/// the RCODE of the reply left in its buffer only when that reply answers the very query (ID and question), so
/// junk glibc threw away is never read as a failure of the server: with nothing else it is a timeout, as in the
/// pipelined engine, which ignores such replies.
enum OutcomeClassifier {
    static let rcodeFormatError: Int32 = 1
    static let rcodeServerFailure: Int32 = 2
    static let rcodeNotImplemented: Int32 = 4
    static let rcodeRefused: Int32 = 5

    /// What a lookup cut short by the resolver's shutdown reports, whatever the engine.
    static let shutDown = LookupFailure.localError("resolver is shut down")

    static func classify(_ result: cresolv_result, reply: UnsafeBufferPointer<UInt8>,
                         name: DNSName, type: RecordType) -> QueryOutcome {
        if result.interrupted != 0 {
            return .failure(shutDown)
        }
        if result.length > 0 {
            // A reply glibc accepted: an answer, NXDOMAIN, NODATA or FORMERR.
            return parse(UnsafeBufferPointer(rebasing: reply[0..<Int(result.length)]), name: name, type: type)
        }
        if result.deadline_expired != 0 {
            return .failure(.timeout)
        }
        if result.error_number == 0 && ![rcodeServerFailure, rcodeRefused, rcodeNotImplemented].contains(result.rcode) {
            // glibc fails with errno 0 only when a TCP server closed the connection before the whole reply.
            return .failure(.connectionFailed("the server closed the TCP connection before the whole reply"))
        }
        return .failure(failure(rcode: result.rcode, errorNumber: result.error_number))
    }

    /// A failure from the RCODE of a reply to the query, or from errno when there is none.
    static func failure(rcode: Int32, errorNumber: Int32) -> LookupFailure {
        switch rcode {
        case rcodeServerFailure: return .serverFailure
        case rcodeRefused, rcodeNotImplemented: return .refused
        case rcodeFormatError: return .formatError
        default: return failure(errorNumber: errorNumber)
        }
    }

    /// A failure from errno. glibc ends a lookup with ETIMEDOUT when some attempt went unanswered, ECONNREFUSED
    /// when no server was reachable, and with the error of a failed TCP exchange. 0: none known, a timeout.
    static func failure(errorNumber: Int32) -> LookupFailure {
        switch errorNumber {
        case 0, ETIMEDOUT: return .timeout
        case ECONNREFUSED, ENETUNREACH, EHOSTUNREACH: return .unreachable
        case ECONNRESET, EPIPE: return .connectionFailed("the server reset the TCP connection")
        default: return .localError(String(cString: strerror(errorNumber)))
        }
    }

    /// Parses a reply and checks it answers the question asked.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, name: DNSName, type: RecordType) -> QueryOutcome {
        let message: DNSMessage
        do {
            message = try DNSMessage(parsing: bytes)
        } catch {
            return .failure(.malformed(error.description))
        }
        guard message.isResponse else { return .failure(.malformed("not a response")) }
        // An error RCODE says all there is to say, whatever the rest of the reply holds.
        guard message.rcode == DNSMessage.rcodeNoError || message.rcode == DNSMessage.rcodeNXDomain else {
            return .failure(failure(rcode: Int32(message.rcode), errorNumber: 0))
        }
        // glibc retries a truncated UDP reply over TCP; a reply still truncated may be missing records.
        guard !message.isTruncated else { return .failure(.malformed("truncated reply")) }
        guard let question = message.question, question.name == name, question.type == type.rawValue,
              question.recordClass == ResourceRecord.classIN else {
            return .failure(.malformed("the reply does not answer the question asked"))
        }
        return .reply(rcode: message.rcode, answers: message.answers)
    }
}
