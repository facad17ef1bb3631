@testable import RDNSCore
import RDNSPOSIX
import Testing

/// The base address of an array's storage, to tell a kept array from a copy.
private func storage(_ records: [ResourceRecord]) -> UnsafeRawPointer? {
    records.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
}

@Suite("ChainedLookup: the records found, kept as the reply's own")
struct ChainedLookupRecordsTests {
    @Test("a plain answer's records are the parsed array itself, not a copy of their data")
    func plainAnswerKeepsTheParsedArray() async throws {
        let answers = [address("mail.example.com", "192.0.2.1"), address("mail.example.com", "192.0.2.2")]
        let reply = QueryOutcome.reply(rcode: DNSMessage.rcodeNoError, answers: answers)
        let resolver = FakeResolver([("mail.example.com", .a, reply)])
        let lookup = await ChainedLookup.resolve(name("mail.example.com"), type: .a, using: resolver)
        guard case .records(let records) = lookup.outcome else {
            Issue.record("no records: \(lookup.outcome)")
            return
        }
        #expect(records == [.address(IPAddress("192.0.2.1")!), .address(IPAddress("192.0.2.2")!)])
        #expect(storage(records.records) == storage(answers))
    }

    @Test("only the records of the type asked, class IN, owned by the chain's end count, in their order")
    func otherRecordsAreLeftOut() async {
        let chaos = ResourceRecord(owner: name("host.example.net"), type: RecordType.a.rawValue, recordClass: 3,
                                   data: .address(IPAddress("192.0.2.9")!))
        let resolver = FakeResolver([("mail.example.com", .a, answer(
            cname("mail.example.com", "host.example.net"), address("host.example.net", "192.0.2.3"),
            address("other.example.net", "192.0.2.4"), chaos, address("host.example.net", "2001:db8::1"),
            address("host.example.net", "192.0.2.5")))])
        let lookup = await ChainedLookup.resolve(name("mail.example.com"), type: .a, using: resolver)
        #expect(lookup.chain == [name("host.example.net")])
        #expect(lookup.outcome == .records([.address(IPAddress("192.0.2.3")!), .address(IPAddress("192.0.2.5")!)]))
    }
}
