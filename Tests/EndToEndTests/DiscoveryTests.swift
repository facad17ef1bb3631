import Foundation
import Testing
import TestSupport

/// An instance with two interfaces: three public IPv4s and an IPv6 address (see Tests/Zones/README.md).
private let instance = """
    {"region": "us-east-1", "interfaces": [
      {"mac": "0e:00:00:00:00:01", "public-ipv4s": ["203.0.113.25", "203.0.113.28"], "ipv6s": ["2001:db8::27"]},
      {"mac": "0e:00:00:00:00:02", "public-ipv4s": ["203.0.113.29"]}]}
    """

/// The same instance after 203.0.113.28 was released and 203.0.113.26 attached.
private let instanceLater = """
    {"region": "us-east-1", "interfaces": [
      {"mac": "0e:00:00:00:00:01", "public-ipv4s": ["203.0.113.25", "203.0.113.26"], "ipv6s": ["2001:db8::27"]},
      {"mac": "0e:00:00:00:00:02", "public-ipv4s": ["203.0.113.29"]}]}
    """

/// `rdnscheck --once` against the shared NSD with the metadata service at `endpoint` (`AWS_EC2_METADATA_*` set
/// only as given).
private func onceWithMetadata(_ arguments: [String], endpoint: String?, disabled: Bool = false) async throws
    -> ProcessResult {
    let port = try await NSDServer.standard().port
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
    environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = endpoint
    if disabled { environment["AWS_EC2_METADATA_DISABLED"] = "true" }
    return try await rdnscheck(["--once", "--nameserver", "127.0.0.1:\(port)", "--timeout", "1s"] + arguments,
                               environment: environment)
}

@Suite("discover ec2 end to end: the real binary, the metadata-service stub and NSD")
struct DiscoveryTests {
    @Test("every public address of the instance is checked, after the check lines, which win")
    func discoversAndChecks() async throws {
        let stub = try MetadataStub(scenario: instance)
        let config = try temporaryFile("discover ec2\ncheck 203.0.113.29 other.example.test\n")
        let result = try await onceWithMetadata(["-c", config, "--format", "json"], endpoint: stub.endpoint)
        let json = try jsonObject(result)
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { $0["address"] as? String } == ["203.0.113.29", "203.0.113.25", "203.0.113.28",
                                                              "2001:db8::27"])
        #expect(results.map { $0["source"] as? String } == ["config", "ec2", "ec2", "ec2"])
        #expect(results.map { $0["expected_name"] as? String } == ["other.example.test", nil, nil, nil])
        let discovered = try #require(json["discovered"] as? [String: Any])
        #expect(discovered["source"] as? String == "ec2")
        #expect(discovered["ok"] as? Bool == true)
        #expect((discovered["addresses"] as? [String])?.count == 4)
        #expect((json["problems"] as? [Any])?.isEmpty == true)
        #expect(result.exitStatus == 2, "2001:db8::27 has no PTR and .29 is not other.example.test")
        #expect(stub.requests.contains { $0.hasPrefix("PUT /latest/api/token 200") })
        #expect(stub.requests.filter { $0.hasPrefix("GET") }.allSatisfy { $0.hasSuffix("token=ok") })
    }

    @Test("an Elastic IP released and another attached between two runs: drifts, the hook, the state, the metrics")
    func attachmentDrift() async throws {
        let stub = try MetadataStub(scenario: instance)
        let directory = (try temporaryFile("")).replacingOccurrences(of: "/rdnscheck.conf", with: "")
        try writeShellScript("env | grep '^RDNSCHECK_' | sort > \"\(directory)/hook.$RDNSCHECK_ADDRESS\"\n",
                             to: directory + "/hook")
        let config = try temporaryFile("""
            discover ec2
            state \(directory)/state.json
            textfile \(directory)/metrics.prom
            on-change \(directory)/hook
            """)
        let first = try await onceWithMetadata(["-c", config], endpoint: stub.endpoint)
        #expect(!first.stdoutText.contains("changed:"), "the first discovery is the baseline")

        try stub.setScenario(instanceLater)
        let second = try await onceWithMetadata(["-c", config], endpoint: stub.endpoint)
        #expect(second.stdoutText.lines.contains("changed: 203.0.113.26: appeared on this host (status critical)"))
        #expect(second.stdoutText.lines.contains(
            "changed: 203.0.113.28: disappeared from this host; no longer checked"))
        #expect(!second.stdoutText.contains("OK        203.0.113.28"), "a detached address is no longer checked")
        #expect(second.stderrText.contains("203.0.113.26: appeared on this host (status critical)"))
        let appeared = try String(contentsOfFile: directory + "/hook.203.0.113.26", encoding: .utf8)
        #expect(appeared.contains(#"RDNSCHECK_CHANGES=[{"field": "attached", "old": false, "new": true}]"#))
        let left = try String(contentsOfFile: directory + "/hook.203.0.113.28", encoding: .utf8)
        #expect(left.contains(#"RDNSCHECK_CHANGES=[{"field": "attached", "old": true, "new": false}]"#))
        #expect(left.contains("RDNSCHECK_PTR_NAMES=mail28.example.test"))
        let state = try String(contentsOfFile: directory + "/state.json", encoding: .utf8)
        #expect(state.contains(#""discovered": {"source": "ec2", "addresses": ["203.0.113.25", "203.0.113.26", "#
                               + #""203.0.113.29", "2001:db8::27"], "region": "us-east-1"}"#))
        let metrics = try String(contentsOfFile: directory + "/metrics.prom", encoding: .utf8)
        #expect(metrics.contains("\nrdnscheck_discovered_addresses 4\n"))
        #expect(metrics.contains("\nrdnscheck_discovery_ok 1\n"))

        // The metadata service goes away: the addresses last discovered are checked, and the run says why.
        stub.stop()
        let third = try await onceWithMetadata(["-c", config, "--format", "nagios"], endpoint: stub.endpoint)
        #expect(third.stdoutText.hasPrefix("RDNS CRITICAL - 4 addresses: "))
        #expect(third.stdoutText.lines.first?.contains("; discovery-failed |") == true)
        #expect(third.stdoutText.lines.contains { $0.hasPrefix("WARNING discovery-failed: discover ec2 failed: "
                                                                  + "metadata service at \(stub.endpoint)") })
        #expect(third.stdoutText.lines.contains { $0.hasSuffix("checking the 4 addresses last discovered") })
        let after = try String(contentsOfFile: directory + "/metrics.prom", encoding: .utf8)
        #expect(after.contains("\nrdnscheck_discovery_ok 0\n"))
        #expect(after.contains("\nrdnscheck_discovered_addresses 4\n"))
    }

    @Test("with the metadata service turned off, nothing ever discovered and no check lines, the run is UNKNOWN")
    func disabledAndNothingElse() async throws {
        let config = try temporaryFile("discover ec2\n")
        let result = try await onceWithMetadata(["-c", config], endpoint: nil, disabled: true)
        #expect(result.exitStatus == 3)
        #expect(result.stdoutText.lines.contains("WARNING: discovery-failed: discover ec2 failed: the metadata service "
                                                 + "is turned off (AWS_EC2_METADATA_DISABLED=true); no address was "
                                                 + "ever discovered"))
        #expect(result.stdoutText.lines.last?.hasPrefix("UNKNOWN: 0 addresses") == true)
    }

    @Test("--check-config accepts a configuration whose only addresses are discovered")
    func checkConfig() async throws {
        let config = try temporaryFile("discover interfaces mail.example.test\naws-ptr on\n")
        let result = try await rdnscheck(["--check-config", "-c", config])
        #expect(result.exitStatus == 0, "\(result.stderrText)")
        #expect(result.stdoutText == "configuration OK\n")
    }
}
