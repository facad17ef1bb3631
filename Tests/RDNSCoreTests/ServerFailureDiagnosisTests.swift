import RDNSCore
import RDNSPOSIX
import Testing

private let v4 = "203.0.113.25"
private let reverseName = reverse(v4)
private let ptrToMail = (reverseName, RecordType.ptr, answer(ptr(reverseName, "mail.example.com")))
private let servfail = QueryOutcome.failure(.serverFailure)

/// One check of 203.0.113.25 and the resolver that answered it (for its questions).
private func check(_ entries: [(String, RecordType, QueryOutcome)],
                   checkingDisabled: [(String, RecordType, QueryOutcome)] = []) async -> (AddressResult, FakeResolver) {
    let resolver = FakeResolver(entries, checkingDisabled: checkingDisabled)
    return (await ForwardConfirmation(resolver: resolver).check(CheckTarget(IPAddress(v4)!)), resolver)
}

private func codes(_ result: AddressResult) -> [String] {
    result.problems.map(\.code.rawValue)
}

/// The detail of the problem with `code` (nil when there is none: a failing test must not crash the run).
private func detail(_ result: AddressResult, _ code: ProblemCode) -> String? {
    result.problems.first { $0.code == code }?.detail
}

/// A chain of CNAMEs `first` -> h1.chain.example -> ... -> h<count>.chain.example, each answering only its CNAME
/// query (its A query gets SERVFAIL, as a resolver that gave up on the chain answers).
private func hiddenChain(from first: String, count: Int) -> [(String, RecordType, QueryOutcome)] {
    var entries: [(String, RecordType, QueryOutcome)] = [(first, .a, servfail)]
    var current = first
    for hop in 1...count {
        let next = "h\(hop).chain.example"
        entries.append((current, .cname, answer(cname(current, next))))
        current = next
    }
    return entries
}

@Suite("ServerFailureDiagnosis: a SERVFAIL is diagnosed before it is called temporary")
struct ServerFailureDiagnosisTests {
    @Test("a forward name that answers only with CD set is CRITICAL dnssec-bogus naming it, not a temporary failure")
    func bogusForwardNameIsCritical() async {
        let (result, resolver) = await check([ptrToMail, ("mail.example.com", .a, servfail)],
                                             checkingDisabled: [("mail.example.com", .a,
                                                                 answer(address("mail.example.com", v4)))])
        #expect(result.status == .critical)
        #expect(codes(result) == ["dnssec-bogus"])
        #expect(detail(result, .dnssecBogus) == "A lookup for PTR mail.example.com: DNSSEC validation of "
            + "mail.example.com fails (SERVFAIL, but an answer with checking disabled): validating receivers cannot "
            + "resolve it until its DS/DNSKEY records are fixed")
        #expect(result.temporaryFailures == 0)
        #expect(result.forwardUnresolvable == [name("mail.example.com")])
        #expect(result.forwardFailures.isEmpty && !result.isForwardConfirmed)
        #expect(resolver.questions == ["\(reverseName) PTR", "mail.example.com A", "mail.example.com A +cd",
                                       "mail.example.com A"])
    }

    @Test("a reverse name that answers only with CD set is CRITICAL dnssec-bogus, its NXDOMAIN with CD included",
          arguments: [answer(ptr(reverseName, "mail.example.com")), nxdomain])
    func bogusReverseNameIsCritical(withCD: QueryOutcome) async {
        let (result, _) = await check([(reverseName, .ptr, servfail)],
                                      checkingDisabled: [(reverseName, .ptr, withCD)])
        #expect(result.status == .critical)
        #expect(codes(result) == ["dnssec-bogus"])
        #expect(detail(result, .dnssecBogus)?.hasPrefix("PTR lookup for \(reverseName): DNSSEC validation of "
            + "\(reverseName) fails") == true)
        #expect(result.ptrNames.isEmpty && result.temporaryFailures == 0)
    }

    @Test("a bogus CNAME target is the name the problem and its fix name")
    func bogusTargetIsNamed() async {
        let delegated = "25.0/25.113.0.203.in-addr.arpa"
        let (result, _) = await check([(reverseName, .ptr, answer(cname(reverseName, delegated))),
                                       (delegated, .ptr, servfail)],
                                      checkingDisabled: [(delegated, .ptr, nxdomain)])
        #expect(codes(result) == ["dnssec-bogus"])
        #expect(detail(result, .dnssecBogus)?.contains("DNSSEC validation of \(delegated) fails") == true)
        #expect(FixAdvice.advise(result).problems.first?.fix == "the DS record at the parent of \(delegated)'s zone "
            + "does not match the zone's DNSKEY (or its signatures have expired): fix or remove the DS, or re-sign the "
            + "zone")
    }

    @Test("a SERVFAIL that an answer with CD set and then one without it follows was passing: the answer counts")
    func passingServerFailureIsAnswered() async {
        let resolver = SequenceResolver([servfail, answer(address("mail.example.com", v4)),
                                         answer(address("mail.example.com", v4))])
        let lookup = await ChainedLookup.resolve(name("mail.example.com"), type: .a, using: resolver)
        #expect(lookup.outcome == .records([.address(IPAddress(v4)!)]))
        #expect(resolver.asked == 3)
    }

    @Test("a CNAME loop a resolver hides behind SERVFAIL is found hop by hop: CRITICAL cname-loop")
    func loopBehindServerFailureIsCritical() async {
        let (result, resolver) = await check([
            ptrToMail, ("mail.example.com", .a, servfail),
            ("mail.example.com", .cname, answer(cname("mail.example.com", "alias.example.com"))),
            ("alias.example.com", .cname, answer(cname("alias.example.com", "mail.example.com"))),
        ])
        #expect(result.status == .critical)
        #expect(codes(result) == ["cname-loop"])
        #expect(detail(result, .cnameLoop) == "A lookup for PTR mail.example.com meets a CNAME loop at "
            + "mail.example.com (the resolver answers SERVFAIL; each name asked for its CNAME shows it)")
        #expect(result.forwardUnresolvable == [name("mail.example.com")])
        #expect(resolver.questions == ["\(reverseName) PTR", "mail.example.com A", "mail.example.com A +cd",
                                       "mail.example.com CNAME", "alias.example.com CNAME"])
    }

    @Test("a loop behind SERVFAIL on the reverse side, after a CNAME already followed, counts that CNAME")
    func reverseLoopAfterFollowedCNAME() async {
        let (result, _) = await check([
            (reverseName, .ptr, answer(cname(reverseName, "a.rev.example"))), ("a.rev.example", .ptr, servfail),
            ("a.rev.example", .cname, answer(cname("a.rev.example", reverseName))),
        ])
        #expect(codes(result) == ["cname-loop"])
        #expect(detail(result, .cnameLoop)?.hasPrefix("PTR lookup for \(reverseName) meets a CNAME loop at "
            + "\(reverseName) (the resolver answers SERVFAIL") == true)
    }

    @Test("a SERVFAIL that is neither stays a temporary failure, after two extra questions")
    func plainServerFailureStaysTemporary() async {
        let (result, resolver) = await check([(reverseName, .ptr, servfail)])
        #expect(result.status == .warning)
        #expect(codes(result) == ["temporary-failure"])
        #expect(detail(result, .temporaryFailure)?.hasPrefix("PTR lookup for \(reverseName) failed: SERVFAIL") == true)
        #expect(resolver.questions == ["\(reverseName) PTR", "\(reverseName) PTR +cd", "\(reverseName) CNAME"])
    }

    @Test("a chain behind SERVFAIL that ends is no loop: temporary, one CNAME question per hop and one more")
    func endingChainBehindServerFailureStaysTemporary() async {
        let (result, resolver) = await check([ptrToMail] + hiddenChain(from: "mail.example.com", count: 3))
        #expect(codes(result) == ["temporary-failure"])
        #expect(resolver.questions.filter { $0.hasSuffix(" CNAME") }.count == 4)
    }

    @Test("a chain behind SERVFAIL longer than sixteen is cname-loop, after at most seventeen CNAME questions",
          arguments: [17, 40])
    func overlongChainBehindServerFailure(length: Int) async {
        let (result, resolver) = await check([ptrToMail] + hiddenChain(from: "mail.example.com", count: length))
        #expect(codes(result) == ["cname-loop"])
        #expect(detail(result, .cnameLoop)?.contains("meets a CNAME beyond the 16 followed, at h17.chain.example")
            == true)
        #expect(resolver.questions.filter { $0.hasSuffix(" CNAME") }.count == 17)
        #expect(resolver.questions.count == 2 + 1 + 17)
    }

    @Test("a chain behind SERVFAIL longer than 8 that ends is asked from its end: its answer counts, with a warning",
          arguments: [9, 16])
    func longChainBehindServerFailureIsFollowed(length: Int) async {
        let end = "h\(length).chain.example"
        let (result, resolver) = await check([ptrToMail, (end, .a, answer(address(end, v4)))]
                                             + hiddenChain(from: "mail.example.com", count: length))
        #expect(result.status == .warning)
        #expect(codes(result) == ["ptr-is-cname", "long-cname-chain"])
        #expect(result.isForwardConfirmed)
        #expect(detail(result, .longCNAMEChain) == "A lookup for PTR mail.example.com follows \(length) CNAMEs to "
            + "\(end): legal, but some resolvers give up after 8 (the resolver asked does: SERVFAIL; each name "
            + "asked for its CNAME shows the chain)")
        #expect(resolver.questions.suffix(2) == ["\(end) CNAME", "\(end) A"])
    }

    @Test("a long chain behind SERVFAIL whose end fails too stays temporary, its end diagnosed once")
    func longChainWithFailingEndStaysTemporary() async {
        let end = "h9.chain.example"
        let (result, resolver) = await check([ptrToMail, (end, .a, servfail)]
                                             + hiddenChain(from: "mail.example.com", count: 9))
        #expect(codes(result) == ["temporary-failure"])
        #expect(resolver.questions.suffix(4) == ["\(end) CNAME", "\(end) A", "\(end) A +cd", "\(end) CNAME"])
        #expect(resolver.questions.count == 3 + 10 + 3)
    }

    @Test("a question with CD set that gets no SERVFAIL either (a timeout) ends the diagnosis")
    func failingCDQuestionEndsDiagnosis() async {
        let (result, resolver) = await check([(reverseName, .ptr, servfail)],
                                             checkingDisabled: [(reverseName, .ptr, .failure(.timeout))])
        #expect(codes(result) == ["temporary-failure"])
        #expect(detail(result, .temporaryFailure)?.contains("failed: SERVFAIL") == true)
        #expect(resolver.questions == ["\(reverseName) PTR", "\(reverseName) PTR +cd"])
    }

    @Test("a lookup without SERVFAIL asks nothing more", arguments: [LookupFailure.timeout, .refused])
    func otherFailuresAreNotDiagnosed(failure: LookupFailure) async {
        let (result, resolver) = await check([(reverseName, .ptr, .failure(failure))])
        #expect(codes(result) == ["temporary-failure"])
        #expect(resolver.questions == ["\(reverseName) PTR"])
    }
}

/// Answers its questions with `outcomes` in turn, whatever they ask.
private final class SequenceResolver: DNSResolver {
    private let outcomes: [QueryOutcome]
    private let count = Locked(0)

    init(_ outcomes: [QueryOutcome]) {
        self.outcomes = outcomes
    }

    var asked: Int { count.withLock { $0 } }

    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        let index = count.withLock { count in
            defer { count += 1 }
            return count
        }
        return outcomes[min(index, outcomes.count - 1)]
    }
}
