@testable import RDNSCore
import Testing

/// The receivers' verdicts on a check of `address` against a fake DNS table: the findings are the check's own.
private func verdicts(_ address: String, _ entries: [(String, RecordType, QueryOutcome)],
                      checkingDisabled: [(String, RecordType, QueryOutcome)] = []) async
    -> (AddressResult, [ReceiverOutcome]) {
    let resolver = FakeResolver(entries, checkingDisabled: checkingDisabled)
    let result = await ForwardConfirmation(resolver: resolver).check(CheckTarget(IPAddress(address)!))
    return (result, ReceiverVerdicts.all(for: result))
}

/// `address` has PTR `names`.
private func ptrs(_ address: String, _ names: String...) -> (String, RecordType, QueryOutcome) {
    (reverse(address), .ptr, .reply(rcode: DNSMessage.rcodeNoError, answers: names.map { ptr(reverse(address), $0) }))
}

private func forward(_ name: String, _ address: String) -> (String, RecordType, QueryOutcome) {
    (name, IPAddress(address)!.isIPv4 ? .a : .aaaa, answer(RDNSCoreTests.address(name, address)))
}

/// A PTR name glibc drops: a label with a space.
private let spaced = DNSName(labels: [Array("mail server".utf8), Array("example".utf8), Array("com".utf8)])!

private func reply(_ owner: String, _ names: [DNSName], flags: ReplyFlags = []) -> QueryOutcome {
    .reply(rcode: DNSMessage.rcodeNoError,
           answers: names.map { ResourceRecord(owner: name(owner), type: RecordType.ptr.rawValue, data: .name($0)) },
           flags: flags)
}

/// One DNS set-up and the verdicts of gmail, postfix-client, postfix-reverse and spamassassin, in that order.
struct ReceiverCase: Sendable, CustomTestStringConvertible {
    let title: String
    let address: String
    let entries: [(String, RecordType, QueryOutcome)]
    let expected: [ReceiverVerdict]
    var rules: [String] = []
    /// What the resolver answers with CD set (`FakeResolver`).
    var checkingDisabled: [(String, RecordType, QueryOutcome)] = []

    var testDescription: String { title }
}

private let v4 = "203.0.113.25"
private let v6 = "2001:db8::25"

private let cases: [ReceiverCase] = [
    ReceiverCase(title: "a confirmed name: every rule accepts", address: v4,
                 entries: [ptrs(v4, "mail.example.com"), forward("mail.example.com", v4)],
                 expected: [.accept, .accept, .accept, .accept]),
    ReceiverCase(title: "no PTR: rejected, and RDNS_NONE", address: v4,
                 entries: [(reverse(v4), .ptr, nxdomain)],
                 expected: [.reject, .reject, .reject, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a PTR lookup that fails: deferred, and RDNS_NONE", address: v4,
                 entries: [(reverse(v4), .ptr, .failure(.serverFailure))],
                 expected: [.defer, .defer, .defer, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a PTR lookup in a CNAME loop: deferred, as the receiver's resolver says SERVFAIL",
                 address: v4, entries: [(reverse(v4), .ptr, answer(cname(reverse(v4), reverse(v4))))],
                 expected: [.defer, .defer, .defer, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a PTR lookup that fails DNSSEC validation: deferred, and RDNS_NONE", address: v4,
                 entries: [(reverse(v4), .ptr, .failure(.serverFailure))],
                 expected: [.defer, .defer, .defer, .penalise], rules: ["RDNS_NONE"],
                 checkingDisabled: [ptrs(v4, "mail.example.com")]),
    ReceiverCase(title: "an IPv4 client whose A fails DNSSEC validation: Gmail rejects, Postfix sees the SERVFAIL "
                 + "(forged with a search domain)", address: v4,
                 entries: [ptrs(v4, "mail.example.com"), ("mail.example.com", .a, .failure(.serverFailure))],
                 expected: [.reject, .atRisk, .accept, .penalise], rules: ["RDNS_NONE"],
                 checkingDisabled: [forward("mail.example.com", v4)]),
    ReceiverCase(title: "an IPv6 client whose AAAA fails DNSSEC validation: Gmail rejects, Postfix defers",
                 address: v6,
                 entries: [ptrs(v6, "mail.example.com"), ("mail.example.com", .aaaa, .failure(.serverFailure))],
                 expected: [.reject, .defer, .accept, .penalise], rules: ["RDNS_NONE"],
                 checkingDisabled: [forward("mail.example.com", v6)]),
    ReceiverCase(title: "an IPv4 client whose A lookup meets a CNAME loop behind SERVFAIL: as the SERVFAIL for Postfix",
                 address: v4,
                 entries: [ptrs(v4, "mail.example.com"), ("mail.example.com", .a, .failure(.serverFailure)),
                           ("mail.example.com", .cname, answer(cname("mail.example.com", "mail.example.com")))],
                 expected: [.reject, .atRisk, .accept, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "an IPv6 client whose AAAA lookup meets a CNAME loop: Postfix defers, as its resolver says "
                 + "SERVFAIL", address: v6,
                 entries: [ptrs(v6, "mail.example.com"),
                           ("mail.example.com", .aaaa, answer(cname("mail.example.com", "mail.example.com")))],
                 expected: [.reject, .defer, .accept, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a name whose A is elsewhere: only the reverse rule accepts", address: v4,
                 entries: [ptrs(v4, "mail.example.com"), forward("mail.example.com", "198.51.100.9")],
                 expected: [.reject, .reject, .accept, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a name without A: only the reverse rule accepts", address: v4,
                 entries: [ptrs(v4, "mail.example.com"), ("mail.example.com", .a, noData)],
                 expected: [.reject, .reject, .accept, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "two names, one confirming: Postfix depends on which comes first", address: v4,
                 entries: [ptrs(v4, "mail.example.com", "old.example.com"), forward("mail.example.com", v4),
                           forward("old.example.com", "198.51.100.9")],
                 expected: [.accept, .atRisk, .accept, .accept]),
    ReceiverCase(title: "two names, both confirming: every rule accepts", address: v4,
                 entries: [ptrs(v4, "mail.example.com", "smtp.example.com"), forward("mail.example.com", v4),
                           forward("smtp.example.com", v4)],
                 expected: [.accept, .accept, .accept, .accept]),
    ReceiverCase(title: "an IPv4 client whose A lookup fails: Postfix depends on the search domain", address: v4,
                 entries: [ptrs(v4, "mail.example.com"), ("mail.example.com", .a, .failure(.timeout))],
                 expected: [.defer, .atRisk, .accept, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "an IPv6 client whose AAAA lookup fails: deferred", address: v6,
                 entries: [ptrs(v6, "mail.example.com"), ("mail.example.com", .aaaa, .failure(.serverFailure))],
                 expected: [.defer, .defer, .accept, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "one name refuted and one failing: Postfix depends on which comes first", address: v6,
                 entries: [ptrs(v6, "a.example.com", "b.example.com"), forward("a.example.com", "2001:db8::9"),
                           ("b.example.com", .aaaa, .failure(.serverFailure))],
                 expected: [.defer, .atRisk, .accept, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a confirmed generic name: SpamAssassin's RDNS_DYNAMIC", address: v4,
                 entries: [ptrs(v4, "203-0-113-25.dsl.example.net"), forward("203-0-113-25.dsl.example.net", v4)],
                 expected: [.accept, .accept, .accept, .penalise], rules: ["RDNS_DYNAMIC"]),
    ReceiverCase(title: "a confirmed name with an underscore, which glibc and Postfix take", address: v4,
                 entries: [ptrs(v4, "mail_out.example.com"), forward("mail_out.example.com", v4)],
                 expected: [.accept, .accept, .accept, .accept]),
    ReceiverCase(title: "a name of digits and dots: glibc keeps it, Postfix refuses it (\"numeric hostname\")",
                 address: v4,
                 entries: [ptrs(v4, "10.20.30"), forward("10.20.30", v4)],
                 expected: [.reject, .reject, .reject, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a name with a space only: glibc drops it, so there is none", address: v4,
                 entries: [(reverse(v4), .ptr, reply(reverse(v4), [spaced]))],
                 expected: [.reject, .reject, .reject, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a name with a space beside a confirmed one: glibc always gives the confirmed one",
                 address: v4, entries: [(reverse(v4), .ptr, reply(reverse(v4), [spaced, name("mail.example.com")])),
                                        forward("mail.example.com", v4)],
                 expected: [.accept, .accept, .accept, .accept]),
    ReceiverCase(title: "a PTR made up by systemd-resolved counts as none", address: "172.31.5.10",
                 entries: [(reverse("172.31.5.10"), .ptr,
                            reply(reverse("172.31.5.10"), [name("mail.example.com")],
                                  flags: [.authoritative, .authenticData]))],
                 expected: [.reject, .reject, .reject, .penalise], rules: ["RDNS_NONE"]),
    ReceiverCase(title: "a forward answer made up by systemd-resolved does not confirm", address: "172.31.5.10",
                 entries: [ptrs("172.31.5.10", "mail.example.com"),
                           ("mail.example.com", .a, .reply(
                               rcode: DNSMessage.rcodeNoError,
                               answers: [ResourceRecord(owner: name("mail.example.com"), type: RecordType.a.rawValue,
                                                        ttl: 0, data: .address(IPAddress("172.31.5.10")!))],
                               flags: [.authoritative, .authenticData]))],
                 expected: [.reject, .reject, .accept, .penalise], rules: ["RDNS_NONE"]),
]

@Suite("ReceiverVerdicts: what Gmail, Postfix and SpamAssassin do with the address's mail")
struct ReceiverVerdictsTests {
    @Test("each DNS set-up gets each rule's verdict", arguments: cases)
    func verdictsPerSetUp(case: ReceiverCase) async {
        let (_, outcomes) = await verdicts(`case`.address, `case`.entries, checkingDisabled: `case`.checkingDisabled)
        #expect(outcomes.map(\.rule) == ReceiverRule.allCases)
        #expect(outcomes.map(\.verdict) == `case`.expected)
        #expect(outcomes.last?.rules == `case`.rules)
        #expect(outcomes.dropLast().allSatisfy { $0.rules.isEmpty })
        #expect(outcomes.map(\.accepts) == `case`.expected.map { $0 == .accept })
    }

    @Test("the shortcut for a plain address says what the rules one by one say, and is taken just where they agree",
          arguments: cases)
    func shortcutAgreesWithTheRules(case: ReceiverCase) async {
        let (result, outcomes) = await verdicts(`case`.address, `case`.entries,
                                                checkingDisabled: `case`.checkingDisabled)
        #expect(outcomes == ReceiverVerdicts.byEachRule(result))
        // Taken exactly where the rules one by one give the plain verdicts.
        let plain = result.ptrNames.count == 1
            && ReceiverVerdicts.byEachRule(result) == ReceiverVerdicts.plainOutcomes(result.ptrNames[0])
        #expect((ReceiverVerdicts.plainName(result) != nil) == plain)
        // What the check worked out of its names is what they are.
        #expect(result.nameTraits == PTRNameTraits(result.ptrNames, of: result.address))
    }

    @Test("a confirmed name that is generic, numeric or one of two is no plain address")
    func shortcutIsNotTakenForOtherNames() async {
        let plain = await verdicts(v4, [ptrs(v4, "mail.example.com"), forward("mail.example.com", v4)]).0
        #expect(ReceiverVerdicts.plainName(plain) == name("mail.example.com"))
        let generic = "203-0-113-25.dsl.example.net"
        let numeric = "192.0.2.7"
        for entries in [[ptrs(v4, generic), forward(generic, v4)],
                        [ptrs(v4, numeric), forward(numeric, v4)],
                        [ptrs(v4, "a.example.com", "b.example.com"), forward("a.example.com", v4),
                         forward("b.example.com", v4)]] {
            let (result, outcomes) = await verdicts(v4, entries)
            #expect(ReceiverVerdicts.plainName(result) == nil)
            #expect(outcomes == ReceiverVerdicts.byEachRule(result))
            #expect(result.nameTraits == PTRNameTraits(result.ptrNames, of: result.address))
        }
    }

    @Test("a refuted name's reasons name the record and Postfix's reject code")
    func refutedReasons() async {
        let (_, outcomes) = await verdicts(v4, [ptrs(v4, "mail.example.com"), forward("mail.example.com", "192.0.2.9")])
        #expect(outcomes.map(\.reason) == [
            "PTR mail.example.com does not forward-confirm",
            "PTR mail.example.com does not forward-confirm: unknown_client_reject_code (450 by default: the mail is "
                + "deferred, then bounced when it expires; 550 at once where the site sets it)",
            "PTR mail.example.com exists",
            "no PTR name forward-confirms, so the receiving MTA (Postfix, Exim) records the client as unknown: no "
                + "name for SpamAssassin",
        ])
    }

    @Test("an IPv4 client whose A lookup fails is at risk of a forged-client reject where there is a search domain")
    func failedForwardLookupReasons() async {
        let (result, outcomes) = await verdicts(v4, [ptrs(v4, "mail.example.com"),
                                                     ("mail.example.com", .a, .failure(.serverFailure))])
        #expect(result.forwardFailures == [name("mail.example.com")])
        #expect(outcomes[0].reason
            == "no PTR name forward-confirms yet: the A lookup for PTR mail.example.com failed temporarily")
        #expect(outcomes[1].reason.hasPrefix("the A lookup for PTR mail.example.com failed temporarily: where the "
            + "receiver's resolv.conf has a search domain, glibc reports no such name and Postfix rejects the "
            + "client as forged (unknown_client_reject_code"))
        #expect(outcomes[1].reason.hasSuffix("; without one, 450"))
    }

    @Test("a name receivers' resolvers answer with SERVFAIL is named as such in Postfix's reason")
    func unresolvableForwardReason() async {
        let (_, outcomes) = await verdicts(v6, [ptrs(v6, "mail.example.com"),
                                                ("mail.example.com", .aaaa, .failure(.serverFailure))],
                                           checkingDisabled: [forward("mail.example.com", v6)])
        #expect(outcomes[0].reason == "PTR mail.example.com does not forward-confirm")
        #expect(outcomes[1].reason == "receivers' resolvers answer the AAAA lookup for PTR mail.example.com with "
            + "SERVFAIL (a CNAME loop or DNSSEC validation failing): 450")
        let (_, reverse) = await verdicts(v4, [(RDNSCoreTests.reverse(v4), .ptr, .failure(.serverFailure))],
                                          checkingDisabled: [ptrs(v4, "mail.example.com")])
        #expect(reverse[0].reason == "the PTR lookup fails DNSSEC validation, which validating receivers' resolvers "
            + "answer with SERVFAIL until its DS/DNSKEY records are fixed")
    }

    @Test("a name of digits and dots is one Postfix refuses, which its reasons say")
    func numericNameReasons() async {
        let (_, outcomes) = await verdicts(v4, [ptrs(v4, "192.0.2.1"), forward("192.0.2.1", v4)])
        let refused = "Postfix takes no PTR name (192.0.2.1): glibc drops a name holding a character other than "
            + "a-z, 0-9, - and _, and Postfix refuses one that is not a valid hostname or is made of digits and dots "
            + "only: unknown_client_reject_code"
        #expect(outcomes[1].reason.hasPrefix(refused))
        #expect(outcomes[2].reason.hasPrefix(refused))
    }

    @Test("with several names, the at-risk reason says which confirm and which do not")
    func partialReason() async {
        let (_, outcomes) = await verdicts(v4, [ptrs(v4, "mail.example.com", "old.example.com"),
                                                forward("mail.example.com", v4),
                                                forward("old.example.com", "198.51.100.9")])
        #expect(outcomes[1].reason == "depends on which PTR name the receiver's resolver gives first: "
            + "PTR mail.example.com forward-confirms; PTR old.example.com does not forward-confirm")
    }

    @Test("a generic name's SpamAssassin reason says why it looks dynamic")
    func dynamicReason() async throws {
        let (_, outcomes) = await verdicts(v4, [ptrs(v4, "203-0-113-25.dsl.example.net"),
                                                forward("203-0-113-25.dsl.example.net", v4)])
        let generic = try #require(GenericNameDetector.reason(name("203-0-113-25.dsl.example.net"),
                                                               for: IPAddress(v4)!))
        #expect(outcomes[3].reason == "PTR 203-0-113-25.dsl.example.net looks dynamic: \(generic)")
    }

    @Test("more PTR names than are looked up: Postfix may pick one never looked up, the others accept")
    func cutListIsAtRisk() async {
        let names = (0..<(AddressResult.maximumPTRNames + 1)).map(SampleReports.numberedName)
        let answers = names.map { ptr(reverse(v4), $0) }
        let entries = [(reverse(v4), RecordType.ptr, QueryOutcome.reply(rcode: DNSMessage.rcodeNoError,
                                                                         answers: answers))]
            + names.map { forward($0, v4) }
        let (result, outcomes) = await verdicts(v4, entries)
        #expect(result.ptrCount == 33 && result.ptrNames.count == 32)
        #expect(outcomes.map(\.verdict) == [.accept, .atRisk, .accept, .accept])
        #expect(outcomes[1].reason.hasSuffix("but glibc may pick one of the other 1, never looked up"))
    }

    @Test("a result that is only a forward failure records the failing names; a passing one records none")
    func forwardFailuresAreRecorded() async {
        let (failing, _) = await verdicts(v4, [ptrs(v4, "a.example.com", "b.example.com"), forward("a.example.com", v4),
                                               ("b.example.com", .a, .failure(.refused))])
        #expect(failing.forwardFailures == [name("b.example.com")])
        let (passing, _) = await verdicts(v4, [ptrs(v4, "a.example.com"), forward("a.example.com", v4)])
        #expect(passing.forwardFailures.isEmpty)
    }
}
