import Foundation
import RDNSCore
import RDNSPOSIX
import RDNSRun
import Testing

private func result(_ address: String, _ status: Status, ptr: [String] = [], forward: [(String, [String])] = [],
                    problems: [Problem] = []) -> AddressResult {
    AddressResult(target: CheckTarget(IPAddress(address)!), status: status, ptrNames: ptr.map { DNSName($0)! },
                  forward: forward.map { ForwardAnswer(name: DNSName($0.0)!, addresses: $0.1.map { IPAddress($0)! }) },
                  problems: problems, temporaryFailures: status == .warning ? 1 : 0)
}

private func ok(_ index: Int) -> AddressResult {
    let address = "198.51.100.\(index)"
    return result(address, .ok, ptr: ["h\(index).example.test"], forward: [("h\(index).example.test", [address])])
}

/// A run of every kind of result: OK, WARNING with a fix, CRITICAL with receivers that refuse, an IPv6 address.
private let mixed: [AddressResult] = (0..<5).map(ok) + [
    result("198.51.100.20", .warning, ptr: ["a.example.test", "b.example.test"],
           forward: [("a.example.test", ["198.51.100.20"]), ("b.example.test", ["198.51.100.20"])],
           problems: [Problem(.multiplePTR, .warning, "2 PTR names", fix: "keep one")]),
    result("198.51.100.21", .critical, ptr: ["mx.example.test"], forward: [("mx.example.test", ["192.0.2.9"])],
           problems: [Problem(.forwardMismatch, .critical, "PTR mx.example.test resolves to 192.0.2.9")]),
    result("2001:db8::25", .ok, ptr: ["six.example.test"], forward: [("six.example.test", ["2001:db8::25"])]),
    result("198.51.100.22", .warning, problems: [Problem(.temporaryFailure, .warning, "PTR lookup failed: timeout")]),
] + (30..<40).map(ok)

private let checkedAt = 1_795_428_000
private let discoveryFailed = RunProblem(.discoveryFailed, .warning, "discover ec2 failed: timeout")

/// `results` through `StreamedReport` as `--once` writes them: checked through a `ReorderBuffer` of `capacity`,
/// the newest claimed finishing first each time, so results finish out of order and wait for the oldest.
private func streamed(_ results: [AddressResult], format: ReportFormat, quiet: Bool = false, receivers: Bool = false,
                      problems: [RunProblem] = [], capacity: Int = 3) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("streamed-\(UUID().uuidString)").path
    let output = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
    try #require(output >= 0)
    defer {
        close(output)
        unlink(path)
    }
    let report = try #require(StreamedReport(format: format, receivers: receivers, quiet: quiet, environment: [:],
                                             output: output))
    var targets = CheckTargets()
    for result in results { try targets.add(result.target) }
    let byAddress = Dictionary(results.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
    report.begin(targets: targets, checkedAt: checkedAt, printing: false)
    let buffer = ReorderBuffer(Array(targets), capacity: capacity)
    var counts = StatusCounts()
    while true {
        var claimed: [(Int, CheckTarget)] = []
        while case .target(let index, let target) = buffer.tryClaim() { claimed.append((index, target)) }
        for (index, target) in claimed.reversed() { buffer.store(byAddress[target.address]!, at: index) }
        let taken = try #require(buffer.take())
        if taken.isEmpty { break }
        for result in taken {
            counts.add(result.status)
            report.add(result)
        }
    }
    let tail = ReportTail(counts: counts, durationSeconds: 0.042, problems: problems)
    #expect(report.finish(tail, print: !(quiet && tail.status == .ok)) == nil)
    return try String(contentsOfFile: path, encoding: .utf8)
}

/// What the whole-report path prints for the same run.
private func whole(_ results: [AddressResult], format: ReportFormat, receivers: Bool = false,
                   problems: [RunProblem] = []) -> String {
    format.render(RunReport(results: results, checkedAt: checkedAt, durationSeconds: 0.042, problems: problems),
                  receivers: receivers)
}

@Suite("StreamedReport: --once's report written as the results come, as the whole report is")
struct StreamedReportTests {
    @Test("every format prints what the whole report prints, with results finishing out of order",
          arguments: ReportFormat.allCases, [false, true])
    func sameAsTheWholeReport(format: ReportFormat, receivers: Bool) throws {
        let output = try streamed(mixed, format: format, receivers: receivers)
        #expect(output == whole(mixed, format: format, receivers: receivers))
        #expect(output.contains("198.51.100.21"))
    }

    @Test("the run's problems and counts come in the tail as in the whole report", arguments: ReportFormat.allCases)
    func runProblems(format: ReportFormat) throws {
        let output = try streamed(mixed, format: format, problems: [discoveryFailed])
        #expect(output == whole(mixed, format: format, problems: [discoveryFailed]))
        #expect(output.contains("discovery-failed"))
    }

    @Test("--quiet: a run that is OK prints nothing", arguments: ReportFormat.allCases)
    func quietOKRunPrintsNothing(format: ReportFormat) throws {
        #expect(try streamed((0..<50).map(ok), format: format, quiet: true) == "")
    }

    @Test("--quiet: a run that is not OK prints all the whole report prints, the OK results first included",
          arguments: ReportFormat.allCases)
    func quietRunThatIsNotOKPrintsAll(format: ReportFormat) throws {
        let late = (100..<150).map(ok) + [mixed[6]] + (150..<160).map(ok)
        #expect(try streamed(late, format: format, quiet: true) == whole(late, format: format))
        #expect(try streamed(mixed, format: format, quiet: true) == whole(mixed, format: format))
    }

    @Test("--quiet: OK addresses and a problem of the run print all", arguments: ReportFormat.allCases)
    func quietRunWithARunProblemPrints(format: ReportFormat) throws {
        let results = (0..<20).map(ok)
        #expect(try streamed(results, format: format, quiet: true, problems: [discoveryFailed])
            == whole(results, format: format, problems: [discoveryFailed]))
    }

    @Test("a buffer of one result, and one as large as the run, print the same", arguments: [1, 1_000])
    func anyCapacity(capacity: Int) throws {
        #expect(try streamed(mixed, format: .json, capacity: capacity) == whole(mixed, format: .json))
    }

    @Test("with no temporary directory, nagios and --quiet cannot stream and say so by nil; the others need none")
    func noSpoolNoStream() {
        let missing = ["TMPDIR": "/nonexistent/rdnscheck-test"]
        #expect(StreamedReport(format: .nagios, receivers: false, quiet: false, environment: missing) == nil)
        #expect(StreamedReport(format: .json, receivers: false, quiet: true, environment: missing) == nil)
        #expect(StreamedReport(format: .json, receivers: false, quiet: false, environment: missing) != nil)
    }
}
