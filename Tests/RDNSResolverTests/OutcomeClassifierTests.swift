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

private func classify(length: Int32 = -1, hErrno: Int32, errno: Int32 = 0, rcode: Int32 = -1, expired: Bool = false,
                      buffer: [UInt8] = [UInt8](repeating: 0, count: 512)) -> QueryOutcome {
    let result = cresolv_result(length: length, h_errno_value: hErrno, error_number: errno, rcode: rcode,
                                deadline_expired: expired ? 1 : 0)
    return buffer.withUnsafeBufferPointer {
        OutcomeClassifier.classify(result, reply: $0, name: question, type: .ptr)
    }
}

/// libresolv's h_errno, RCODE and errno become outcomes in one place; every combination the shim can report.
@Suite("OutcomeClassifier")
struct OutcomeClassifierTests {
    @Test("failures without a usable reply", arguments: [
        (TRY_AGAIN, Int32(0), Int32(2), false, LookupFailure.serverFailure),
        (TRY_AGAIN, 0, 5, false, .refused),
        (TRY_AGAIN, ETIMEDOUT, -1, false, .timeout),
        (TRY_AGAIN, ECONNREFUSED, -1, false, .unreachable),
        (TRY_AGAIN, ETIMEDOUT, 0, false, .timeout),
        (TRY_AGAIN, ETIMEDOUT, 3, false, .timeout),
        (TRY_AGAIN, 0, -1, true, .timeout),
        (NO_RECOVERY, 0, 1, false, .formatError),
        (NO_RECOVERY, 0, 4, false, .refused),
        (NETDB_INTERNAL, ECONNREFUSED, -1, false, .unreachable),
        (NETDB_INTERNAL, ENETUNREACH, -1, false, .unreachable),
        (NETDB_INTERNAL, EMFILE, -1, false, .localError("h_errno -1, errno \(EMFILE)")),
    ])
    func failures(hErrno: Int32, errno: Int32, rcode: Int32, expired: Bool, failure: LookupFailure) {
        #expect(classify(hErrno: hErrno, errno: errno, rcode: rcode, expired: expired) == .failure(failure))
    }

    @Test("accepted replies are parsed: NOERROR, NXDOMAIN, NODATA", arguments: [UInt8(0), 3])
    func acceptedReplies(rcode: UInt8) {
        let bytes = reply(rcode: rcode)
        let outcome = classify(length: Int32(bytes.count), hErrno: rcode == 3 ? HOST_NOT_FOUND : NO_DATA,
                               rcode: Int32(rcode), buffer: bytes + [UInt8](repeating: 0xee, count: 64))
        #expect(outcome == .reply(rcode: rcode, answers: []))
    }

    @Test("an accepted reply with an error RCODE is that failure", arguments: [
        (UInt8(1), LookupFailure.formatError), (2, .serverFailure), (4, .refused), (5, .refused),
    ])
    func errorRcodeReply(rcode: UInt8, failure: LookupFailure) {
        let bytes = reply(rcode: rcode)
        #expect(classify(length: Int32(bytes.count), hErrno: NO_RECOVERY, rcode: Int32(rcode), buffer: bytes)
            == .failure(failure))
    }

    @Test("a reply to another question, or not a response, is malformed")
    func mismatchedReply() {
        var other = reply(rcode: 0)
        other[13] = UInt8(ascii: "1")
        #expect(classify(length: Int32(other.count), hErrno: 0, buffer: other)
            == .failure(.malformed("the reply does not answer the question asked")))
        var query = reply(rcode: 0)
        query[2] = 0x01
        #expect(classify(length: Int32(query.count), hErrno: 0, buffer: query)
                == .failure(.malformed("not a response")))
    }

    @Test("a reply still truncated after the TCP retry is malformed, not an answer")
    func truncatedReply() {
        var bytes = reply(rcode: 0)
        bytes[2] |= 0x02
        #expect(classify(length: Int32(bytes.count), hErrno: 0, buffer: bytes)
            == .failure(.malformed("truncated reply")))
    }
}
