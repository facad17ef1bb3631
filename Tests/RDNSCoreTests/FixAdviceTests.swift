import RDNSCore
import Testing

/// The check of `address` against a fake DNS table, with AWS's record when given, then its fixes.
private func advised(_ address: String, expected: String? = nil, aws: AWSAddressRecord? = nil,
                     region: String? = nil, _ entries: [(String, RecordType, QueryOutcome)]) async -> AddressResult {
    let target = CheckTarget(IPAddress(address)!, expectedName: expected.map(name))
    var result = await ForwardConfirmation(resolver: FakeResolver(entries)).check(target)
    result.aws = aws
    return FixAdvice.advise(result, region: region)
}

/// The fix of the problem with `code`.
private func fix(_ result: AddressResult, _ code: ProblemCode) -> String? {
    result.problems.first { $0.code == code }?.fix
}

private func elasticIP(_ address: String, id: String = "eipalloc-0123abcd", ptr: String? = nil,
                       update: AWSAddressRecord.Update? = nil) -> AWSAddressRecord {
    AWSAddressRecord(publicIP: IPAddress(address)!, allocationID: id, ptrRecord: ptr.map(name), update: update)
}

/// A PTR `target` for `address`, and `target`'s forward records.
private func ptrTo(_ address: String, _ target: String, forward: QueryOutcome) -> [(String, RecordType, QueryOutcome)] {
    [(reverse(address), .ptr, answer(ptr(reverse(address), target))),
     (target, RecordType.forward(for: IPAddress(address)!), forward)]
}

/// A result as the AWS verdicts leave it: `problems` given, AWS's record attached, then advised.
private func awsResult(_ address: String, expected: String? = nil, ptrNames: [String] = [],
                       confirmed: Bool = false, aws: AWSAddressRecord, problems: [Problem]) -> AddressResult {
    let ip = IPAddress(address)!
    var result = AddressResult(
        target: CheckTarget(ip, expectedName: expected.map(name)), status: problems.map(\.severity).max() ?? .ok,
        ptrNames: ptrNames.map(name),
        forward: ptrNames.map { ForwardAnswer(name: name($0), addresses: confirmed ? [ip] : []) },
        problems: problems, temporaryFailures: 0)
    result.aws = aws
    return FixAdvice.advise(result, region: "eu-west-1")
}

private let pasteSafe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ")

@Suite("FixAdvice: one line per problem saying what to change, and where")
struct FixAdviceTests {
    @Test("a PTR name without an A record: the A record to add")
    func forwardNoAddressAddsTheARecord() async {
        let result = await advised("203.0.113.25", ptrTo("203.0.113.25", "mail.example.com", forward: nxdomain))
        #expect(fix(result, .forwardNoAddress) == "add an A record: mail.example.com. IN A 203.0.113.25")
    }

    @Test("for an IPv6 address the record is AAAA")
    func ipv6AddsAAAA() async {
        let result = await advised("2001:db8::25", ptrTo("2001:db8::25", "mail.example.com", forward: noData))
        #expect(fix(result, .forwardNoAddress) == "add an AAAA record: mail.example.com. IN AAAA 2001:db8::25")
    }

    @Test("a PTR name resolving elsewhere: change its A record, or ask for a PTR to a name that resolves here")
    func forwardMismatchNamesBothSides() async {
        let result = await advised("203.0.113.26", ptrTo("203.0.113.26", "mx.example.com",
                                                         forward: answer(address("mx.example.com", "198.51.100.9"))))
        #expect(fix(result, .forwardMismatch) == "change the A record of mx.example.com (now 198.51.100.9) to "
            + "203.0.113.26, or ask for a PTR to a name that resolves to 203.0.113.26")
    }

    @Test("no PTR and no name known: a placeholder the operator must choose, the A record first, then the PTR")
    func noPTRWithoutANameUsesAPlaceholder() async {
        let result = await advised("203.0.113.25", [(reverse("203.0.113.25"), .ptr, nxdomain)])
        #expect(fix(result, .noPTR) == "choose a hostname for 203.0.113.25 (HOSTNAME below), add HOSTNAME. IN A "
            + "203.0.113.25, then set 25.113.0.203.in-addr.arpa. IN PTR HOSTNAME. (in the reverse zone, or ask the "
            + "address's provider)")
    }

    @Test("no PTR on an Elastic IP: the A record first, then the exact aws command for the expected name")
    func noPTROnAnElasticIPGivesTheCommand() async {
        let result = await advised("203.0.113.25", expected: "mail.example.com", aws: elasticIP("203.0.113.25"),
                                   region: "eu-west-1", [(reverse("203.0.113.25"), .ptr, nxdomain)])
        #expect(fix(result, .noPTR) == "make sure mail.example.com. IN A 203.0.113.25 exists, then run: aws ec2 "
            + "modify-address-attribute --allocation-id eipalloc-0123abcd --domain-name mail.example.com "
            + "--region eu-west-1")
    }

    @Test("without a region the command leaves it to the aws command's own settings")
    func noRegionNoFlag() async {
        let result = await advised("203.0.113.25", expected: "mail.example.com", aws: elasticIP("203.0.113.25"),
                                   [(reverse("203.0.113.25"), .ptr, nxdomain)])
        #expect(fix(result, .noPTR)?.hasSuffix("--domain-name mail.example.com") == true)
    }

    @Test("an allocation id that is not eipalloc- and hex digits gets no command, only the record", arguments: [
        "eipalloc-1; rm -rf /", "eipalloc-", "eipalloc-$(reboot)", "alloc-0123", "eipalloc-01 --region x",
    ])
    func unsafeAllocationIDGetsNoCommand(id: String) async {
        let result = await advised("203.0.113.25", expected: "mail.example.com",
                                   aws: elasticIP("203.0.113.25", id: id), [(reverse("203.0.113.25"), .ptr, nxdomain)])
        let line = fix(result, .noPTR) ?? ""
        #expect(!line.contains("aws ec2"))
        #expect(line.hasSuffix("set 25.113.0.203.in-addr.arpa. IN PTR mail.example.com. (in the reverse zone, or ask "
            + "the address's provider)"))
    }

    @Test("a region that is not lowercase letters, digits and hyphens is left out of the command",
          arguments: ["eu-west-1; reboot", "EU West", "$(id)", ""])
    func unsafeRegionIsLeftOut(region: String) async {
        let result = await advised("203.0.113.25", expected: "mail.example.com", aws: elasticIP("203.0.113.25"),
                                   region: region, [(reverse("203.0.113.25"), .ptr, nxdomain)])
        let line = fix(result, .noPTR) ?? ""
        #expect(line.hasSuffix("--allocation-id eipalloc-0123abcd --domain-name mail.example.com"))
    }

    @Test("a generic PTR and an expected name not given: one cure, the same line for both problems")
    func genericAndExpectedMismatchShareTheirCure() async {
        let generic = "ec2-203-0-113-25.eu-west-1.compute.amazonaws.com"
        let result = await advised("203.0.113.25", expected: "mail.example.com", aws: elasticIP("203.0.113.25"),
                                   ptrTo("203.0.113.25", generic,
                                         forward: answer(address(generic, "203.0.113.25"))))
        let line = "make sure mail.example.com. IN A 203.0.113.25 exists, then run: aws ec2 modify-address-attribute "
            + "--allocation-id eipalloc-0123abcd --domain-name mail.example.com"
        #expect(fix(result, .genericPTR) == line)
        #expect(fix(result, .expectedNameMismatch) == line)
    }

    @Test("an expected name that differs from a live name of one's own that confirms: either side may change")
    func expectedMismatchNamesTheOtherSide() async {
        let result = await advised("203.0.113.25", expected: "mail.example.com",
                                   ptrTo("203.0.113.25", "mx.example.com",
                                         forward: answer(address("mx.example.com", "203.0.113.25"))))
        #expect(fix(result, .expectedNameMismatch) == "make sure mail.example.com. IN A 203.0.113.25 exists, then "
            + "set 25.113.0.203.in-addr.arpa. IN PTR mail.example.com. (in the reverse zone, or ask the address's "
            + "provider), or change the expected name to mx.example.com")
    }

    @Test("a PTR name under in-addr.arpa: the zone file lacks the final dot, and the record as meant")
    func arpaNameGetsTheFinalDotHint() async {
        let result = await advised("203.0.113.25", ptrTo("203.0.113.25", "mail.example.com.113.0.203.in-addr.arpa",
                                                         forward: nxdomain))
        #expect(fix(result, .forwardNoAddress) == "the zone file probably lacks the final dot after the PTR's name: "
            + "write 25.113.0.203.in-addr.arpa. IN PTR mail.example.com. (without the dot the zone's origin is "
            + "appended)")
    }

    @Test("the final-dot hint for an RFC 2317 child zone and for ip6.arpa")
    func finalDotHintClasslessAndIPv6() async {
        let classless = await advised("192.0.2.65", ptrTo("192.0.2.65", "mail.example.com.64/26.2.0.192.in-addr.arpa",
                                                          forward: nxdomain))
        #expect(fix(classless, .invalidHostname)?.contains("IN PTR mail.example.com. (without") == true)
        let zone6 = "8.b.d.0.1.0.0.2.ip6.arpa"
        let v6 = await advised("2001:db8::25", ptrTo("2001:db8::25", "mail6.example.com.\(zone6)", forward: noData))
        #expect(fix(v6, .forwardNoAddress) == "the zone file probably lacks the final dot after the PTR's name: write "
            + "\(reverse("2001:db8::25")). IN PTR mail6.example.com. (without the dot the zone's origin is appended)")
    }

    @Test("an invalid PTR name: the expected name as the PTR to ask for")
    func invalidHostnameAsksForTheExpectedName() async {
        let result = await advised("203.0.113.25", expected: "mail.example.com",
                                   ptrTo("203.0.113.25", "bad-.example.com", forward: nxdomain))
        #expect(fix(result, .invalidHostname) == "make sure mail.example.com. IN A 203.0.113.25 exists, then set "
            + "25.113.0.203.in-addr.arpa. IN PTR mail.example.com. (in the reverse zone, or ask the address's "
            + "provider)")
    }

    @Test("a hostile PTR name is printed escaped, and an Elastic IP's command then names the placeholder")
    func hostileNameNeverReachesACommand() async {
        let hostile = DNSName(labels: [Array("x;reboot $(id)\n".utf8), Array("example".utf8), Array("com".utf8)])!
        let reverseName = DNSName.reverse(of: IPAddress("203.0.113.25")!)
        let record = ResourceRecord(owner: reverseName, type: RecordType.ptr.rawValue, data: .name(hostile))
        let result = await advised("203.0.113.25", aws: elasticIP("203.0.113.25"),
                                   [(reverseName.description, .ptr, .reply(rcode: 0, answers: [record]))])
        let line = fix(result, .invalidHostname) ?? ""
        #expect(line.hasSuffix("run: aws ec2 modify-address-attribute --allocation-id eipalloc-0123abcd "
                               + "--domain-name HOSTNAME"))
        #expect(!line.contains(";") && !line.contains("$") && !line.contains("\n"))
    }

    @Test("two PTR names that both confirm: keep one, remove the other")
    func multiplePTRKeepsOne() async {
        let result = await advised("192.0.2.15", [
            (reverse("192.0.2.15"), .ptr, answer(ptr(reverse("192.0.2.15"), "a15.example.com"),
                                                 ptr(reverse("192.0.2.15"), "b15.example.com"))),
            ("a15.example.com", .a, answer(address("a15.example.com", "192.0.2.15"))),
            ("b15.example.com", .a, answer(address("b15.example.com", "192.0.2.15"))),
        ])
        #expect(fix(result, .multiplePTR) == "keep only 15.2.0.192.in-addr.arpa. IN PTR a15.example.com. and remove "
            + "the other PTR records there (b15.example.com)")
    }

    @Test("some PTR names confirm, others do not: remove those that do not, each record named")
    func partialConfirmationRemovesTheRefuted() async {
        let result = await advised("192.0.2.16", [
            (reverse("192.0.2.16"), .ptr, answer(ptr(reverse("192.0.2.16"), "good16.example.com"),
                                                 ptr(reverse("192.0.2.16"), "bad16.example.com"))),
            ("good16.example.com", .a, answer(address("good16.example.com", "192.0.2.16"))),
            ("bad16.example.com", .a, answer(address("bad16.example.com", "198.51.100.16"))),
        ])
        #expect(fix(result, .partialConfirmation) == "remove the PTR records that do not forward-confirm: "
            + "16.2.0.192.in-addr.arpa. IN PTR bad16.example.com. (or fix their A records)")
        #expect(fix(result, .multiplePTR)?.hasPrefix("keep only 16.2.0.192.in-addr.arpa. IN PTR good16.example.com.")
            == true)
        #expect(fix(result, .forwardMismatch)?.hasPrefix("change the A record of bad16.example.com (now "
                                                          + "198.51.100.16)") == true)
    }

    @Test("a PTR name that is a CNAME: the PTR to its target, which already resolves")
    func ptrIsCNAMEPointsAtTheTarget() async {
        let result = await advised("192.0.2.18", [
            (reverse("192.0.2.18"), .ptr, answer(ptr(reverse("192.0.2.18"), "alias.example.com"))),
            ("alias.example.com", .a, answer(cname("alias.example.com", "real.example.com"),
                                             address("real.example.com", "192.0.2.18"))),
        ])
        #expect(fix(result, .ptrIsCNAME) == "point the PTR at the name itself, not at a CNAME (RFC 1912): set "
            + "18.2.0.192.in-addr.arpa. IN PTR real.example.com. (in the reverse zone, or ask the address's provider)")
    }

    @Test("a CNAME loop in the reverse zone and in a forward name")
    func cnameLoops() async {
        let loopName = "loop.2.0.192.in-addr.arpa"
        let reverseLoop = await advised("192.0.2.23", [
            (reverse("192.0.2.23"), .ptr, answer(cname(reverse("192.0.2.23"), loopName),
                                                 cname(loopName, reverse("192.0.2.23")))),
        ])
        #expect(fix(reverseLoop, .cnameLoop) == "end the CNAME chain of 23.2.0.192.in-addr.arpa in a PTR record, "
            + "within 8 CNAMEs, in the reverse zone")
        let forwardLoop = await advised("192.0.2.24", ptrTo("192.0.2.24", "l1.example.com", forward: answer(
            cname("l1.example.com", "l2.example.com"), cname("l2.example.com", "l1.example.com"))))
        #expect(fix(forwardLoop, .cnameLoop) == "end the CNAME chain of l1.example.com in an A record, within 8 "
            + "CNAMEs")
    }

    @Test("a long CNAME chain in the reverse zone and in a forward name is to be shortened to 8")
    func longChains() async {
        var hops = [cname("c0.example.com", "c1.example.com")]
        for hop in 1..<9 { hops.append(cname("c\(hop).example.com", "c\(hop + 1).example.com")) }
        let forward = await advised("192.0.2.25", ptrTo("192.0.2.25", "c0.example.com", forward: .reply(
            rcode: 0, answers: hops + [address("c9.example.com", "192.0.2.25")])))
        #expect(fix(forward, .longCNAMEChain) == "shorten the CNAME chain of c0.example.com to at most 8 CNAMEs (or "
            + "give it its A record itself)")
        var entries: [(String, RecordType, QueryOutcome)] = [("mail.example.com", .a,
                                                              answer(address("mail.example.com", "192.0.2.26")))]
        var owner = reverse("192.0.2.26")
        for hop in 1...9 {
            entries.append((owner, .ptr, answer(cname(owner, "r\(hop).example.com"))))
            owner = "r\(hop).example.com"
        }
        entries.append((owner, .ptr, answer(ptr(owner, "mail.example.com"))))
        let reverseChain = await advised("192.0.2.26", entries)
        #expect(fix(reverseChain, .longCNAMEChain) == "shorten the CNAME chain of 26.2.0.192.in-addr.arpa to at most "
            + "8 CNAMEs, in the reverse zone")
    }

    @Test("a temporary failure has no known cure")
    func temporaryFailureHasNoFix() async {
        let result = await advised("203.0.113.25", [(reverse("203.0.113.25"), .ptr, .failure(.timeout))])
        #expect(result.problems.map(\.code) == [.temporaryFailure])
        #expect(fix(result, .temporaryFailure) == nil)
    }

    @Test("a passing address has nothing to fix")
    func okHasNoProblems() async {
        let result = await advised("203.0.113.25", ptrTo("203.0.113.25", "mail.example.com",
                                                         forward: answer(address("mail.example.com", "203.0.113.25"))))
        #expect(result.problems.isEmpty)
    }

    @Test("a pending update to a name that confirms: nothing to do but wait, for it and the problems it cures")
    func pendingUpdateThatConfirmsNeedsNoFix() {
        let update = AWSAddressRecord.Update(value: name("mail.example.com"), status: "PENDING", reason: nil)
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25", update: update), problems: [
            Problem(.noPTR, .warning, "no PTR record: 25.113.0.203.in-addr.arpa does not exist (NXDOMAIN)"),
            Problem(.ptrUpdatePending, .warning, "AWS is setting the PTR to mail.example.com"),
        ])
        #expect(result.problems.map(\.fix) == [nil, nil])
    }

    @Test("on the AWS verdict's own output: a pending update that confirms leaves nothing to fix, A record included")
    func pendingUpdateOnTheVerdict() async {
        let target = CheckTarget(IPAddress("203.0.113.25")!)
        let checked = await ForwardConfirmation(resolver: FakeResolver(
            ptrTo("203.0.113.25", "old.example.com", forward: nxdomain))).check(target)
        let update = AWSAddressRecord.Update(value: name("mail.example.com"), status: "pending", reason: nil)
        let assessed = AWSPTRAssessment.assess(checked, record: elasticIP("203.0.113.25", update: update),
                                               updateName: .confirms)
        #expect(assessed.problems.map(\.code) == [.forwardNoAddress, .ptrUpdatePending])
        #expect(FixAdvice.advise(assessed).problems.map(\.fix) == [nil, nil])
    }

    @Test("a pending update to a name that does not confirm: the A record it needs")
    func pendingUpdateThatDoesNotConfirmNeedsTheARecord() {
        let update = AWSAddressRecord.Update(value: name("mail.example.com"), status: "PENDING", reason: nil)
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25", update: update), problems: [
            Problem(.noPTR, .critical, "no PTR record"),
            Problem(.ptrUpdatePending, .critical, "AWS is setting the PTR to mail.example.com, which does not resolve"),
        ])
        #expect(fix(result, .ptrUpdatePending) == "add an A record: mail.example.com. IN A 203.0.113.25 (AWS's "
            + "pending PTR update to mail.example.com needs it)")
        #expect(fix(result, .noPTR) == nil, "the pending update cures it once its A record exists")
    }

    @Test("a failed update: the A record to check first, then the command to ask again")
    func failedUpdateAsksAgain() {
        let update = AWSAddressRecord.Update(value: name("mail.example.com"), status: "FAILED", reason: "no A record")
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25", update: update), problems: [
            Problem(.ptrUpdateFailed, .critical, "AWS's PTR update to mail.example.com failed: no A record"),
        ])
        #expect(fix(result, .ptrUpdateFailed) == "make sure mail.example.com. IN A 203.0.113.25 exists, then run: "
            + "aws ec2 modify-address-attribute --allocation-id eipalloc-0123abcd --domain-name mail.example.com "
            + "--region eu-west-1")
    }

    @Test("no PTR and no expected name, but AWS was asked for a name: that name, not a placeholder")
    func noPTRUsesTheRequestedName() {
        let update = AWSAddressRecord.Update(value: name("mail.example.com"), status: "FAILED", reason: "no A record")
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25", update: update), problems: [
            Problem(.noPTR, .critical, "no PTR record"),
            Problem(.ptrUpdateFailed, .critical, "AWS's PTR update to mail.example.com failed: no A record"),
        ])
        #expect(fix(result, .noPTR) == fix(result, .ptrUpdateFailed))
        #expect(fix(result, .noPTR)?.contains("--domain-name mail.example.com ") == true)
    }

    @Test("a generic PTR, no expected name, and a name AWS was asked for that is generic too: the placeholder")
    func genericRequestedNameIsNotProposed() {
        let update = AWSAddressRecord.Update(value: name("ec2-203-0-113-25.compute-1.amazonaws.com"),
                                             status: "FAILED", reason: nil)
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25", update: update), problems: [
            Problem(.noPTR, .critical, "no PTR record"),
        ])
        #expect(fix(result, .noPTR)?.contains("--domain-name HOSTNAME") == true)
    }

    @Test("a failed reset: the reset command again")
    func failedResetAsksAgain() {
        let update = AWSAddressRecord.Update(value: nil, status: "FAILED", reason: "internal error")
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25", update: update), problems: [
            Problem(.ptrUpdateFailed, .critical, "AWS's PTR reset failed: internal error"),
        ])
        #expect(fix(result, .ptrUpdateFailed) == "ask again: aws ec2 reset-address-attribute --allocation-id "
            + "eipalloc-0123abcd --attribute domain-name --region eu-west-1")
    }

    @Test("a failed update to a name AWS sent that is not a hostname: the record, escaped, and no command")
    func failedUpdateToAHostileName() {
        let hostile = DNSName(labels: [Array("a b;reboot".utf8), Array("example".utf8), Array("com".utf8)])!
        let update = AWSAddressRecord.Update(value: hostile, status: "FAILED", reason: nil)
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25", update: update), problems: [
            Problem(.ptrUpdateFailed, .critical, "failed"),
        ])
        let line = fix(result, .ptrUpdateFailed) ?? ""
        #expect(line.hasSuffix("set 25.113.0.203.in-addr.arpa. IN PTR a\\032b\\059reboot.example.com. (in the "
                               + "reverse zone, or ask the address's provider)"))
        #expect(!line.contains("aws ec2"))
    }

    @Test("AWS's record differs from a live name that confirms: set AWS's record to the live name")
    func awsMismatchLiveIsRight() {
        let result = awsResult("203.0.113.25", ptrNames: ["mail.example.com"], confirmed: true,
                               aws: elasticIP("203.0.113.25", ptr: "old.example.com"), problems: [
                                   Problem(.awsPTRMismatch, .warning, "AWS has old.example.com"),
                               ])
        #expect(fix(result, .awsPTRMismatch) == "set AWS's record to mail.example.com: run: aws ec2 "
            + "modify-address-attribute --allocation-id eipalloc-0123abcd --domain-name mail.example.com "
            + "--region eu-west-1")
    }

    @Test("AWS's record is the expected name and live DNS lags: wait for the TTL, or find who serves the zone")
    func awsMismatchAWSIsRight() {
        let result = awsResult("203.0.113.25", expected: "mail.example.com", ptrNames: ["old.example.com"],
                               aws: elasticIP("203.0.113.25", ptr: "mail.example.com"), problems: [
                                   Problem(.awsPTRMismatch, .warning, "AWS has mail.example.com"),
                               ])
        #expect(fix(result, .awsPTRMismatch) == "live DNS (old.example.com) should follow AWS's record "
            + "(mail.example.com) within the PTR's TTL; if it does not, the reverse zone is not served from AWS's "
            + "record: set the PTR where it is served")
    }

    @Test("a synthesized answer: a real resolver as nameserver")
    func synthesizedAnswerNamesTheSetting() {
        let result = awsResult("203.0.113.25", aws: elasticIP("203.0.113.25"), problems: [
            Problem(.synthesizedAnswer, .warning, "PTR ip-172-31-5-10 was made up by systemd-resolved"),
        ])
        #expect(fix(result, .synthesizedAnswer) == "set 'nameserver' (or --nameserver) to a real resolver, not "
            + "systemd-resolved's stub: e.g. a server listed in /run/systemd/resolve/resolv.conf")
    }

    @Test("every command printed is made of words safe to paste into a shell")
    func commandsArePasteSafe() async {
        let result = await advised("203.0.113.25", expected: "mail.example.com", aws: elasticIP("203.0.113.25"),
                                   region: "us-gov-west-1", [(reverse("203.0.113.25"), .ptr, nxdomain)])
        let line = fix(result, .noPTR) ?? ""
        let command = line[line.firstRange(of: "aws ec2")!.lowerBound...]
        #expect(command.allSatisfy(pasteSafe.contains))
    }
}
