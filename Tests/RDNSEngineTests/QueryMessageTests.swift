import RDNSCore
@testable import RDNSEngine
import Testing

/// `reply` with `query`'s ID and question, QR set and the CD bit as given.
private func reply(to query: QueryMessage, checkingDisabled: Bool) -> [UInt8] {
    var bytes = Array(query.bytes[..<query.questionEnd])
    bytes[2] |= 0x80
    bytes[3] = checkingDisabled ? bytes[3] | 0x10 : bytes[3] & ~0x10
    bytes[6 ..< 12] = [0, 0, 0, 0, 0, 0]
    return bytes
}

@Suite("QueryMessage: the query on the wire, and which replies answer it")
struct QueryMessageTests {
    @Test("CD is set in the header only when asked, and stays set when the query is rebuilt without EDNS")
    func checkingDisabledBit() {
        let name = DNSName("mail.example.com")!
        #expect(QueryMessage(name: name, type: .a).bytes[3] == 0x20)
        var query = QueryMessage(name: name, type: .a, options: .checkingDisabled)
        #expect(query.bytes[2 ... 3] == [0x01, 0x30])
        query.reset(name: name, type: .a, options: .checkingDisabled, edns: false)
        #expect(query.bytes[3] == 0x30 && query.bytes[11] == 0)
    }

    @Test("a reply with CD never answers a query without it; a CD query takes a reply with or without the bit",
          arguments: [(false, false, true), (false, true, false), (true, true, true), (true, false, true)])
    func checkingDisabledReplies(queryCD: Bool, replyCD: Bool, answers: Bool) {
        var query = QueryMessage(name: DNSName("mail.example.com")!, type: .a,
                                 options: queryCD ? .checkingDisabled : [])
        query.id = 0x1234
        let bytes = reply(to: query, checkingDisabled: replyCD)
        #expect(bytes.withUnsafeBytes { query.isAnswered(by: $0) } == answers)
    }
}
