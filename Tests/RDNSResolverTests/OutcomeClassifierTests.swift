import CResolv
import Glibc
import RDNSCore
import Testing

@testable import RDNSResolver

private let question = DNSName("40.2.0.192.in-addr.arpa")!

/// A reply to the PTR question with RCODE `rcode` and no records.
private func reply(rcode: UInt8) -> [UInt8] {
    [0x12, 0x34, 0x84, rcode, 0, 1, 0, 0, 0, 0, 0, 0] + question.wire + [0, 12, 0, 1]
}

private func classify(length: Int32 = -1, errno: Int32 = ETIMEDOUT, rcode: Int32 = -1, expired: Bool = false,
                      interrupted: Bool = false, buffer: [UInt8] = [UInt8](repeating: 0, count: 512)) -> QueryOutcome {
    let result = cresolv_result(length: length, error_number: errno, rcode: rcode, deadline_expired: expired ? 1 : 0,
                                interrupted: interrupted ? 1 : 0)
    return buffer.withUnsafeBufferPointer {
        OutcomeClassifier.classify(result, reply: $0, name: question, type: .ptr)
    }
}

/// What CResolv reports (the reply glibc accepted, the RCODE of a reply to the query it gave up on, errno, the
/// deadline) becomes an outcome in one place; every combination the shim can report.
@Suite("OutcomeClassifier")
struct OutcomeClassifierTests {
    @Test("failures without a usable reply", arguments: [
        (Int32(2), ETIMEDOUT, false, LookupFailure.serverFailure),
        (5, ETIMEDOUT, false, .refused),
        (4, ETIMEDOUT, false, .refused),
        (-1, ETIMEDOUT, false, .timeout),
        // A reply to the query that glibc would not take (NOERROR, empty, neither AA nor RA: a lame server).
        (0, ETIMEDOUT, false, .timeout),
        (-1, 0, true, .timeout),
        (2, ETIMEDOUT, true, .timeout),
        (-1, ECONNREFUSED, false, .unreachable),
        (-1, ENETUNREACH, false, .unreachable),
        (-1, EHOSTUNREACH, false, .unreachable),
        // After a truncated UDP reply (left in the buffer, RCODE 0), the TCP exchange failed.
        (0, ECONNRESET, false, .connectionFailed("the server reset the TCP connection")),
        (0, 0, false, .connectionFailed("the server closed the TCP connection before the whole reply")),
        (-1, EMFILE, false, .localError(String(cString: strerror(EMFILE)))),
    ])
    func failures(rcode: Int32, errno: Int32, expired: Bool, failure: LookupFailure) {
        #expect(classify(errno: errno, rcode: rcode, expired: expired) == .failure(failure))
    }

    @Test("a lookup cut short by the resolver's shutdown says so, whatever else came back")
    func interruptedLookup() {
        let bytes = reply(rcode: 0)
        #expect(classify(length: Int32(bytes.count), rcode: 0, expired: true, interrupted: true, buffer: bytes)
            == .failure(.localError("resolver is shut down")))
        #expect(classify(expired: true, interrupted: true) == .failure(.localError("resolver is shut down")))
    }

    @Test("accepted replies are parsed: NOERROR, NXDOMAIN, NODATA", arguments: [UInt8(0), 3])
    func acceptedReplies(rcode: UInt8) {
        let bytes = reply(rcode: rcode)
        let outcome = classify(length: Int32(bytes.count), errno: 0, rcode: Int32(rcode),
                               buffer: bytes + [UInt8](repeating: 0xee, count: 64))
        // The saved reply has QR and AA set (0x84): the flags come along.
        #expect(outcome == .reply(rcode: rcode, answers: [], flags: .authoritative))
    }

    @Test("an accepted reply with an error RCODE is that failure", arguments: [
        (UInt8(1), LookupFailure.formatError), (2, .serverFailure), (4, .refused), (5, .refused),
    ])
    func errorRcodeReply(rcode: UInt8, failure: LookupFailure) {
        let bytes = reply(rcode: rcode)
        #expect(classify(length: Int32(bytes.count), errno: 0, rcode: Int32(rcode), buffer: bytes)
            == .failure(failure))
    }

    @Test("a reply to another question, or not a response, is malformed")
    func mismatchedReply() {
        var other = reply(rcode: 0)
        other[13] = UInt8(ascii: "1")
        #expect(classify(length: Int32(other.count), errno: 0, buffer: other)
            == .failure(.malformed("the reply does not answer the question asked")))
        var query = reply(rcode: 0)
        query[2] = 0x01
        #expect(classify(length: Int32(query.count), errno: 0, buffer: query)
                == .failure(.malformed("not a response")))
    }

    @Test("a reply still truncated after the TCP retry is malformed, not an answer")
    func truncatedReply() {
        var bytes = reply(rcode: 0)
        bytes[2] |= 0x02
        #expect(classify(length: Int32(bytes.count), errno: 0, buffer: bytes)
            == .failure(.malformed("truncated reply")))
    }
}
