import CResolv
import RDNSCore


/// Where libresolv's signals (the reply glibc accepted, the RCODE of a reply to the query that it gave up on,
/// `errno`, the deadline) become a `QueryOutcome`, through RDNSCore's `OutcomeClassification`, the RCODE and errno
/// policy the pipelined engine uses too.
///
/// glibc retries SERVFAIL, REFUSED and NOTIMP on the next attempt and then fails without a reply; the shim reports
/// the RCODE of the reply left in its buffer only when that reply answers the very query (ID and question), so
/// junk glibc threw away is never read as a failure of the server: with nothing else it is a timeout, as in the
/// pipelined engine, which ignores such replies.
enum OutcomeClassifier {
    /// What a lookup cut short by the resolver's shutdown reports, whatever the engine.
    static let shutDown = LookupFailure.localError("resolver is shut down")

    static func classify(_ result: cresolv_result, reply: UnsafeBufferPointer<UInt8>,
                         name: DNSName, type: RecordType) -> QueryOutcome {
        if result.interrupted != 0 {
            return .failure(shutDown)
        }
        if result.length > 0 {
            // A reply glibc accepted: an answer, NXDOMAIN, NODATA or FORMERR.
            let accepted = UnsafeBufferPointer(rebasing: reply[0..<Int(result.length)])
            return OutcomeClassification.parse(accepted, name: name, type: type)
        }
        if result.deadline_expired != 0 {
            return .failure(.timeout)
        }
        if result.error_number == 0 && !OutcomeClassification.asksAgain(after: result.rcode) {
            // glibc fails with errno 0 only when a TCP server closed the connection before the whole reply.
            return .failure(.connectionFailed("the server closed the TCP connection before the whole reply"))
        }
        return .failure(OutcomeClassification.failure(rcode: result.rcode, errorNumber: result.error_number))
    }
}
