import Foundation
import RDNSCore
import RDNSPOSIX
import Testing

@testable import RDNSRun

/// Every question gets NXDOMAIN; the run's pacing is what the test gives.
private struct PacedResolver: DNSResolver {
    let summary: PacingSummary?

    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        .reply(rcode: 3, answers: [])
    }
    func takePacingSummary() -> PacingSummary? { summary }
}

@Suite("Pacing in the run's log")
struct PacingLogTests {
    private static func logLines(_ summary: PacingSummary?) async -> [String] {
        var configuration = Configuration()
        try? configuration.targets.add(CheckTarget(IPAddress("192.0.2.10")!))
        let lines = Locked<[String]>([])
        let logger = Logger(journal: false, write: { line in lines.withLock { $0.append(line) } })
        let run = CheckRun(configuration: configuration, logger: logger, keepsStateInMemory: false)
        _ = await run.once(with: PacedResolver(summary: summary))
        return lines.withLock { $0 }
    }

    @Test("a run that slowed down logs one line naming the nameserver and one with the rate it settled on")
    func slowedDown() async {
        var summary = PacingSummary()
        summary.firstSlowdown = PacingSummary.Slowdown(nameserver: "192.0.2.53", rate: 850)
        summary.slowdowns = 3
        summary.rate = 940
        summary.askedAgain = 12
        let lines = await PacingLogTests.logLines(summary)
        let slowed = lines.firstIndex { $0.contains("nameserver 192.0.2.53 drops queries: slowing to 850 queries/s") }
        let settled = lines.firstIndex { $0.contains("pacing: settled at 940 queries/s after 3 slow-downs; 12 queries "
                                                      + "asked again without spending an attempt") }
        #expect(slowed != nil && settled != nil && slowed! < settled!, "\(lines)")
        #expect(lines.filter { $0.contains("drops queries") || $0.contains("pacing:") }.count == 2)
    }

    @Test("a fixed rate is logged once per run; a run that never slowed down nor asked again logs nothing")
    func quietRuns() async {
        #expect(PacingSummary(fixedRate: 900).logLines == ["pacing: at most 900 queries/s (rate)"])
        #expect(PacingSummary().logLines == [])
        let lines = await PacingLogTests.logLines(PacingSummary())
        #expect(!lines.contains { $0.contains("pacing") || $0.contains("drops queries") })
    }
}
