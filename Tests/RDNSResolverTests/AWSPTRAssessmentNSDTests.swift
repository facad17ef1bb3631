import RDNSCore
import RDNSResolver
import Testing
import TestSupport

/// AWS's record of a PTR judged against live DNS: a real NSD serving Tests/Zones, through both engines.
@Suite("AWSPTRAssessment against NSD")
struct AWSPTRAssessmentNSDTests {
    /// `address` checked by DNS, then with AWS's record of an update (`status`) to `update` and a `PtrRecord`.
    private func assessed(_ address: String, ptrRecord: String? = nil, update: String?, status: String = "PENDING",
                          engine: Engine, port: UInt16) async throws -> AddressResult {
        let record = AWSAddressRecord(
            publicIP: IPAddress(address)!, allocationID: "eipalloc-0123456789abcdef0",
            ptrRecord: ptrRecord.flatMap { DNSName($0) },
            update: update.map { AWSAddressRecord.Update(value: DNSName($0), status: status, reason: nil) })
        let dnsResolver = try resolver(engine, port: port)
        defer { dnsResolver.shutdown() }
        let dns = await ForwardConfirmation(resolver: dnsResolver).check(CheckTarget(IPAddress(address)!))
        return await AWSPTRAssessment.assess(dns, record: record, resolver: dnsResolver)
    }

    private func severities(_ result: AddressResult) -> [String] {
        result.problems.map { "\($0.code.rawValue) \($0.severity.word)" }
    }

    @Test("a pending update to a name that resolves to the address makes a missing PTR a WARNING",
          arguments: Engine.allCases)
    func pendingConfirming(engine: Engine) async throws {
        let nsd = try await NSDServer.standard()
        // 192.0.2.99 has no PTR; multi.example.test has A 192.0.2.99 among others.
        let result = try await assessed("192.0.2.99", update: "multi.example.test.", engine: engine, port: nsd.port)
        #expect(severities(result) == ["no-ptr warning", "ptr-update-pending warning"])
        #expect(result.status == .warning)
    }

    @Test("a pending update to a name that resolves elsewhere, or not at all, is CRITICAL", arguments: Engine.allCases)
    func pendingRefuted(engine: Engine) async throws {
        let nsd = try await NSDServer.standard()
        // 192.0.2.11's PTR mx.example.test resolves to 198.51.100.9; so does the update's mail.example.test (to .10).
        let elsewhere = try await assessed("192.0.2.11", update: "mail.example.test.", engine: engine, port: nsd.port)
        #expect(severities(elsewhere) == ["forward-mismatch critical", "ptr-update-pending critical"])
        #expect(elsewhere.problems.last?.detail.contains("mail.example.test resolves to 192.0.2.10, not 192.0.2.11")
                == true)
        let nowhere = try await assessed("192.0.2.12", update: "nxname.example.test", engine: engine, port: nsd.port)
        #expect(severities(nowhere) == ["no-ptr critical", "ptr-update-pending critical"])
        #expect(nowhere.problems.last?.detail.contains("nxname.example.test has no A record (NXDOMAIN)") == true)
    }

    @Test("AWS's record naming another PTR than the AWS default name DNS gives is aws-ptr-mismatch",
          arguments: Engine.allCases)
    func mismatchWithDefaultName(engine: Engine) async throws {
        let nsd = try await NSDServer.standard()
        let result = try await assessed("192.0.2.17", ptrRecord: "mail.example.test.", update: "mail.example.test.",
                                        status: "successful", engine: engine, port: nsd.port)
        #expect(severities(result) == ["generic-ptr warning", "aws-ptr-mismatch warning"])
        #expect(result.problems.last?.detail == "AWS's record of the PTR is mail.example.test, live DNS gives "
                + "PTR ec2-192-0-2-17.compute-1.amazonaws.com")
    }
}
