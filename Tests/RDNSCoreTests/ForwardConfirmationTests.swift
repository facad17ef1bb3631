import RDNSCore
import Testing

/// One check of `address` against a fake DNS table.
private func check(_ address: String, expected: String? = nil, policy: CheckPolicy = CheckPolicy(),
                   previousFailures: Int = 0, _ entries: [(String, RecordType, QueryOutcome)]) async -> AddressResult {
    let resolver = FakeResolver(entries)
    let target = CheckTarget(IPAddress(address)!, expectedName: expected.map(name))
    return await ForwardConfirmation(resolver: resolver, policy: policy)
        .check(target, previousTemporaryFailures: previousFailures)
}

private func codes(_ result: AddressResult) -> [String] {
    result.problems.map(\.code.rawValue)
}

private let mailHost: [(String, RecordType, QueryOutcome)] = [
    (reverse("203.0.113.25"), .ptr, answer(ptr(reverse("203.0.113.25"), "mail.example.com"))),
    ("mail.example.com", .a, answer(address("mail.example.com", "203.0.113.25"))),
]

@Suite("ForwardConfirmation: the verdicts of SPEC.md")
struct ForwardConfirmationTests {
    @Test("a PTR name whose A record holds the address is OK")
    func confirmedNameIsOK() async {
        let result = await check("203.0.113.25", mailHost)
        #expect(result.status == .ok)
        #expect(result.problems.isEmpty)
        #expect(result.ptrNames == [name("mail.example.com")])
        #expect(result.forward == [ForwardAnswer(name: name("mail.example.com"),
                                                 addresses: [IPAddress("203.0.113.25")!])])
        #expect(result.isForwardConfirmed)
    }

    @Test("an IPv6 address is confirmed by AAAA, compared as binary")
    func ipv6ConfirmedByAAAA() async {
        let result = await check("2001:db8::25", [
            (reverse("2001:db8::25"), .ptr, answer(ptr(reverse("2001:db8::25"), "mail.example.com"))),
            ("mail.example.com", .aaaa, answer(address("mail.example.com", "2001:0DB8:0:0::25"))),
            ("mail.example.com", .a, answer(address("mail.example.com", "192.0.2.1"))),
        ])
        #expect(result.status == .ok)
        #expect(result.forward.first?.addresses.map(\.description) == ["2001:db8::25"])
    }

    @Test("NXDOMAIN for the reverse name is CRITICAL no-ptr")
    func nxdomainIsNoPTR() async {
        let result = await check("203.0.113.25", [(reverse("203.0.113.25"), .ptr, nxdomain)])
        #expect(result.status == .critical)
        #expect(codes(result) == ["no-ptr"])
        #expect(result.problems[0].message(for: result.address)
            == "203.0.113.25: no PTR record: 25.113.0.203.in-addr.arpa does not exist (NXDOMAIN)")
    }

    @Test("a reverse name without PTR data is CRITICAL no-ptr")
    func noDataIsNoPTR() async {
        let result = await check("203.0.113.25", [(reverse("203.0.113.25"), .ptr, noData)])
        #expect(result.status == .critical)
        #expect(codes(result) == ["no-ptr"])
    }

    @Test("a PTR name resolving elsewhere is CRITICAL forward-mismatch naming the records")
    func otherAddressIsForwardMismatch() async {
        let result = await check("203.0.113.26", [
            (reverse("203.0.113.26"), .ptr, answer(ptr(reverse("203.0.113.26"), "mx.example.com"))),
            ("mx.example.com", .a, answer(address("mx.example.com", "198.51.100.9"))),
        ])
        #expect(result.status == .critical)
        #expect(codes(result) == ["forward-mismatch"])
        #expect(result.problems[0].message(for: result.address)
            == "203.0.113.26: PTR mx.example.com resolves to 198.51.100.9, not 203.0.113.26")
        #expect(!result.isForwardConfirmed)
    }

    @Test("the address among several A records confirms")
    func addressAmongSeveralConfirms() async {
        let result = await check("203.0.113.25", [
            (reverse("203.0.113.25"), .ptr, answer(ptr(reverse("203.0.113.25"), "mail.example.com"))),
            ("mail.example.com", .a, answer(address("mail.example.com", "198.51.100.1"),
                                            address("mail.example.com", "203.0.113.25"))),
        ])
        #expect(result.status == .ok)
        #expect(result.forward[0].addresses.count == 2)
    }

    @Test("a PTR name without A records is CRITICAL forward-no-address", arguments: [nxdomain, noData])
    func nameWithoutAddressIsForwardNoAddress(outcome: QueryOutcome) async {
        let result = await check("203.0.113.25", [
            (reverse("203.0.113.25"), .ptr, answer(ptr(reverse("203.0.113.25"), "mail.example.com"))),
            ("mail.example.com", .a, outcome),
        ])
        #expect(result.status == .critical)
        #expect(codes(result) == ["forward-no-address"])
    }

    @Test("two PTR names that both confirm are a WARNING multiple-ptr, sorted and deduplicated")
    func twoConfirmingNamesWarn() async {
        let owner = reverse("203.0.113.25")
        let result = await check("203.0.113.25", [
            (owner, .ptr, answer(ptr(owner, "b.example.com"), ptr(owner, "A.example.com"),
                                 ptr(owner, "b.EXAMPLE.com."))),
            ("a.example.com", .a, answer(address("a.example.com", "203.0.113.25"))),
            ("b.example.com", .a, answer(address("b.example.com", "203.0.113.25"))),
        ])
        #expect(result.status == .warning)
        #expect(codes(result) == ["multiple-ptr"])
        #expect(result.ptrNames.map { $0.description.lowercased() } == ["a.example.com", "b.example.com"])
    }

    @Test("one PTR name failing while another passes is CRITICAL partial-confirmation with the failing name's code")
    func oneFailingNameIsPartialConfirmation() async {
        let owner = reverse("203.0.113.25")
        let result = await check("203.0.113.25", [
            (owner, .ptr, answer(ptr(owner, "good.example.com"), ptr(owner, "bad.example.com"))),
            ("good.example.com", .a, answer(address("good.example.com", "203.0.113.25"))),
            ("bad.example.com", .a, answer(address("bad.example.com", "198.51.100.9"))),
        ])
        #expect(result.status == .critical)
        #expect(codes(result) == ["forward-mismatch", "partial-confirmation", "multiple-ptr"])
        #expect(!result.isForwardConfirmed)
    }

    @Test("40 PTR names: the first 32 in sorted order are kept and looked up, all 40 are counted")
    func manyNamesAreCapped() async {
        let owner = reverse("203.0.113.25")
        let names = (0..<40).map { "n\(String(String($0 + 100).dropFirst())).example.com" }
        let resolver = FakeResolver([(owner, .ptr, .reply(rcode: DNSMessage.rcodeNoError,
                                                           answers: names.reversed().map { ptr(owner, $0) }))]
            + names.map { ($0, RecordType.a, answer(address($0, "203.0.113.25"))) })
        let result = await ForwardConfirmation(resolver: resolver).check(CheckTarget(IPAddress("203.0.113.25")!))
        #expect(result.ptrNames.map(\.description) == Array(names.prefix(32)))
        #expect(result.ptrCount == 40)
        #expect(result.forward.map(\.name.description) == Array(names.prefix(32)))
        #expect(resolver.questions.filter { $0.hasSuffix(" A") }.count == 32)
        #expect(result.status == .warning)
        #expect(codes(result) == ["multiple-ptr"])
        #expect(result.problems[0].detail == "40 PTR names (" + names.prefix(4).joined(separator: ", ")
            + " … and 36 more); receivers use one; only the first 32 were looked up")
        #expect(!result.isForwardConfirmed, "8 names were never looked up")
    }

    @Test("32 PTR names that all confirm are kept whole and forward-confirmed")
    func thirtyTwoNamesConfirm() async {
        let owner = reverse("203.0.113.25")
        let names = (0..<32).map { "n\(String(String($0 + 100).dropFirst())).example.com" }
        let result = await check("203.0.113.25", [(owner, .ptr, .reply(rcode: DNSMessage.rcodeNoError,
                                                                        answers: names.map { ptr(owner, $0) }))]
            + names.map { ($0, RecordType.a, answer(address($0, "203.0.113.25"))) })
        #expect(result.ptrCount == 32 && result.ptrNames.count == 32)
        #expect(result.problems[0].detail == "32 PTR names (n00.example.com, n01.example.com, n02.example.com, "
            + "n03.example.com … and 28 more); receivers use one", "a few names, then the count")
        #expect(result.isForwardConfirmed)
    }

    @Test("with many PTR names, a partial confirmation names only the names looked up, and counts them")
    func partialConfirmationAmongMany() async {
        let owner = reverse("203.0.113.25")
        let names = (0..<40).map { "n\(String(String($0 + 100).dropFirst())).example.com" }
        let result = await check("203.0.113.25", [(owner, .ptr, .reply(rcode: DNSMessage.rcodeNoError,
                                                                        answers: names.map { ptr(owner, $0) }))]
            + names.dropFirst().map { ($0, RecordType.a, answer(address($0, "203.0.113.25"))) })
        let partial = result.problems.first { $0.code == .partialConfirmation }
        #expect(partial?.detail.hasPrefix("31 of the first 32 PTR names forward-confirm (n01.example.com, ") == true)
        #expect(partial?.detail.hasSuffix("n31.example.com); n00.example.com does not") == true)
    }

    @Test("4,000 A records holding the address last in sort order confirm; 32 are kept and all counted")
    func hugeAnswerWithAddressConfirms() async throws {
        let others = manyAddresses(3_999)
        let result = await check("203.0.113.25", [
            (reverse("203.0.113.25"), .ptr, answer(ptr(reverse("203.0.113.25"), "mail.example.com"))),
            ("mail.example.com", .a, .reply(rcode: DNSMessage.rcodeNoError,
                                            answers: (others + ["203.0.113.25"]).reversed()
                                                .map { address("mail.example.com", $0) })),
        ])
        #expect(result.status == .ok)
        #expect(result.problems.isEmpty)
        #expect(result.isForwardConfirmed)
        let kept = try #require(result.forward.first)
        #expect(kept.addresses.map(\.description) == Array(others.prefix(31)) + ["203.0.113.25"])
        #expect(kept.addressCount == 4_000)
        let json = JSONReport.render(RunReport(results: [result], checkedAt: 0, durationSeconds: 0))
        #expect(json.contains(#""forward_counts": {"mail.example.com": 4000}"#))
        #expect(json.utf8.count < 2_000)
    }

    @Test("4,000 A records without the address are a forward-mismatch naming the 32 kept and counting the rest")
    func hugeAnswerWithoutAddressIsMismatch() async throws {
        let addresses = manyAddresses(4_000)
        let result = await check("203.0.113.25", [
            (reverse("203.0.113.25"), .ptr, answer(ptr(reverse("203.0.113.25"), "mx.example.com"))),
            ("mx.example.com", .a, .reply(rcode: DNSMessage.rcodeNoError,
                                          answers: addresses.map { address("mx.example.com", $0) })),
        ])
        #expect(result.status == .critical)
        #expect(result.problems.map(\.detail) == ["PTR mx.example.com resolves to "
            + addresses.prefix(32).joined(separator: ", ") + " … and 3,968 more, not 203.0.113.25"])
        let kept = try #require(result.forward.first)
        #expect(kept.addresses.map(\.description) == Array(addresses.prefix(32)))
        #expect(kept.addressCount == 4_000)
    }

    @Test("an expected-name mismatch among many PTR names lists the kept ones and counts the rest")
    func expectedNameAmongMany() async {
        let owner = reverse("203.0.113.25")
        let names = (0..<1_850).map { "h\($0 + 10_000).example.com" }
        let result = await check("203.0.113.25", expected: "relay.example.com",
                                 [(owner, .ptr, .reply(rcode: DNSMessage.rcodeNoError,
                                                       answers: names.map { ptr(owner, $0) }))])
        let mismatch = result.problems.first { $0.code == .expectedNameMismatch }
        #expect(mismatch?.detail == "PTR " + names.prefix(32).joined(separator: ", ")
            + " … and 1,818 more, expected relay.example.com")
        #expect(result.problems.allSatisfy { $0.detail.utf8.count < 1_000 })
    }

    @Test("a PTR name other than the expected one is CRITICAL expected-name-mismatch")
    func unexpectedNameIsCritical() async {
        let result = await check("203.0.113.25", expected: "relay.example.com", mailHost)
        #expect(result.status == .critical)
        #expect(codes(result) == ["expected-name-mismatch"])
        #expect(result.problems[0].detail == "PTR mail.example.com, expected relay.example.com")
    }

    @Test("the expected name matches case-insensitively and without the trailing dot")
    func expectedNameMatchesCaseInsensitively() async {
        let owner = reverse("203.0.113.25")
        let result = await check("203.0.113.25", expected: "MAIL.example.COM.", [
            (owner, .ptr, answer(ptr(owner, "Mail.Example.Com."))),
            ("mail.example.com", .a, answer(address("MAIL.EXAMPLE.COM", "203.0.113.25"))),
        ])
        #expect(result.status == .ok)
    }

    @Test("a generic PTR name follows the generic-ptr policy", arguments: [
        (GenericNamePolicy.warn, Status.warning, ["generic-ptr"]),
        (GenericNamePolicy.fail, Status.critical, ["generic-ptr"]),
        (GenericNamePolicy.ignore, Status.ok, []),
    ])
    func genericNameFollowsPolicy(policy: GenericNamePolicy, status: Status, expectedCodes: [String]) async {
        let owner = reverse("203.0.113.25")
        let generic = "ec2-203-0-113-25.compute-1.amazonaws.com"
        let result = await check("203.0.113.25", policy: CheckPolicy(genericNames: policy), [
            (owner, .ptr, answer(ptr(owner, generic))),
            (generic, .a, answer(address(generic, "203.0.113.25"))),
        ])
        #expect(result.status == status)
        #expect(codes(result) == expectedCodes)
    }

    @Test("a PTR name that is a CNAME is a WARNING ptr-is-cname, and the target's address confirms")
    func cnamePTRTargetWarns() async {
        let owner = reverse("203.0.113.25")
        let result = await check("203.0.113.25", [
            (owner, .ptr, answer(ptr(owner, "alias.example.com"))),
            ("alias.example.com", .a, answer(cname("alias.example.com", "host.example.com"),
                                             address("host.example.com", "203.0.113.25"))),
        ])
        #expect(result.status == .warning)
        #expect(codes(result) == ["ptr-is-cname"])
        #expect(result.problems[0].detail.contains("host.example.com"))
    }

    @Test("a PTR name that is not a valid hostname is CRITICAL invalid-hostname and is never looked up",
          arguments: ["bad-.example.com", "-bad.example.com", "192.0.2.1", "sp ace.example.com", "semi;colon.example"])
    func invalidHostnameIsCriticalWithoutLookup(target: String) async {
        let owner = reverse("203.0.113.25")
        let badName = DNSName(labels: target.split(separator: ".").map { Array($0.utf8) })!
        let resolver = FakeResolver([
            (owner, .ptr, .reply(rcode: 0, answers: [
                ResourceRecord(owner: name(owner), type: RecordType.ptr.rawValue, data: .name(badName)),
            ])),
        ])
        let result = await ForwardConfirmation(resolver: resolver).check(CheckTarget(IPAddress("203.0.113.25")!))
        #expect(result.status == .critical)
        #expect(codes(result) == ["invalid-hostname"])
        #expect(resolver.questions == ["\(owner) PTR"])
    }

    @Test("a hostile PTR name is escaped in every message")
    func hostileNameIsEscaped() async {
        let owner = reverse("203.0.113.25")
        let hostile = DNSName(labels: [Array("$(reboot)\u{1b}[2J\n".utf8), Array("example".utf8)])!
        let resolver = FakeResolver([
            (owner, .ptr, .reply(rcode: 0, answers: [
                ResourceRecord(owner: name(owner), type: RecordType.ptr.rawValue, data: .name(hostile)),
            ])),
        ])
        let result = await ForwardConfirmation(resolver: resolver).check(CheckTarget(IPAddress("203.0.113.25")!))
        let message = result.problems[0].message(for: result.address)
        #expect(message.contains("\\036\\040reboot\\041\\027\\091"))
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0 == "$" || $0 == "(" })
    }

    @Test("a CNAME loop on the reverse name is CRITICAL cname-loop")
    func reverseCNAMELoopIsCritical() async {
        let owner = reverse("203.0.113.25")
        let result = await check("203.0.113.25", [
            (owner, .ptr, answer(cname(owner, "loop.example.com"), cname("loop.example.com", owner))),
        ])
        #expect(result.status == .critical)
        #expect(codes(result) == ["cname-loop"])
    }

    @Test("forward CNAMEs: more than 8 is WARNING long-cname-chain, a seventeenth CRITICAL cname-loop", arguments: [
        (8, Status.warning, ["ptr-is-cname"]), (9, .warning, ["long-cname-chain", "ptr-is-cname"]),
        (16, .warning, ["long-cname-chain", "ptr-is-cname"]), (17, .critical, ["cname-loop"]),
    ])
    func forwardCNAMEChainLimits(length: Int, status: Status, expected: [String]) async {
        let owner = reverse("203.0.113.25")
        var records = [cname("start.example.com", "c1.example.com")]
        for hop in 1..<length { records.append(cname("c\(hop).example.com", "c\(hop + 1).example.com")) }
        records.append(address("c\(length).example.com", "203.0.113.25"))
        let result = await check("203.0.113.25", [
            (owner, .ptr, answer(ptr(owner, "start.example.com"))),
            ("start.example.com", .a, .reply(rcode: 0, answers: records)),
        ])
        #expect(result.status == status)
        #expect(codes(result).sorted() == expected)
        let detail = result.problems.first { $0.code == .longCNAMEChain || $0.code == .cnameLoop }?.detail
        switch length {
        case 9, 16:
            #expect(detail == "A lookup for PTR start.example.com follows \(length) CNAMEs to c\(length).example.com: "
                + "legal, but some resolvers give up after 8")
        case 17:
            #expect(detail == "A lookup for PTR start.example.com meets a CNAME beyond the 16 followed, at "
                + "c17.example.com")
        default:
            #expect(detail == nil)
        }
    }

    @Test("reverse CNAMEs, one per answer: more than 8 is WARNING long-cname-chain, a seventeenth CRITICAL cname-loop",
          arguments: [(8, Status.ok), (9, .warning), (16, .warning), (17, .critical)])
    func reverseCNAMEChainLimits(length: Int, status: Status) async {
        let owner = reverse("203.0.113.25")
        var entries: [(String, RecordType, QueryOutcome)] = mailHost.filter { $0.1 == .a }
        var current = owner
        for hop in 1...length {
            entries.append((current, .ptr, answer(cname(current, "r\(hop).example.com"))))
            current = "r\(hop).example.com"
        }
        entries.append((current, .ptr, answer(ptr(current, "mail.example.com"))))
        let result = await check("203.0.113.25", entries)
        #expect(result.status == status)
        switch length {
        case 8: #expect(codes(result).isEmpty)
        case 17: #expect(codes(result) == ["cname-loop"])
        default:
            #expect(codes(result) == ["long-cname-chain"])
            #expect(result.problems.first?.detail == "PTR lookup for \(owner) follows \(length) CNAMEs to "
                + "r\(length).example.com: legal, but some resolvers give up after 8")
        }
    }

    @Test("an RFC 2317 delegation is followed by querying the CNAME target")
    func classlessDelegationIsFollowed() async {
        let owner = reverse("192.0.2.65")
        let delegated = "65.64/26.2.0.192.in-addr.arpa"
        let resolver = FakeResolver([
            (owner, .ptr, answer(cname(owner, delegated))),
            (delegated, .ptr, answer(ptr(delegated, "mail.example.com"))),
            ("mail.example.com", .a, answer(address("mail.example.com", "192.0.2.65"))),
        ])
        let result = await ForwardConfirmation(resolver: resolver).check(CheckTarget(IPAddress("192.0.2.65")!))
        #expect(result.status == .ok)
        #expect(resolver.questions == ["\(owner) PTR", "\(delegated) PTR", "mail.example.com A"])
    }

    @Test("records for other owners or classes do not count")
    func unrelatedRecordsAreIgnored() async {
        let owner = reverse("203.0.113.25")
        let result = await check("203.0.113.25", [
            (owner, .ptr, answer(ptr("26.113.0.203.in-addr.arpa", "mail.example.com"),
                                 ResourceRecord(owner: name(owner), type: RecordType.ptr.rawValue, recordClass: 3,
                                                data: .name(name("chaos.example.com"))))),
        ])
        #expect(result.status == .critical)
        #expect(codes(result) == ["no-ptr"])
    }

    @Test("a temporary failure of the PTR lookup is a WARNING, never no-ptr", arguments: [
        LookupFailure.serverFailure, .refused, .timeout, .unreachable, .formatError, .malformed("garbage"),
    ])
    func temporaryPTRFailureWarns(failure: LookupFailure) async {
        let result = await check("203.0.113.25", [(reverse("203.0.113.25"), .ptr, .failure(failure))])
        #expect(result.status == .warning)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems[0].detail.contains(failure.description))
        #expect(result.temporaryFailures == 1)
        #expect(result.ptrNames.isEmpty)
    }

    @Test("a temporary failure of the forward lookup is a WARNING, not forward-no-address")
    func temporaryForwardFailureWarns() async {
        let result = await check("203.0.113.25", [
            (reverse("203.0.113.25"), .ptr, answer(ptr(reverse("203.0.113.25"), "mail.example.com"))),
            ("mail.example.com", .a, .failure(.serverFailure)),
        ])
        #expect(result.status == .warning)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.forward.isEmpty)
    }

    @Test("a temporary failure becomes CRITICAL once it has lasted fail-after runs", arguments: [
        (0, 3, Status.warning, 1), (1, 3, .warning, 2), (2, 3, .critical, 3), (7, 3, .critical, 8),
        (0, 1, .critical, 1),
    ])
    func lastingTemporaryFailureIsCritical(previous: Int, failAfter: Int, status: Status, runs: Int) async {
        let result = await check("203.0.113.25", policy: CheckPolicy(failAfter: failAfter), previousFailures: previous,
                                 [(reverse("203.0.113.25"), .ptr, .failure(.timeout))])
        #expect(result.status == status)
        #expect(result.temporaryFailures == runs)
    }

    @Test("the failure count saturates instead of overflowing, whatever the state file said")
    func failureCountSaturates() async {
        let result = await check("203.0.113.25", previousFailures: Int.max,
                                 [(reverse("203.0.113.25"), .ptr, .failure(.timeout))])
        #expect(result.temporaryFailures == Int.max)
        #expect(result.status == .critical)
    }

    @Test("a successful check resets the temporary failure count")
    func successResetsFailureCount() async {
        let result = await check("203.0.113.25", previousFailures: 5, mailHost)
        #expect(result.status == .ok)
        #expect(result.temporaryFailures == 0)
    }

    @Test("many targets come back in order with bounded concurrency")
    func manyTargetsKeepOrder() async {
        var entries: [(String, RecordType, QueryOutcome)] = []
        let addresses = (0..<50).map { "198.51.100.\($0)" }
        for (index, text) in addresses.enumerated() where index % 2 == 0 {
            entries.append((reverse(text), .ptr, answer(ptr(reverse(text), "h\(index).example.com"))))
            entries.append(("h\(index).example.com", .a, answer(address("h\(index).example.com", text))))
        }
        let targets = addresses.map { CheckTarget(IPAddress($0)!) }
        let results = await ForwardConfirmation(resolver: FakeResolver(entries)).check(targets, concurrency: 4)
        #expect(results.map(\.address) == targets.map(\.address))
        #expect(results.enumerated().allSatisfy { $0.element.status == ($0.offset % 2 == 0 ? .ok : .critical) })
    }
}
