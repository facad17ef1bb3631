import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The one place where a reply's RCODE, errno and a whole reply become a lookup's outcome, for both engines:
/// libresolv's (`OutcomeClassifier` in RDNSResolver adds what only glibc's signals need) and the pipelined
/// engine's, which asks here directly. Pure: no resolver state, no I/O.
public enum OutcomeClassification {
    /// The RCODEs of RFC 1035 4.1.1 that are failures. After SERVFAIL, REFUSED and NOTIMP both engines ask the next
    /// nameserver (as glibc does); after FORMERR the pipelined engine asks again without EDNS.
    public static let rcodeFormatError: Int32 = 1
    public static let rcodeServerFailure: Int32 = 2
    public static let rcodeNotImplemented: Int32 = 4
    public static let rcodeRefused: Int32 = 5

    /// Whether another attempt (the next nameserver) may answer after a reply with `rcode`.
    public static func asksAgain(after rcode: Int32) -> Bool {
        [rcodeServerFailure, rcodeRefused, rcodeNotImplemented].contains(rcode)
    }

    /// A failure from the RCODE of a reply to the query, or from errno when there is none.
    public static func failure(rcode: Int32, errorNumber: Int32) -> LookupFailure {
        switch rcode {
        case rcodeServerFailure: return .serverFailure
        case rcodeRefused, rcodeNotImplemented: return .refused
        case rcodeFormatError: return .formatError
        default: return failure(errorNumber: errorNumber)
        }
    }

    /// A failure from errno. glibc ends a lookup with ETIMEDOUT when some attempt went unanswered, ECONNREFUSED
    /// when no server was reachable, and with the error of a failed TCP exchange; 0: none known, a timeout. On a
    /// TCP connection of the pipelined engine (`onTCPConnection`) any other error is the connection's failure.
    public static func failure(errorNumber: Int32, onTCPConnection: Bool = false) -> LookupFailure {
        switch errorNumber {
        case ECONNREFUSED, ENETUNREACH, EHOSTUNREACH: return .unreachable
        case ECONNRESET, EPIPE: return .connectionFailed("the server reset the TCP connection")
        case _ where onTCPConnection: return .connectionFailed(errorText(errorNumber))
        case 0, ETIMEDOUT: return .timeout
        default: return .localError(errorText(errorNumber))
        }
    }

    /// Parses a reply and checks it answers the question asked.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, name: DNSName, type: RecordType) -> QueryOutcome {
        let message: DNSMessage
        do {
            message = try DNSMessage(parsing: bytes, asked: name)
        } catch {
            return .failure(.malformed(error.description))
        }
        guard message.isResponse else { return .failure(.malformed("not a response")) }
        // An error RCODE says all there is to say, whatever the rest of the reply holds.
        guard message.rcode == DNSMessage.rcodeNoError || message.rcode == DNSMessage.rcodeNXDomain else {
            return .failure(failure(rcode: Int32(message.rcode), errorNumber: 0))
        }
        // A truncated reply the resolver could not complete over TCP may be missing records.
        guard !message.isTruncated else { return .failure(.malformed("truncated reply")) }
        guard let question = message.question, question.name == name, question.type == type.rawValue,
              question.recordClass == ResourceRecord.classIN else {
            return .failure(.malformed("the reply does not answer the question asked"))
        }
        return .reply(rcode: message.rcode, answers: message.answers, flags: message.flags)
    }
}
