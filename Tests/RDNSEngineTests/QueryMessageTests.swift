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

    @Test("a query rebuilt in a slot's storage is byte for byte a new one, after any name, EDNS or not, ID cleared")
    func rebuiltInPlace() {
        let expected: [UInt8] = [0, 0, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1,
                                 4, 0x6d, 0x61, 0x69, 0x6c, 2, 0x65, 0x78, 0, 0, 12, 0, 1,
                                 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]
        let short = DNSName("mail.ex")!
        var query = QueryMessage(name: DNSName("a-much-longer-name.example.com")!, type: .a,
                                 options: .checkingDisabled, edns: false)
        query.id = 0xbeef
        query.reset(name: short, type: .ptr)
        #expect(query.bytes == expected && query.questionEnd == 25 && query.usesEDNS)
        query.reset(name: DNSName("x")!, type: .aaaa, edns: false)
        #expect(query.bytes == [0, 0, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x78, 0, 0, 28, 0, 1])
        query.id = 0xbeef
        query.reset(name: short, type: .ptr)
        #expect(query.bytes == expected)
        #expect(query.bytes == QueryMessage(name: short, type: .ptr).bytes)
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
