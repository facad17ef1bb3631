import Foundation
import RDNSCore
import Testing

/// AWS's records as a table, or the reason they cannot be read.
private struct FakeAWS: AWSPTRSource {
    let answer: Result<[IPAddress: AWSAddressRecord], AWSUnavailable>

    func records(region: String?) async throws(AWSUnavailable) -> [IPAddress: AWSAddressRecord] {
        try answer.get()
    }
}

private func request(_ text: String) -> PreflightRequest {
    try! PreflightRequest(parsing: text)
}

private let mailA: [(String, RecordType, QueryOutcome)] = [
    ("mail.example.com", .a, answer(address("mail.example.com", "203.0.113.25"))),
    ("mx.example.com", .a, answer(address("mx.example.com", "198.51.100.9"))),
    ("alias.example.com", .a, answer(cname("alias.example.com", "mail.example.com"),
                                     address("mail.example.com", "203.0.113.25"))),
    ("ec2-203-0-113-25.eu-west-1.compute.amazonaws.com", .a,
     answer(address("ec2-203-0-113-25.eu-west-1.compute.amazonaws.com", "203.0.113.25"))),
    ("mail6.example.com", .aaaa, answer(address("mail6.example.com", "2001:db8::25"))),
    ("slow.example.com", .a, .failure(.timeout)),
]

private func preflight(_ pairs: [String], policy: CheckPolicy = CheckPolicy(),
                       aws: Result<[IPAddress: AWSAddressRecord], AWSUnavailable>? = nil) async
    -> (PreflightReport, FakeResolver) {
    let resolver = FakeResolver(mailA)
    let report = await Preflight(resolver: resolver, policy: policy, aws: aws.map(FakeAWS.init),
                                 region: "eu-west-1").run(pairs.map(request))
    return (report, resolver)
}

private let elasticIP = AWSAddressRecord(publicIP: IPAddress("203.0.113.25")!, allocationID: "eipalloc-0123abcd",
                                         ptrRecord: nil, update: nil)

@Suite("Preflight: is NAME ready to be asked for as ADDRESS's PTR?")
struct PreflightTests {
    @Test("a hostname whose A record holds the address is ready; the PTR itself is never asked for")
    func confirmingNameIsReady() async throws {
        let (report, resolver) = await preflight(["203.0.113.25=mail.example.com"])
        let result = try #require(report.results.first)
        #expect(result.isReady && report.isReady && report.exitCode == 0)
        #expect(result.check.problems.isEmpty)
        #expect(result.command == "set 25.113.0.203.in-addr.arpa. IN PTR mail.example.com. (in the reverse zone, "
            + "or ask the address's provider)")
        #expect(resolver.questions == ["mail.example.com A"])
    }

    @Test("an IPv6 address is ready when the name's AAAA records hold it")
    func ipv6ByAAAA() async {
        let (report, _) = await preflight(["2001:db8::25=mail6.example.com"])
        #expect(report.isReady)
    }

    @Test("what keeps a name from being ready: the check's own problem, with its fix", arguments: [
        ("203.0.113.25=mx.example.com", "forward-mismatch",
         "change the A record of mx.example.com (now 198.51.100.9) to 203.0.113.25, or ask for a PTR to a name that "
            + "resolves to 203.0.113.25"),
        ("203.0.113.25=new.example.com", "forward-no-address", "add an A record: new.example.com. IN A 203.0.113.25"),
        ("203.0.113.25=alias.example.com", "ptr-is-cname",
         "point the PTR at the name itself, not at a CNAME (RFC 1912): set 25.113.0.203.in-addr.arpa. IN PTR "
            + "mail.example.com. (in the reverse zone, or ask the address's provider)"),
    ])
    func notReadyNamesWhy(pair: String, code: String, fix: String) async throws {
        let (report, _) = await preflight([pair])
        let result = try #require(report.results.first)
        #expect(!result.isReady && report.exitCode == 2)
        let problem = try #require(result.check.problems.first { $0.code.rawValue == code })
        #expect(problem.fix == fix)
    }

    @Test("a name that is not a valid hostname is not ready, and not looked up")
    func invalidHostnameIsNotReady() async throws {
        let (report, resolver) = await preflight(["203.0.113.25=bad-.example.com"])
        #expect(report.results.first?.check.problems.map(\.code) == [.invalidHostname])
        #expect(!report.isReady)
        #expect(resolver.questions.isEmpty)
    }

    @Test("a generic name is not ready, unless generic-ptr is ignore")
    func genericNameFollowsThePolicy() async {
        let pair = "203.0.113.25=ec2-203-0-113-25.eu-west-1.compute.amazonaws.com"
        let (warned, _) = await preflight([pair])
        #expect(warned.results.first?.check.problems.map(\.code) == [.genericPTR])
        #expect(!warned.isReady)
        let (ignored, _) = await preflight([pair], policy: CheckPolicy(genericNames: .ignore))
        #expect(ignored.isReady)
    }

    @Test("a lookup that fails is not ready: a temporary failure")
    func temporaryFailureIsNotReady() async {
        let (report, _) = await preflight(["203.0.113.25=slow.example.com"])
        #expect(report.results.first?.check.problems.map(\.code) == [.temporaryFailure])
        #expect(!report.isReady)
    }

    @Test("one name not ready makes the run not ready; the other keeps its own verdict")
    func worstDecides() async {
        let (report, _) = await preflight(["203.0.113.25=mail.example.com", "203.0.113.25=mx.example.com"])
        #expect(report.results.map(\.isReady) == [true, false])
        #expect(report.exitCode == 2)
    }

    @Test("with aws-ptr on, an Elastic IP of the account is ready and gets the aws command")
    func elasticIPGetsTheCommand() async throws {
        let (report, _) = await preflight(["203.0.113.25=mail.example.com"],
                                          aws: .success([elasticIP.publicIP: elasticIP]))
        let result = try #require(report.results.first)
        #expect(result.isReady && result.elasticIP == .listed)
        #expect(result.command == "run: aws ec2 modify-address-attribute --allocation-id eipalloc-0123abcd "
            + "--domain-name mail.example.com --region eu-west-1")
    }

    @Test("an Elastic IP whose name does not resolve yet: the A record first, then the command, on one line")
    func elasticIPNotReadyGivesBothSteps() async throws {
        let (report, _) = await preflight(["203.0.113.25=new.example.com"],
                                          aws: .success([elasticIP.publicIP: elasticIP]))
        #expect(report.results.first?.command == "make sure new.example.com. IN A 203.0.113.25 exists, then run: "
            + "aws ec2 modify-address-attribute --allocation-id eipalloc-0123abcd --domain-name new.example.com "
            + "--region eu-west-1")
    }

    @Test("an address AWS does not list is not ready: not an Elastic IP of the account")
    func addressNotListedIsNotReady() async throws {
        let (report, _) = await preflight(["203.0.113.25=mail.example.com"], aws: .success([:]))
        let result = try #require(report.results.first)
        #expect(result.elasticIP == .notListed && !result.isReady)
        #expect(PreflightOutput.text(report).contains("not-elastic-ip: 203.0.113.25: not an Elastic IP of this AWS "
                                                      + "account in eu-west-1"))
    }

    @Test("AWS that cannot be asked is said, per address and in JSON, and the DNS verdict still comes")
    func awsUnavailableIsSaid() async throws {
        let (report, _) = await preflight(["203.0.113.25=mail.example.com"],
                                          aws: .failure(AWSUnavailable("aws: command not found")))
        let result = try #require(report.results.first)
        #expect(result.elasticIP == .unknown && !result.isReady)
        #expect(result.check.problems.isEmpty)
        #expect(PreflightOutput.text(report).contains("aws-unavailable: 203.0.113.25: whether it is an Elastic IP is "
                                                      + "unknown: aws: command not found"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(PreflightOutput.json(report).utf8))
                                as? [String: Any])
        let aws = try #require(json["aws"] as? [String: Any])
        #expect(aws["ok"] as? Bool == false)
        #expect(aws["error"] as? String == "aws: command not found")
    }

    @Test("text: a line per address, its fixes, the step that sets the PTR, and a summary")
    func textOutput() async {
        let (report, _) = await preflight(["203.0.113.25=mail.example.com", "203.0.113.25=new.example.com"])
        #expect(PreflightOutput.text(report) == """
            READY      203.0.113.25=mail.example.com
              set 25.113.0.203.in-addr.arpa. IN PTR mail.example.com. (in the reverse zone, or ask the address's \
            provider)
            NOT READY  203.0.113.25=new.example.com   forward-no-address: 203.0.113.25: PTR new.example.com has no A \
            record (NXDOMAIN)
              fix: add an A record: new.example.com. IN A 203.0.113.25
              then: make sure new.example.com. IN A 203.0.113.25 exists, then set 25.113.0.203.in-addr.arpa. IN PTR \
            new.example.com. (in the reverse zone, or ask the address's provider)
            NOT READY: 1 of 2 addresses ready

            """)
    }

    @Test("json: one object with ready, exit_code, aws and a result per address")
    func jsonOutput() async throws {
        let (report, _) = await preflight(["203.0.113.25=mx.example.com"],
                                          aws: .success([elasticIP.publicIP: elasticIP]))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(PreflightOutput.json(report).utf8))
                                as? [String: Any])
        #expect(json["ready"] as? Bool == false)
        #expect(json["exit_code"] as? Int == 2)
        #expect((json["aws"] as? [String: Any])?["ok"] as? Bool == true)
        let result = try #require((json["results"] as? [[String: Any]])?.first)
        #expect(result["address"] as? String == "203.0.113.25")
        #expect(result["name"] as? String == "mx.example.com")
        #expect(result["ready"] as? Bool == false)
        #expect(result["elastic_ip"] as? Bool == true)
        #expect(result["allocation_id"] as? String == "eipalloc-0123abcd")
        let problem = try #require((result["problems"] as? [[String: Any]])?.first)
        #expect(problem["code"] as? String == "forward-mismatch")
        #expect((problem["fix"] as? String)?.hasPrefix("change the A record of mx.example.com") == true)
        #expect((result["command"] as? String)?.hasSuffix("--domain-name mx.example.com --region eu-west-1") == true)
    }

    @Test("json without aws-ptr: aws and elastic_ip are null")
    func jsonWithoutAWS() async throws {
        let (report, _) = await preflight(["203.0.113.25=mail.example.com"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(PreflightOutput.json(report).utf8))
                                as? [String: Any])
        #expect(json["aws"] is NSNull)
        let result = try #require((json["results"] as? [[String: Any]])?.first)
        #expect(result["elastic_ip"] is NSNull && result["allocation_id"] is NSNull)
        #expect(json["ready"] as? Bool == true && json["exit_code"] as? Int == 0)
    }

    @Test("ADDRESS=NAME that cannot be read: one clear message each", arguments: [
        ("203.0.113.25", "'203.0.113.25' is not ADDRESS=NAME: --preflight needs the name to ask for"),
        ("203.0.113.0/24=mail.example.com", "'203.0.113.0/24': --preflight takes one address per ADDRESS=NAME, not a "
            + "range"),
        ("203.0.113.256=mail.example.com", "'203.0.113.256' is not an IPv4 or IPv6 address"),
        ("=mail.example.com", "'=mail.example.com' is not ADDRESS=NAME: the address is missing"),
        ("203.0.113.25=", "'203.0.113.25=' is not ADDRESS=NAME: --preflight needs the name to ask for"),
        ("203.0.113.25=.", "'.' is not a domain name (labels of 1 to 63 characters, 253 in all)"),
        ("203.0.113.25=a..example.com", "'a..example.com' is not a domain name (labels of 1 to 63 characters, 253 in "
            + "all)"),
    ])
    func malformedRequests(text: String, message: String) {
        #expect(throws: PreflightRequest.ParseError.self) { try PreflightRequest(parsing: text) }
        do {
            _ = try PreflightRequest(parsing: text)
        } catch {
            #expect(error.description == message)
        }
    }
}
