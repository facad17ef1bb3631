import RDNSCore
import Testing

private let hostAddress = "172.31.5.10"
private let resolvedMarks: ReplyFlags = [.authoritative, .authenticData]

/// A record as a reply carries it, with its TTL.
private func record(_ owner: String, _ type: RecordType, _ data: RecordData, ttl: UInt32) -> ResourceRecord {
    ResourceRecord(owner: name(owner), type: type.rawValue, ttl: ttl, data: data)
}

private func reply(_ flags: ReplyFlags, _ records: ResourceRecord...) -> QueryOutcome {
    .reply(rcode: DNSMessage.rcodeNoError, answers: records, flags: flags)
}

private func check(_ entries: [(String, RecordType, QueryOutcome)]) async -> (AddressResult, FakeResolver) {
    let resolver = FakeResolver(entries)
    let result = await ForwardConfirmation(resolver: resolver).check(CheckTarget(IPAddress(hostAddress)!))
    return (result, resolver)
}

@Suite("SynthesizedAnswer: what systemd-resolved makes up is no confirmation")
struct SynthesizedAnswerTests {
    @Test("a PTR with TTL 0 in a reply with AA and AD is a WARNING synthesized-answer, not looked up forward")
    func madeUpPTRIsWarning() async {
        let (result, resolver) = await check([
            (reverse(hostAddress), .ptr,
             reply(resolvedMarks, record(reverse(hostAddress), .ptr, .name(name("ip-172-31-5-10")), ttl: 0))),
            ("ip-172-31-5-10", .a, reply(resolvedMarks, record("ip-172-31-5-10", .a, .address(IPAddress(hostAddress)!),
                                                                ttl: 0))),
        ])
        #expect(result.status == .warning)
        #expect(result.problems.map(\.code) == [.synthesizedAnswer])
        #expect(result.problems.first?.message(for: result.address) == "172.31.5.10: PTR ip-172-31-5-10 for "
            + "10.5.31.172.in-addr.arpa was made up by the local resolver (systemd-resolved: TTL 0, AA and AD set), "
            + "it is not in DNS; set `nameserver` to a real resolver (one of /run/systemd/resolve/resolv.conf)")
        #expect(result.ptrNames.isEmpty)
        #expect(!result.isForwardConfirmed)
        #expect(resolver.questions == ["10.5.31.172.in-addr.arpa PTR"])
    }

    @Test("a real PTR whose A answer bears the marks is a WARNING synthesized-answer, not forward-confirmed")
    func madeUpForwardAnswerIsWarning() async {
        let (result, _) = await check([
            (reverse(hostAddress), .ptr,
             reply([.authoritative], record(reverse(hostAddress), .ptr, .name(name("mail.example.com")), ttl: 3600))),
            ("mail.example.com", .a,
             reply(resolvedMarks, record("mail.example.com", .a, .address(IPAddress(hostAddress)!), ttl: 0))),
        ])
        #expect(result.status == .warning)
        #expect(result.problems.map(\.code) == [.synthesizedAnswer])
        #expect(result.problems.first?.detail.hasPrefix("A 172.31.5.10 for PTR mail.example.com was made up") == true)
        #expect(result.ptrNames == [name("mail.example.com")])
        #expect(result.forward.isEmpty)
        #expect(!result.isForwardConfirmed)
    }

    /// Replies with some of the marks, and TTLs of their two records.
    static let partialMarks: [(ReplyFlags, [UInt32])] = [
        (.authoritative, [0, 0]),
        (.authenticData, [0, 0]),
        (ReplyFlags(), [0, 0]),
        (resolvedMarks, [300, 300]),
        (resolvedMarks, [0, 60]),
    ]

    @Test("only all three marks together make an answer made up (each record's TTL 0, AA, AD)",
          arguments: partialMarks)
    func partialMarksConfirm(flags: ReplyFlags, ttls: [UInt32]) async {
        let (firstTTL, secondTTL) = (ttls[0], ttls[1])
        let (result, _) = await check([
            (reverse(hostAddress), .ptr,
             reply(flags, record(reverse(hostAddress), .ptr, .name(name("mail.example.com")), ttl: firstTTL),
                   record(reverse(hostAddress), .ptr, .name(name("mail.example.com")), ttl: secondTTL))),
            ("mail.example.com", .a,
             reply(flags, record("mail.example.com", .a, .address(IPAddress(hostAddress)!), ttl: firstTTL),
                   record("mail.example.com", .a, .address(IPAddress("192.0.2.1")!), ttl: secondTTL))),
        ])
        #expect(result.status == .ok, "\(result.problems)")
        #expect(result.isForwardConfirmed)
    }

    @Test("a made-up answer of 40 names lists the first 32 and counts the rest, as every list of names does")
    func longMadeUpAnswerIsCut() async {
        let owner = reverse(hostAddress)
        let records = (0..<40).map { record(owner, .ptr, .name(name("n\($0 + 10).example.com")), ttl: 0) }
        let (result, _) = await check([(owner, .ptr, .reply(rcode: 0, answers: records, flags: resolvedMarks))])
        #expect(result.problems.map(\.code) == [.synthesizedAnswer])
        #expect(result.problems.first?.detail.hasPrefix("PTR n10.example.com, n11.example.com,") == true)
        #expect(result.problems.first?.detail.contains("n41.example.com … and 8 more for 10.5.31.172") == true,
                "\(result.problems)")
    }

    @Test("the marks are only those of the reply holding the records, after a CNAME in another reply")
    func marksOfTheFinalReply() async {
        let target = "10.0/26.5.31.172.in-addr.arpa"
        let (result, _) = await check([
            (reverse(hostAddress), .ptr, reply([], record(reverse(hostAddress), .cname, .name(name(target)), ttl: 60))),
            (target, .ptr, reply(resolvedMarks, record(target, .ptr, .name(name("ip-172-31-5-10")), ttl: 0))),
        ])
        #expect(result.problems.map(\.code) == [.synthesizedAnswer])
        #expect(result.problems.first?.detail.contains("(via CNAME \(target))") == true)
    }

    @Test("a reply's AA and AD bits and its records' TTLs are read from the wire")
    func parsesFlagsAndTTL() throws {
        // ID 0x1234; QR, AA, RD, RA, AD; one question, one answer: 10.5.31.172.in-addr.arpa PTR ip-172-31-5-10, TTL 0.
        var wire: [UInt8] = [0x12, 0x34, 0x85, 0xA0, 0, 1, 0, 1, 0, 0, 0, 0]
        wire += name(reverse(hostAddress)).wire + [0, 12, 0, 1]
        wire += [0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 0]
        let target = name("ip-172-31-5-10").wire
        wire += [0, UInt8(target.count)] + target
        let message = try DNSMessage(parsing: wire)
        #expect(message.flags == [.authoritative, .authenticData])
        #expect(message.answers.map(\.ttl) == [0])

        wire[2] = 0x81
        wire[3] = 0x80
        wire[wire.count - target.count - 6 ..< wire.count - target.count - 2] = [0x00, 0x01, 0x51, 0x80]
        let plain = try DNSMessage(parsing: wire)
        #expect(plain.flags == [])
        #expect(plain.answers.map(\.ttl) == [86_400])
    }

    @Test("the name of a pending AWS update answered by a made-up A record is undecided, not confirmed")
    func pendingUpdateNameMadeUp() async {
        let resolver = FakeResolver([
            ("mail.example.com", .a, reply(resolvedMarks, record("mail.example.com", .a,
                                                                 .address(IPAddress(hostAddress)!), ttl: 0))),
        ])
        let target = CheckTarget(IPAddress(hostAddress)!)
        let result = AddressResult(target: target, status: .critical, ptrNames: [], forward: [],
                                   problems: [Problem(.noPTR, .critical, "no PTR record")], temporaryFailures: 0)
        #expect(await AWSPTRAssessment.check(name("mail.example.com"), for: result, using: resolver)
                    == .undecided("its A answer was made up by the local resolver (TTL 0, AA and AD)"))
    }

}
