import Foundation
import RDNSCore
import Testing

/// A run that discovered two addresses on EC2, read AWS's records, and lost one address since the last run.
private let discoveredReport: RunReport = {
    var checked = SampleReports.mailOK
    checked.source = .ec2
    checked.aws = AWSAddressRecord(
        publicIP: checked.address, allocationID: "eipalloc-0abc", ptrRecord: DNSName("mail.example.com"),
        update: AWSAddressRecord.Update(value: DNSName("mx.example.com"), status: "PENDING", reason: nil))
    return RunReport(
        results: [checked, SampleReports.mxMismatch], checkedAt: 1_795_428_000, durationSeconds: 0.042,
        detached: [Drift(address: IPAddress("198.51.100.7")!, attached: false, status: .ok)],
        problems: [RunProblem(.discoveryFailed, .warning, "discover ec2 failed: no answer; checking the address "
                                  + "last discovered")],
        discovery: DiscoveryOutcome(source: .ec2, addresses: [checked.address], ok: false),
        aws: AWSOutcome(error: nil))
}()

/// A run whose results are all OK but whose AWS records could not be read.
private func okRun(problems: [RunProblem]) -> RunReport {
    RunReport(results: [SampleReports.mailOK], checkedAt: 0, durationSeconds: 0, problems: problems,
              aws: AWSOutcome(error: "aws: not found"))
}

@Suite("Reports of what the run learnt about the host: run-level problems, discovery, AWS's records")
struct HostReportTests {
    @Test("a run-level problem raises the run's status like an address's, and a worse address still wins")
    func runProblemsRaiseTheStatus() {
        let unavailable = RunProblem(.awsUnavailable, .warning, "AWS's PTR records could not be read")
        #expect(okRun(problems: []).status == .ok)
        #expect(okRun(problems: [unavailable]).status == .warning)
        #expect(discoveredReport.status == .critical)
        #expect(RunReport(results: [], checkedAt: 0, durationSeconds: 0, problems: [unavailable]).status == .unknown)
    }

    @Test("JSON has the top-level problems, discovered and aws, and each result's source and aws record")
    func json() throws {
        let text = JSONReport.render(discoveredReport)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["problems"] as? [[String: String]] == [[
            "code": "discovery-failed",
            "message": "discover ec2 failed: no answer; checking the address last discovered",
        ]])
        let discovered = try #require(json["discovered"] as? [String: Any])
        #expect(discovered["source"] as? String == "ec2")
        #expect(discovered["ok"] as? Bool == false)
        #expect(discovered["addresses"] as? [String] == ["203.0.113.25"])
        let aws = try #require(json["aws"] as? [String: Any])
        #expect(aws["ok"] as? Bool == true)
        #expect(aws["error"] is NSNull)
        let detached = try #require(json["detached"] as? [[String: Any]])
        #expect(detached.first?["address"] as? String == "198.51.100.7")
        let change = try #require((detached.first?["changes"] as? [[String: Any]])?.first)
        #expect(change["field"] as? String == "attached")
        #expect(change["old"] as? Bool == true)
        #expect(change["new"] as? Bool == false)
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { $0["source"] as? String } == ["ec2", "config"])
        let record = try #require(results[0]["aws"] as? [String: Any])
        #expect(record["allocation_id"] as? String == "eipalloc-0abc")
        #expect(record["ptr_record"] as? String == "mail.example.com")
        let update = try #require(record["update"] as? [String: Any])
        #expect(update["value"] as? String == "mx.example.com")
        #expect(update["status"] as? String == "PENDING")
        #expect(update["reason"] is NSNull)
        #expect(results[1]["aws"] is NSNull)
    }

    @Test("without discover and aws-ptr, discovered and aws are null and problems is empty")
    func jsonWithoutHostFacts() throws {
        let text = JSONReport.render(SampleReports.specExample)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((json["problems"] as? [Any])?.isEmpty == true)
        #expect(json["discovered"] is NSNull)
        #expect(json["aws"] is NSNull)
        #expect(json["detached"] == nil)
    }

    @Test("text lists an address that disappeared and each run-level problem, before the summary")
    func text() {
        let lines = TextReport.render(discoveredReport).split(separator: "\n").map(String.init)
        #expect(lines.contains("changed: 198.51.100.7: disappeared from this host; no longer checked"))
        #expect(lines.contains("WARNING: discovery-failed: discover ec2 failed: no answer; checking the address "
                               + "last discovered"))
        #expect(lines.last?.hasPrefix("CRITICAL: 2 addresses") == true)
    }

    @Test("nagios names the run-level problems in its first line and explains each on a line of its own")
    func nagios() {
        let lines = NagiosReport.render(okRun(problems: [RunProblem(.awsUnavailable, .warning, "aws | broken")]))
            .split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("RDNS WARNING - 1 address: 1 ok, 0 warning, 0 critical, 0 unknown; aws-unavailable "
                                   + "| ok=1;;;0;1"))
        #expect(lines[1] == "WARNING aws-unavailable: aws / broken")
    }

    @Test("a run-level message quoting a server's control characters is escaped in text and nagios")
    func hostileRunProblem() {
        let report = okRun(problems: [RunProblem(.discoveryFailed, .warning, "answered 500 \u{9b}31m\u{1b}[2J\nline")])
        let text = TextReport.render(report)
        let nagios = NagiosReport.render(report)
        for output in [text, nagios] {
            #expect(!output.unicodeScalars.contains { $0 == "\u{9b}" || $0 == "\u{1b}" })
            #expect(output.contains("answered 500 \\194\\15531m\\027[2J\\010line"))
        }
    }

    @Test("metrics: discovered addresses, discovery_ok and aws_ok have samples only when those are on")
    func metrics() {
        let on = MetricsTextfile.render(discoveredReport, finishedAt: 1, lastSuccessAt: nil)
        #expect(on.contains("\nrdnscheck_discovered_addresses 1\n"))
        #expect(on.contains("\nrdnscheck_discovery_ok 0\n"))
        #expect(on.contains("\nrdnscheck_aws_ok 1\n"))
        let unavailable = MetricsTextfile.render(okRun(problems: []), finishedAt: 1, lastSuccessAt: nil)
        #expect(unavailable.contains("\nrdnscheck_aws_ok 0\n"))
        #expect(!unavailable.contains("\nrdnscheck_discovery_ok "))
        let off = MetricsTextfile.render(SampleReports.specExample, finishedAt: 1, lastSuccessAt: nil)
        for name in ["rdnscheck_discovered_addresses", "rdnscheck_discovery_ok", "rdnscheck_aws_ok"] {
            #expect(off.contains("# TYPE \(name) gauge\n"))
            #expect(!off.contains("\n\(name) "))
        }
    }
}

@Suite("Attachment drift: discovered addresses that appear or disappear")
struct AttachmentDriftTests {
    @Test("an address that appears is a drift with attached false -> true, worse only when it does not pass")
    func appeared() {
        let address = IPAddress("203.0.113.25")!
        let passing = Drift(address: address, attached: true, status: .ok)
        #expect(passing.changes == [Change(field: .attached, old: .bool(false), new: .bool(true))])
        #expect(passing.direction == .sameStatus)
        #expect(passing.description == "203.0.113.25: appeared on this host (status ok)")
        #expect(Drift(address: address, attached: true, status: .critical).direction == .worse)
        #expect(Drift.json(passing.changes) == #"[{"field": "attached", "old": false, "new": true}]"#)
    }

    @Test("an address that disappears is a drift with attached true -> false and its last status")
    func disappeared() {
        let drift = Drift(address: IPAddress("2001:db8::25")!, attached: false, status: .warning)
        #expect(drift.changes == [Change(field: .attached, old: .bool(true), new: .bool(false))])
        #expect(drift.oldStatus == .warning && drift.newStatus == .warning)
        #expect(drift.attachment == false)
        #expect(drift.description == "2001:db8::25: disappeared from this host; no longer checked")
    }

    @Test("an address a check line lists too: a disappearance joins its records' drift and it stays checked")
    func attachmentWithRecords() throws {
        let address = IPAddress("203.0.113.25")!
        let before = AddressState(status: .ok, ptrNames: ["mail.example.com"], forward: [:], temporaryFailures: 0,
                                  since: 1, checkedAt: 1)
        let after = AddressState(status: .critical, ptrNames: [], forward: [:], temporaryFailures: 0, since: 2,
                                 checkedAt: 2)
        let drift = try #require(Drift(address: address, previous: before, next: after)).attaching(false)
        #expect(drift.changes.map(\.field) == [.ptrNames, .status, .attached])
        #expect(drift.description == "203.0.113.25: disappeared from this host; status ok -> critical; "
                    + "ptr_names [mail.example.com] -> []")
        #expect(Drift(address: address, attached: false, status: .ok, stillChecked: true).description
                    == "203.0.113.25: disappeared from this host")
    }

    @Test("a delivery of an attachment round-trips through the state file")
    func deliveryRoundTrip() throws {
        let drift = Drift(address: IPAddress("198.51.100.7")!, attached: false, status: .ok)
        let state = AddressState(status: .ok, ptrNames: ["mail.example.com"], forward: [:], temporaryFailures: 0,
                                 since: 1, checkedAt: 2)
        let delivery = Delivery(drift, lastState: state)
        #expect(delivery.ptrNames == ["mail.example.com"])
        let text = try StateFile.encode([:], undelivered: [delivery])
        #expect(try StateFile.decodeContents(Array(text.utf8)).undelivered[delivery.address] == delivery)
    }
}

@Suite("The state file keeps the addresses last discovered")
struct DiscoveredStateTests {
    @Test("discovered addresses, their source and region round-trip, and files without them still read")
    func roundTrip() throws {
        let discovered = DiscoveredAddresses(source: .ec2, addresses: [IPAddress("2001:db8::25")!,
                                                                       IPAddress("203.0.113.25")!],
                                             region: "eu-west-1")
        let text = try StateFile.encode([:], discovered: discovered)
        #expect(text.contains(#""discovered": {"source": "ec2", "addresses": ["203.0.113.25", "2001:db8::25"], "#
                              + #""region": "eu-west-1"}"#))
        #expect(try StateFile.decodeContents(Array(text.utf8)).discovered == discovered)
        let none = try StateFile.encode([:])
        #expect(!none.contains("discovered"))
        #expect(try StateFile.decodeContents(Array(none.utf8)).discovered == nil)
    }

    @Test("whatever a discovery may hold is written and read back; more than a state file keeps is refused at once")
    func discoveriesReadBack() throws {
        let most = (0..<DiscoveredAddresses.maximumCount).map { IPAddress.v6(0x2001_0db8 << 96 | UInt128($0)) }
        let discovered = try DiscoveredAddresses.checked(source: .interfaces, addresses: most)
        let text = try StateFile.encode([:], discovered: discovered)
        #expect(try StateFile.decodeContents(Array(text.utf8)).discovered == discovered)
        #expect(throws: DiscoveryError("found 1025 addresses, more than the 1024 rdnscheck keeps from one discovery")) {
            try DiscoveredAddresses.checked(source: .interfaces, addresses: most + [IPAddress("192.0.2.1")!])
        }
        #expect(throws: DiscoveryError(#"the region "us-east1" is not an AWS region's name"#)) {
            try DiscoveredAddresses.checked(source: .ec2, addresses: [], region: "us-east1")
        }
    }

    @Test("a wrong discovered entry makes the file corrupt, naming what is wrong", arguments: [
        (#"{"source": "gce", "addresses": []}"#, #""discovered": "source" is not one of ec2, interfaces"#),
        (#"{"source": "ec2", "addresses": ["10.0.0.01"]}"#, #""discovered": "addresses" holds "10.0.0.01""#),
        (#"{"source": "ec2"}"#, #""discovered" has no "addresses""#),
        (#"{"source": "ec2", "addresses": [], "zone": "a"}"#, #""discovered" has an unknown key "zone""#),
        (#"{"source": "ec2", "addresses": [], "region": "eu west"}"#,
         #"the region "eu west" is not an AWS region's name"#),
        (#"{"source": "ec2", "addresses": [], "region": "us-east1"}"#,
         #"the region "us-east1" is not an AWS region's name"#),
        (#"[]"#, #""discovered" is not a JSON object"#),
    ])
    func corrupt(value: String, message: String) {
        let text = #"{"version": 1, "discovered": "# + value + #", "addresses": {}}"#
        #expect(throws: StateFileError.self) { try StateFile.decodeContents(Array(text.utf8)) }
        do {
            _ = try StateFile.decodeContents(Array(text.utf8))
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }
}
