import CResolv
import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// The one place where libresolv's signals (the state's `res_h_errno`, the reply's RCODE, `errno`, the deadline)
/// become a `QueryOutcome`.
///
/// glibc reports SERVFAIL, REFUSED and timeouts alike as `TRY_AGAIN`; the shim zeroes the header before each
/// query, so the RCODE of a reply left in the buffer tells them apart, and `ECONNREFUSED` means no server
/// answered at all. NXDOMAIN and NODATA come back as -1 too; for those the shim finds the reply's length, and
/// they are answers.
enum OutcomeClassifier {
    static let rcodeFormatError: Int32 = 1
    static let rcodeServerFailure: Int32 = 2
    static let rcodeNotImplemented: Int32 = 4
    static let rcodeRefused: Int32 = 5

    static func classify(_ result: cresolv_result, reply: UnsafeBufferPointer<UInt8>,
                         name: DNSName, type: RecordType) -> QueryOutcome {
        if result.length > 0 {
            // A reply glibc accepted: an answer, NXDOMAIN or NODATA (or an error RCODE it did not retry).
            return parse(UnsafeBufferPointer(rebasing: reply[0..<Int(result.length)]), name: name, type: type)
        }
        if result.deadline_expired != 0 {
            return .failure(.timeout)
        }
        switch result.h_errno_value {
        case TRY_AGAIN, NO_RECOVERY, HOST_NOT_FOUND, NO_DATA:
            return .failure(failure(rcode: result.rcode, errorNumber: result.error_number))
        default:
            if result.error_number == ECONNREFUSED || result.error_number == ENETUNREACH
                || result.error_number == EHOSTUNREACH {
                return .failure(.unreachable)
            }
            return .failure(.localError("h_errno \(result.h_errno_value), errno \(result.error_number)"))
        }
    }

    /// A failure from the RCODE left in the buffer, or from errno when no reply arrived.
    static func failure(rcode: Int32, errorNumber: Int32) -> LookupFailure {
        switch rcode {
        case rcodeServerFailure: return .serverFailure
        case rcodeRefused, rcodeNotImplemented: return .refused
        case rcodeFormatError: return .formatError
        default:
            // No reply, or only ones glibc rejected (wrong ID or question, garbage) before giving up.
            return errorNumber == ECONNREFUSED || errorNumber == ENETUNREACH || errorNumber == EHOSTUNREACH
                ? .unreachable : .timeout
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
