import Foundation
import RDNSCore
import Testing

/// A saved reply from `Fixtures/` (see `Fixtures/make_fixtures.py` for how each was made).
private func fixture(_ file: String) throws -> [UInt8] {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    return Array(try Data(contentsOf: directory.appendingPathComponent(file)))
}

private func names(_ message: DNSMessage) -> [String] {
    message.answers.compactMap { if case .name(let name) = $0.data { name.description } else { nil } }
}

@Suite("DNSMessage: parsing saved replies")
struct DNSMessageTests {
    @Test("a PTR reply captured from NSD parses with its compressed owner name")
    func nsdPTRReply() throws {
        let message = try DNSMessage(parsing: fixture("nsd-ptr.bin"))
        #expect(message.isResponse && !message.isTruncated && message.rcode == 0)
        #expect(message.question?.name == DNSName("10.2.0.192.in-addr.arpa"))
        #expect(message.question?.type == RecordType.ptr.rawValue)
        #expect(message.answers.count == 1)
        #expect(message.answers[0].owner == DNSName("10.2.0.192.in-addr.arpa"))
        #expect(names(message) == ["mail.example.test"])
    }

    @Test("two PTR records, three A records and an IPv6 PTR from NSD")
    func nsdMultipleRecords() throws {
        #expect(Set(names(try DNSMessage(parsing: fixture("nsd-two-ptr.bin"))))
            == ["a15.example.test", "b15.example.test"])
        let threeA = try DNSMessage(parsing: fixture("nsd-three-a.bin"))
        #expect(Set(threeA.answers.map(\.data)) == Set(["192.0.2.99", "192.0.2.19", "198.51.100.19"].map {
            RecordData.address(IPAddress($0)!)
        }))
        #expect(names(try DNSMessage(parsing: fixture("nsd-ptr6.bin"))) == ["mail6.example.test"])
    }

    @Test("a CNAME and its target's A record from NSD")
    func nsdCNAMEChain() throws {
        let message = try DNSMessage(parsing: fixture("nsd-cname-a.bin"))
        #expect(message.answers.map(\.type) == [RecordType.cname.rawValue, RecordType.a.rawValue])
        #expect(message.answers[0].data == .name(DNSName("real18.example.test")!))
        #expect(message.answers[1].owner == DNSName("real18.example.test"))
        #expect(message.answers[1].data == .address(IPAddress("192.0.2.18")!))
    }

    @Test("an RFC 2317 reply holds the CNAME into the delegated zone, then the PTR there")
    func nsdClasslessCNAME() throws {
        let message = try DNSMessage(parsing: fixture("nsd-rfc2317-cname.bin"))
        #expect(message.answers.count == 2)
        #expect(message.answers[0].type == RecordType.cname.rawValue)
        #expect(message.answers[0].data == .name(DNSName("65.64/26.2.0.192.in-addr.arpa")!))
        #expect(message.answers[1].owner == DNSName("65.64/26.2.0.192.in-addr.arpa"))
        #expect(names(message).last == "classless65.example.test")
    }

    @Test("an NXDOMAIN reply from NSD has RCODE 3 and no answers")
    func nsdNXDomain() throws {
        let message = try DNSMessage(parsing: fixture("nsd-nxdomain.bin"))
        #expect(message.rcode == DNSMessage.rcodeNXDomain)
        #expect(message.answers.isEmpty)
    }

    @Test("compression pointers resolve against earlier names")
    func handCompressedNames() throws {
        #expect(names(try DNSMessage(parsing: fixture("ptr-compressed-by-hand.bin"))) == ["mail.example.com"])
        let chain = try DNSMessage(parsing: fixture("cname-then-a.bin"))
        #expect(chain.answers[0].data == .name(DNSName("host.example.com")!))
        #expect(chain.answers[1].owner == DNSName("host.example.com"))
    }

    @Test("records of other owners and classes are parsed as they are, for the check to ignore")
    func wrongOwnerIsKept() throws {
        let message = try DNSMessage(parsing: fixture("wrong-owner.bin"))
        #expect(message.answers[0].owner == DNSName("26.113.0.203.in-addr.arpa"))
        #expect(message.answers[1].recordClass == 3)
    }

    @Test("a hostile PTR name keeps its bytes and prints escaped")
    func hostileName() throws {
        let message = try DNSMessage(parsing: fixture("hostile-ptr.bin"))
        guard case .name(let name) = message.answers[0].data else {
            Issue.record("no name")
            return
        }
        #expect(name.labels.map(Array.init) == [Array("$(reboot)\u{1b};`\n".utf8) + [0xff], Array("a.b".utf8)])
        #expect(name.description == "\\036\\040reboot\\041\\027\\059\\096\\010\\255.a\\046b")
    }

    @Test("a 255-octet name is accepted")
    func longestName() throws {
        let message = try DNSMessage(parsing: fixture("name-255.bin"))
        guard case .name(let name) = message.answers[0].data else {
            Issue.record("no name")
            return
        }
        #expect(name.wire.count == 255)
    }

    @Test("malformed replies are rejected with the reason", arguments: [
        ("compression-loop.bin", DNSMessage.ParseError.compressionLoop(offset: 55)),
        ("compression-loop-two.bin", .badPointer(offset: 57)),
        ("pointer-outside.bin", .badPointer(offset: 55)),
        ("bad-label-type.bin", .badLabel(offset: 55)),
        ("truncated-header.bin", .truncated("header")),
        ("truncated-rdata.bin", .truncated("record data")),
        ("missing-records.bin", .truncated("name at offset 73")),
        ("ptr-overruns-rdata.bin", .truncated("name at offset 55")),
        ("a-bad-length.bin", .badRecordData(type: 1, offset: 46)),
        ("name-too-long.bin", .nameTooLong(offset: 55)),
        ("two-questions.bin", .tooManyQuestions(2)),
    ])
    func malformedReplies(file: String, error: DNSMessage.ParseError) throws {
        let bytes = try fixture(file)
        #expect(throws: error) { try DNSMessage(parsing: bytes) }
    }

    @Test("an answer's owner that points at the question is the question's name, sharing its storage")
    func ownerPointingAtQuestionSharesItsName() throws {
        let message = try DNSMessage(parsing: fixture("nsd-ptr.bin"))
        let question = try #require(message.question?.name)
        #expect(message.answers[0].owner == question)
        #expect(message.answers[0].owner.wire.withUnsafeBufferPointer(\.baseAddress)
                    == question.wire.withUnsafeBufferPointer(\.baseAddress))
    }

    @Test("a question that echoes the name asked is that name, sharing its storage; in other case, read as it is")
    func questionEchoingTheNameAsked() throws {
        let bytes = try fixture("nsd-ptr.bin")
        let asked = try #require(DNSName("10.2.0.192.in-addr.arpa"))
        let message = try bytes.withUnsafeBufferPointer { try DNSMessage(parsing: $0, asked: asked) }
        #expect(message.question?.name.wire.withUnsafeBufferPointer(\.baseAddress)
                    == asked.wire.withUnsafeBufferPointer(\.baseAddress))
        #expect(message.answers[0].owner.wire.withUnsafeBufferPointer(\.baseAddress)
                    == asked.wire.withUnsafeBufferPointer(\.baseAddress))
        let upper = try #require(DNSName("10.2.0.192.IN-ADDR.ARPA"))
        let other = try bytes.withUnsafeBufferPointer { try DNSMessage(parsing: $0, asked: upper) }
        #expect(other.question?.name == upper)
        #expect(other.question?.name.description == "10.2.0.192.in-addr.arpa")
    }

    @Test("with the name asked or without, every prefix of every saved reply parses the same or fails the same")
    func nameAskedChangesNothingButStorage() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".bin") }
        for file in files {
            let bytes = try fixture(file)
            guard let asked = (try? DNSMessage(parsing: bytes))?.question?.name else { continue }
            for length in 0...bytes.count {
                let prefix = Array(bytes[0..<length])
                let plain = Result { () throws(DNSMessage.ParseError) in try DNSMessage(parsing: prefix) }
                let withAsked = prefix.withUnsafeBufferPointer { buffer in
                    Result { () throws(DNSMessage.ParseError) in try DNSMessage(parsing: buffer, asked: asked) }
                }
                switch (plain, withAsked) {
                case (.success(let a), .success(let b)):
                    #expect(a.answers == b.answers && a.question?.name == b.question?.name, "\(file), \(length)")
                case (.failure(let a), .failure(let b)):
                    #expect(a == b, "\(file), \(length)")
                default:
                    Issue.record("\(file), \(length): \(plain) against \(withAsked)")
                }
            }
        }
    }

    @Test("a pointer to a name read before still counts that name's pointers toward the limit of 127")
    func pointerToARecentNameCountsItsJumps() throws {
        // Record 1 (type 99) holds a root name at offset 23 and 126 pointers after it, each to the one before.
        // Record 2's PTR data points at the last of them: 127 pointers, the most allowed. Record 3's owner points
        // at record 2's data: 128, one too many, though that name was read whole just before.
        func pointer(to offset: Int) -> [UInt8] { [0xc0 | UInt8(offset >> 8), UInt8(offset & 0xff)] }
        var chain: [UInt8] = [0]
        for index in 0..<126 { chain += pointer(to: index == 0 ? 23 : 24 + 2 * (index - 1)) }
        let lastOfChain = 24 + 2 * 125
        let ptrData = 12 + 11 + chain.count + 11
        var reply: [UInt8] = [0, 1, 0x81, 0x80, 0, 0, 0, 3, 0, 0, 0, 0]
        reply += [0, 0, 99, 0, 1, 0, 0, 0, 0, UInt8(chain.count >> 8), UInt8(chain.count & 0xff)] + chain
        reply += [0, 0, 12, 0, 1, 0, 0, 0, 0, 0, 2] + pointer(to: lastOfChain)
        reply += pointer(to: ptrData) + [0, 12, 0, 1, 0, 0, 0, 0, 0, 2] + pointer(to: lastOfChain)
        #expect(throws: DNSMessage.ParseError.compressionLoop(offset: 24)) { try DNSMessage(parsing: reply) }
        // Without record 3 the reply is valid: record 2's name is the root, reached through 127 pointers.
        var valid = reply.prefix(ptrData + 2)
        valid[7] = 2
        #expect(try DNSMessage(parsing: valid).answers[1].data == .name(DNSName(labels: [[UInt8]]())!))
    }

    @Test("random garbage after a header never crashes the parser")
    func garbageIsRejected() throws {
        let bytes = try fixture("garbage.bin")
        #expect(throws: DNSMessage.ParseError.self) { try DNSMessage(parsing: bytes) }
    }

    @Test("every prefix of every saved reply parses or throws, never traps")
    func everyPrefixIsSafe() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".bin") }
        #expect(files.count >= 20)
        for file in files {
            let bytes = try fixture(file)
            for length in 0...bytes.count {
                _ = try? DNSMessage(parsing: bytes[0..<length])
            }
        }
    }
}
