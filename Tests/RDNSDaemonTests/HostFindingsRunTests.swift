import Foundation
import RDNSCore
import RDNSPOSIX
import Testing

@testable import RDNSRun

/// Every question gets NXDOMAIN: each address is `no-ptr`, CRITICAL, at once and without a network.
private struct NXDomainResolver: DNSResolver {
    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        .reply(rcode: 3, answers: [])
    }
}

/// A discoverer whose runs find, in turn, what the test lists: addresses, or an error.
private final class ScriptedDiscoverer: AddressDiscoverer {
    let source: DiscoverySource
    private let script: Locked<[Result<[String], DiscoveryError>]>
    private let region: String?

    init(_ script: [Result<[String], DiscoveryError>], source: DiscoverySource = .ec2,
         region: String? = "eu-west-1") {
        self.source = source
        self.region = region
        self.script = Locked(script)
    }

    func discover() async throws(DiscoveryError) -> DiscoveredAddresses {
        let next = script.withLock { $0.removeFirst() }
        switch next {
        case .success(let addresses):
            return DiscoveredAddresses(source: source, addresses: addresses.map { IPAddress($0)! }, region: region)
        case .failure(let error):
            throw error
        }
    }
}

/// AWS's records as the test gives them, remembering the regions asked for.
private final class FixedAWS: AWSPTRSource {
    private let answer: Result<[IPAddress: AWSAddressRecord], AWSUnavailable>
    let regions = Locked<[String?]>([])

    init(_ answer: Result<[IPAddress: AWSAddressRecord], AWSUnavailable>) {
        self.answer = answer
    }

    func records(region: String?) async throws(AWSUnavailable) -> [IPAddress: AWSAddressRecord] {
        regions.withLock { $0.append(region) }
        return try answer.get()
    }
}

/// A configuration with a state file in a new directory, an on-change program, and `check` lines.
private func configuration(checks: [(String, String?)] = [], expected: String? = nil) throws -> Configuration {
    let directory = NSTemporaryDirectory() + "rdnscheck-host-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var configuration = Configuration()
    configuration.statePath = directory + "/state.json"
    configuration.onChangeProgram = "/hook"
    for (address, name) in checks {
        try configuration.targets.add(CheckTarget(IPAddress(address)!, expectedName: name.flatMap { DNSName($0) }))
    }
    configuration.discovery = Configuration.Discovery(source: .ec2, expectedName: expected.flatMap { DNSName($0) })
    return configuration
}

/// One `--once`-like run of a fresh CheckRun (as a new process would make it) with these parts.
private func run(_ configuration: Configuration, _ host: HostSources, runner: InstantRunner,
                 lines: Locked<[String]> = Locked([])) async -> RunRecorder.Recorded {
    let logger = Logger(journal: false, write: { line in lines.withLock { $0.append(line) } })
    let checkRun = CheckRun(configuration: configuration, logger: logger, keepsStateInMemory: false,
                            deliveryRunner: runner)
    return await checkRun.once(with: NXDomainResolver(), host: host).recorded
}

@Suite("A run with discovery and AWS: targets, attachment drift, run-level problems")
struct HostFindingsRunTests {
    @Test("discovered addresses are checked after the configured ones; a check line wins with its expected name")
    func targets() async throws {
        let configuration = try configuration(checks: [("192.0.2.10", "mail.example.com")],
                                              expected: "mx.example.com")
        let discoverer = ScriptedDiscoverer([.success(["203.0.113.25", "192.0.2.10"])])
        let recorded = await run(configuration, HostSources(discoverer: discoverer), runner: InstantRunner { _ in
            .delivered
        })
        let results = recorded.report.results
        #expect(results.map(\.address.description) == ["192.0.2.10", "203.0.113.25"])
        #expect(results.map(\.source) == [.config, .ec2])
        #expect(results.map { $0.target.expectedName?.description } == ["mail.example.com", "mx.example.com"])
        #expect(recorded.report.discovery == DiscoveryOutcome(source: .ec2, addresses: [
            IPAddress("192.0.2.10")!, IPAddress("203.0.113.25")!,
        ], ok: true))
        #expect(recorded.report.problems.isEmpty)
    }

    @Test("an address that appears or disappears between runs is a drift, delivered, and kept across restarts")
    func attachment() async throws {
        let configuration = try configuration()
        let discoverer = ScriptedDiscoverer([
            .success(["203.0.113.25"]), .success(["203.0.113.25", "203.0.113.26"]), .success(["203.0.113.26"]),
        ])
        let runner = InstantRunner { _ in .delivered }
        let lines = Locked<[String]>([])
        let first = await run(configuration, HostSources(discoverer: discoverer), runner: runner, lines: lines)
        #expect(first.drifts.isEmpty, "the first discovery sets the baseline")

        let second = await run(configuration, HostSources(discoverer: discoverer), runner: runner, lines: lines)
        let appeared = try #require(second.drifts[IPAddress("203.0.113.26")!])
        #expect(appeared.changes == [Change(field: .attached, old: .bool(false), new: .bool(true))])
        #expect(second.drifts.count == 1)
        #expect(lines.withLock { $0 }.contains("203.0.113.26: appeared on this host (status critical)\n"))

        let third = await run(configuration, HostSources(discoverer: discoverer), runner: runner, lines: lines)
        #expect(third.report.results.map(\.address.description) == ["203.0.113.26"])
        #expect(third.report.detached.map(\.address.description) == ["203.0.113.25"])
        #expect(lines.withLock { $0 }.contains("203.0.113.25: disappeared from this host; no longer checked\n"))
        #expect(runner.delivered.map(\.address.description) == ["203.0.113.26", "203.0.113.25"])
        #expect(runner.delivered.map { Drift.json($0.changes) } == [
            #"[{"field": "attached", "old": false, "new": true}]"#,
            #"[{"field": "attached", "old": true, "new": false}]"#,
        ])
        let saved = try StateFile.decodeContents(Array(try Data(contentsOf: URL(fileURLWithPath:
                                                                                    configuration.statePath!))))
        #expect(saved.discovered?.addresses.map(\.description) == ["203.0.113.26"])
        #expect(saved.states.keys.map(\.description) == ["203.0.113.26"], "the one that left is forgotten")
    }

    @Test("discovery by another source (discover changed) sets a new baseline: the old addresses are forgotten")
    func anotherSource() async throws {
        var configuration = try configuration()
        let runner = InstantRunner { _ in .delivered }
        _ = await run(configuration, HostSources(discoverer: ScriptedDiscoverer([.success(["203.0.113.25"])])),
                      runner: runner)
        configuration.discovery = Configuration.Discovery(source: .interfaces)
        let other = ScriptedDiscoverer([.success(["198.51.100.7"])], source: .interfaces, region: nil)
        let recorded = await run(configuration, HostSources(discoverer: other), runner: runner)
        #expect(recorded.drifts.isEmpty && recorded.report.detached.isEmpty)
        #expect(runner.delivered.isEmpty)
        let saved = try StateFile.decodeContents(Array(try Data(contentsOf: URL(fileURLWithPath:
                                                                                    configuration.statePath!))))
        #expect(saved.discovered == DiscoveredAddresses(source: .interfaces, addresses: [IPAddress("198.51.100.7")!]))
        #expect(saved.states.keys.map(\.description) == ["198.51.100.7"])
    }

    @Test("a run that began before a reload turned discover off leaves no discovered state behind")
    func reloadTurnsDiscoveryOff() async throws {
        var configuration = try configuration(checks: [("192.0.2.10", nil)])
        let checkRun = CheckRun(configuration: configuration, logger: Logger(journal: false, write: { _ in }),
                                keepsStateInMemory: true, deliveryRunner: InstantRunner { _ in .delivered })
        let discoverer = ScriptedDiscoverer([.success(["203.0.113.25"])])
        let checked = await checkRun.checks(with: NXDomainResolver(), host: HostSources(discoverer: discoverer))()
        configuration.discovery = nil
        checkRun.reconfigure(configuration)
        _ = checkRun.record(checked)
        let saved = try StateFile.decodeContents(Array(try Data(contentsOf: URL(fileURLWithPath:
                                                                                    configuration.statePath!))))
        #expect(saved.discovered == nil)
        #expect(saved.states.keys.map(\.description) == ["192.0.2.10"])
    }

    @Test("when discovery fails the run checks the addresses last discovered, says why, and is at least WARNING")
    func discoveryFails() async throws {
        let configuration = try configuration()
        let discoverer = ScriptedDiscoverer([
            .success(["203.0.113.25"]), .failure(DiscoveryError("metadata service: no answer within 1s")),
        ])
        let runner = InstantRunner { _ in .delivered }
        _ = await run(configuration, HostSources(discoverer: discoverer), runner: runner)
        let lines = Locked<[String]>([])
        let failed = await run(configuration, HostSources(discoverer: discoverer), runner: runner, lines: lines)
        #expect(failed.report.results.map(\.address.description) == ["203.0.113.25"])
        #expect(failed.report.problems == [RunProblem(
            .discoveryFailed, .warning,
            "discover ec2 failed: metadata service: no answer within 1s; checking the address last discovered")])
        #expect(failed.report.discovery?.ok == false)
        #expect(failed.drifts.isEmpty && failed.report.detached.isEmpty, "a failed discovery changes nothing")
        #expect(lines.withLock { $0 }.contains { $0.contains("discover ec2 failed") })
        #expect(failed.statusLine.contains("discovery-failed"))
    }

    @Test("with nothing ever discovered and no check lines, a failed discovery makes the run UNKNOWN")
    func nothingEverDiscovered() async throws {
        let discoverer = ScriptedDiscoverer([.failure(DiscoveryError("AWS_EC2_METADATA_DISABLED is true"))])
        let recorded = await run(try configuration(), HostSources(discoverer: discoverer),
                                 runner: InstantRunner { _ in .delivered })
        #expect(recorded.report.results.isEmpty)
        #expect(recorded.report.status == .unknown)
        #expect(recorded.report.problems.first?.message.hasSuffix("no address was ever discovered") == true)
    }

    @Test("a discovery that finds nothing, without check lines, is UNKNOWN and says why")
    func foundNothing() async throws {
        let recorded = await run(try configuration(), HostSources(discoverer: ScriptedDiscoverer([.success([])])),
                                 runner: InstantRunner { _ in .delivered })
        #expect(recorded.report.status == .unknown)
        #expect(recorded.report.problems == [RunProblem(
            .nothingToCheck, .unknown,
            "discover ec2 found no public IPv4 or IPv6 address on this instance's interfaces, and there is no check "
                + "line")])
    }

    @Test("AWS's record is given to its address; the region is aws-region's, else the discovered one")
    func awsRecords() async throws {
        var configuration = try configuration()
        let address = IPAddress("203.0.113.25")!
        let record = AWSAddressRecord(publicIP: address, allocationID: "eipalloc-1", ptrRecord: nil, update: nil)
        let aws = FixedAWS(.success([address: record]))
        let recorded = await run(configuration, HostSources(
            discoverer: ScriptedDiscoverer([.success(["203.0.113.25", "203.0.113.26"])]), aws: aws),
                                 runner: InstantRunner { _ in .delivered })
        #expect(recorded.report.results.map(\.aws) == [record, nil])
        #expect(recorded.report.aws == AWSOutcome(error: nil))
        configuration.awsRegion = "us-east-2"
        _ = await run(configuration, HostSources(discoverer: ScriptedDiscoverer([.success(["203.0.113.25"])]),
                                                 aws: aws), runner: InstantRunner { _ in .delivered })
        #expect(aws.regions.withLock { $0 } == ["eu-west-1", "us-east-2"])
    }

    @Test("when AWS cannot answer the verdicts stand on DNS alone and the run has aws-unavailable")
    func awsUnavailable() async throws {
        var configuration = try configuration(checks: [("192.0.2.10", nil)])
        configuration.discovery = nil
        let aws = FixedAWS(.failure(AWSUnavailable("aws: command not found")))
        let recorded = await run(configuration, HostSources(aws: aws), runner: InstantRunner { _ in .delivered })
        #expect(recorded.report.results.map(\.status) == [.critical])
        #expect(recorded.report.results.map(\.aws) == [nil])
        #expect(recorded.report.aws == AWSOutcome(error: "aws: command not found"))
        #expect(recorded.report.problems.map(\.code) == [.awsUnavailable])
        #expect(recorded.report.problems.first?.message.contains("aws: command not found") == true)
        #expect(aws.regions.withLock { $0 } == [nil])
    }
}
