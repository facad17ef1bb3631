import RDNSCore
import Testing

private let eip = "198.51.100.25"
private let allocation = "eipalloc-0123456789abcdef0"
private let defaultName = "ec2-198-51-100-25.compute-1.amazonaws.com"

/// DNS as it is for the Elastic IP before and during an update: the AWS default name (generic, and confirming),
/// mail.example.test (the name asked for, confirming), elsewhere.example.test (resolving to another address),
/// gone.example.test (no such name), slow.example.test (its lookup times out).
private func table(ptr: QueryOutcome) -> [(String, RecordType, QueryOutcome)] {
    [
        (reverse(eip), .ptr, ptr),
        (defaultName, .a, answer(address(defaultName, eip))),
        ("mail.example.test", .a, answer(address("mail.example.test", eip))),
        ("elsewhere.example.test", .a, answer(address("elsewhere.example.test", "192.0.2.9"))),
        ("slow.example.test", .a, .failure(.timeout)),
    ]
}

private func ptrAnswer(_ names: String...) -> QueryOutcome {
    .reply(rcode: DNSMessage.rcodeNoError, answers: names.map { ptr(reverse(eip), $0) })
}

private func record(ptr: String? = nil, update: String? = nil, status: String = "PENDING", reason: String? = nil,
                    hasUpdate: Bool = true) -> AWSAddressRecord {
    AWSAddressRecord(publicIP: IPAddress(eip)!, allocationID: allocation, ptrRecord: ptr.map(name),
                     update: hasUpdate ? AWSAddressRecord.Update(value: update.map(name), status: status,
                                                                 reason: reason) : nil)
}

/// The DNS check of the Elastic IP, then AWS's record applied with the same resolver.
private func assessed(_ ptr: QueryOutcome, _ record: AWSAddressRecord?, expected: String? = nil,
                      policy: CheckPolicy = CheckPolicy()) async -> (dns: AddressResult, assessed: AddressResult,
                                                                     questions: [String]) {
    let resolver = FakeResolver(table(ptr: ptr))
    let dns = await ForwardConfirmation(resolver: resolver, policy: policy)
        .check(CheckTarget(IPAddress(eip)!, expectedName: expected.map(name)))
    let asked = resolver.questions.count
    let result = await AWSPTRAssessment.assess(dns, record: record, resolver: resolver)
    return (dns, result, Array(resolver.questions.dropFirst(asked)))
}

private func severities(_ result: AddressResult) -> [String] {
    result.problems.map { "\($0.code.rawValue) \($0.severity.word)" }
}

@Suite("AWSPTRAssessment: what AWS's record of the PTR changes")
struct AWSPTRAssessmentTests {
    @Test("a pending update to a name that forward-confirms is a WARNING, and no-ptr counts as one meanwhile")
    func pendingConfirmingDowngradesNoPTR() async throws {
        let (dns, result, questions) = await assessed(nxdomain, record(update: "mail.example.test."))
        #expect(dns.status == .critical)
        #expect(questions == ["mail.example.test A"], "the update's name is looked up once")
        #expect(result.status == .warning)
        #expect(severities(result) == ["no-ptr warning", "ptr-update-pending warning"])
        #expect(result.problems[0].detail.hasSuffix(
            "; a warning while AWS's PTR update to mail.example.test is pending"))
        #expect(result.problems[1].detail == "AWS has not yet made the PTR update to mail.example.test "
                + "(status PENDING); mail.example.test resolves to the address")
        #expect(result.aws == record(update: "mail.example.test."))
    }

    @Test("the old name's forward-mismatch counts as a WARNING while a confirming update is pending")
    func pendingConfirmingDowngradesForwardMismatch() async {
        let (dns, result, _) = await assessed(ptrAnswer("elsewhere.example.test"),
                                              record(ptr: "elsewhere.example.test", update: "mail.example.test"))
        #expect(severities(dns) == ["forward-mismatch critical"])
        #expect(severities(result) == ["forward-mismatch warning", "ptr-update-pending warning"])
        #expect(result.status == .warning)
    }

    @Test("a generic-ptr made CRITICAL by `generic-ptr fail` counts as a WARNING while the update is pending")
    func pendingConfirmingDowngradesGeneric() async {
        let (dns, result, _) = await assessed(ptrAnswer(defaultName),
                                              record(ptr: defaultName, update: "mail.example.test"),
                                              policy: CheckPolicy(genericNames: .fail))
        #expect(severities(dns) == ["generic-ptr critical"])
        #expect(severities(result) == ["generic-ptr warning", "ptr-update-pending warning"])
    }

    @Test("expected-name-mismatch counts as a WARNING only when the update asks for the expected name")
    func expectedNameOnlyWhenTheUpdateIsIt() async {
        let toExpected = await assessed(ptrAnswer(defaultName), record(ptr: defaultName, update: "mail.example.test"),
                                        expected: "mail.example.test")
        #expect(severities(toExpected.assessed) == ["expected-name-mismatch warning", "generic-ptr warning",
                                                    "ptr-update-pending warning"])
        let toOther = await assessed(ptrAnswer(defaultName), record(ptr: defaultName, update: "mail.example.test"),
                                     expected: "mx.example.test")
        #expect(severities(toOther.assessed) == ["expected-name-mismatch critical", "generic-ptr warning",
                                                 "ptr-update-pending warning"])
        #expect(toOther.assessed.status == .critical)
    }

    @Test("a pending update to a name that does not resolve to the address is CRITICAL, and nothing is downgraded",
          arguments: [
              ("elsewhere.example.test", "elsewhere.example.test resolves to 192.0.2.9, not 198.51.100.25"),
              ("gone.example.test", "gone.example.test has no A record (NXDOMAIN)"),
              ("-bad.example.test", "-bad.example.test is not a valid hostname: a label starts with a hyphen"),
          ])
    func pendingRefuted(updateName: String, why: String) async throws {
        let (_, result, _) = await assessed(nxdomain, record(update: updateName))
        #expect(result.status == .critical)
        #expect(severities(result) == ["no-ptr critical", "ptr-update-pending critical"])
        let detail = try #require(result.problems.last?.detail)
        #expect(detail.contains(why), "\(detail)")
        #expect(detail.hasSuffix("it does not resolve to the address, so AWS will refuse the update and receivers "
                                 + "would reject the name"))
    }

    @Test("a pending update whose name cannot be looked up now is a WARNING that says so, and downgrades nothing")
    func pendingUndecided() async throws {
        let (_, result, _) = await assessed(nxdomain, record(update: "slow.example.test"))
        #expect(severities(result) == ["no-ptr critical", "ptr-update-pending warning"])
        #expect(try #require(result.problems.last?.detail).hasSuffix(
            "whether slow.example.test resolves to the address is not known: its A lookup failed: timeout"))
    }

    @Test("a pending update to a name DNS already gives is judged from the forward answer, with no lookup")
    func pendingNameAlreadyLive() async {
        let (_, result, questions) = await assessed(ptrAnswer("mail.example.test"),
                                                    record(ptr: defaultName, update: "mail.example.test."))
        #expect(questions.isEmpty)
        #expect(severities(result) == ["ptr-update-pending warning"], "DNS ahead of AWS's record is no mismatch")
    }

    @Test("the pure assessment takes the confirmation as input; none counts as not known")
    func pureAssessment() async {
        let (dns, _, _) = await assessed(nxdomain, nil)
        let confirmed = AWSPTRAssessment.assess(dns, record: record(update: "a.example.test"), updateName: .confirms)
        #expect(severities(confirmed) == ["no-ptr warning", "ptr-update-pending warning"])
        let unknown = AWSPTRAssessment.assess(dns, record: record(update: "a.example.test"), updateName: nil)
        #expect(severities(unknown) == ["no-ptr critical", "ptr-update-pending warning"])
    }

    @Test("a pending update that removes the PTR is a WARNING")
    func pendingRemoval() async throws {
        let (_, result, _) = await assessed(ptrAnswer("mail.example.test"), record(ptr: "mail.example.test"))
        #expect(severities(result) == ["ptr-update-pending warning"])
        #expect(result.problems[0].detail == "AWS has not yet made the PTR update removing the PTR (status PENDING)")
    }

    @Test("an update in any status but successful is CRITICAL ptr-update-failed with AWS's reason", arguments: [
        ("FAILED", "The domain name does not resolve to the IP address",
         "AWS's PTR update to mail.example.test ended with status FAILED: "
         + "The domain name does not resolve to the IP address"),
        ("failed", nil, "AWS's PTR update to mail.example.test ended with status failed (AWS gave no reason)"),
        ("CANCELLED", "line one\nline two\u{1b}[31m",
         "AWS's PTR update to mail.example.test ended with status CANCELLED: line one\\010line two\\027[31m"),
    ])
    func failedUpdate(status: String, reason: String?, detail: String) async {
        let (_, result, _) = await assessed(ptrAnswer("mail.example.test"),
                                            record(ptr: "mail.example.test", update: "mail.example.test",
                                                   status: status, reason: reason))
        #expect(result.status == .critical)
        #expect(severities(result) == ["ptr-update-failed critical"])
        #expect(result.problems[0].detail == detail)
    }

    @Test("a long reason is cut")
    func longReasonCut() async throws {
        let (_, result, _) = await assessed(ptrAnswer("mail.example.test"),
                                            record(ptr: "mail.example.test", update: "mail.example.test",
                                                   status: "failed", reason: String(repeating: "r", count: 5_000)))
        let detail = try #require(result.problems.first?.detail)
        #expect(detail.count < 300)
        #expect(detail.hasSuffix("r…"))
    }

    @Test("a successful update whose record matches live DNS changes nothing but `aws`")
    func successfulMatching() async {
        let aws = record(ptr: "MAIL.example.test.", update: "mail.example.test.", status: "SUCCESSFUL")
        let (dns, result, _) = await assessed(ptrAnswer("mail.example.test"), aws)
        #expect(dns.status == .ok)
        #expect(result.status == .ok)
        #expect(result.problems.isEmpty)
        #expect(result.aws == aws)
    }

    @Test("a PtrRecord that is not what live DNS gives is a WARNING aws-ptr-mismatch", arguments: [
        (ptrAnswer("mail.example.test"), "mx.example.test", "AWS's record of the PTR is mx.example.test, "
         + "live DNS gives PTR mail.example.test"),
        (nxdomain, "mail.example.test", "AWS's record of the PTR is mail.example.test, live DNS gives no PTR"),
        (ptrAnswer("mail.example.test", defaultName), "mail.example.test", "AWS's record of the PTR is "
         + "mail.example.test, live DNS gives PTR \(defaultName), mail.example.test"),
    ])
    func mismatch(ptr: QueryOutcome, recorded: String, detail: String) async throws {
        let (_, result, _) = await assessed(ptr, record(ptr: recorded, hasUpdate: false))
        let problem = try #require(result.problems.first { $0.code == .awsPTRMismatch })
        #expect(problem.severity == .warning)
        #expect(problem.detail == detail)
    }

    @Test("no aws-ptr-mismatch when DNS did not answer, or AWS has no PtrRecord")
    func noMismatchWithoutBothSides() async {
        let failed = await assessed(.failure(.serverFailure), record(ptr: "mail.example.test", hasUpdate: false))
        #expect(severities(failed.assessed) == ["temporary-failure warning"])
        #expect(failed.assessed.aws != nil)
        let none = await assessed(ptrAnswer("mail.example.test"), record(hasUpdate: false))
        #expect(none.assessed.problems.isEmpty)
    }

    @Test("an address AWS does not list is left as DNS judged it")
    func unlistedUnchanged() async {
        let (dns, result, questions) = await assessed(nxdomain, nil)
        #expect(result == dns)
        #expect(result.aws == nil)
        #expect(questions.isEmpty)
    }
}
