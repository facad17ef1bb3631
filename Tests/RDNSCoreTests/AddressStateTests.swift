import RDNSCore
import Testing

/// Results and states for the state, drift and metrics tests, built with the public initializers.
enum StateSamples {
    static let start = 1_795_428_000

    /// A check result; `forward` pairs a PTR name with its addresses.
    static func result(_ address: String, _ status: Status = .ok, ptr: [String] = [],
                       forward: [(String, [String])] = [], problems: [Problem] = [],
                       temporaryFailures: Int = 0) -> AddressResult {
        AddressResult(target: CheckTarget(IPAddress(address)!), status: status, ptrNames: ptr.map(name),
                      forward: forward.map { ForwardAnswer(name: name($0.0), addresses: $0.1.map { IPAddress($0)! }) },
                      problems: problems, temporaryFailures: temporaryFailures)
    }

    /// An address whose PTR name confirms.
    static func confirmed(_ address: String, _ ptrName: String = "mail.example.com") -> AddressResult {
        result(address, ptr: [ptrName], forward: [(ptrName, [address])])
    }

    /// The `failures`-th temporary failure in a row, with `fail-after 3`: what ForwardConfirmation returns
    /// when the PTR lookup times out.
    static func timedOut(_ address: String, failures: Int) -> AddressResult {
        let severity: Status = failures >= 3 ? .critical : .warning
        return result(address, severity, problems: [
            Problem(.temporaryFailure, severity, "PTR lookup failed: timeout"),
        ], temporaryFailures: failures)
    }

    static func state(_ status: Status = .ok, ptr: [String] = ["mail.example.com"],
                      forward: [String: [String]] = ["mail.example.com": ["192.0.2.10"]], failures: Int = 0,
                      since: Int = start, checkedAt: Int = start) -> AddressState {
        AddressState(status: status, ptrNames: ptr, forward: forward, temporaryFailures: failures, since: since,
                     checkedAt: checkedAt)
    }
}

@Suite("AddressState: what is remembered about an address between runs")
struct AddressStateTests {
    @Test("the state keeps the result's first 32 PTR names, so the state file stays bounded")
    func manyNamesAreCapped() {
        let state = AddressState(result: SampleReports.manyNames(count: 1_850), previous: nil, now: StateSamples.start)
        #expect(state.ptrNames.count == 32)
        #expect(state.ptrNames.last == "n031.example.test")
        #expect(state.forward.count == 32)
    }

    @Test("the first run stores the result as the baseline, starting now")
    func firstRunIsBaseline() {
        let state = AddressState(result: StateSamples.confirmed("192.0.2.10"), previous: nil, now: 100)
        #expect(state == StateSamples.state(since: 100, checkedAt: 100))
    }

    @Test("an unchanged status keeps its start time and moves the check time")
    func sameStatusKeepsSince() {
        let previous = AddressState(result: StateSamples.confirmed("192.0.2.10"), previous: nil, now: 100)
        let next = AddressState(result: StateSamples.confirmed("192.0.2.10"), previous: previous, now: 400)
        #expect(next.since == 100)
        #expect(next.checkedAt == 400)
    }

    @Test("a new status starts now and brings the new names and answers")
    func statusChangeMovesSince() {
        let previous = AddressState(result: StateSamples.confirmed("192.0.2.10"), previous: nil, now: 100)
        let mismatch = StateSamples.result("192.0.2.10", .critical, ptr: ["mx.example.com"],
                                           forward: [("mx.example.com", ["198.51.100.9"])],
                                           problems: [Problem(.forwardMismatch, .critical, "resolves elsewhere")])
        let next = AddressState(result: mismatch, previous: previous, now: 400)
        #expect(next == StateSamples.state(.critical, ptr: ["mx.example.com"],
                                           forward: ["mx.example.com": ["198.51.100.9"]], since: 400, checkedAt: 400))
    }

    @Test("a temporary failure keeps the stored names and answers; only status, count and times move")
    func temporaryFailureKeepsRecords() {
        let previous = AddressState(result: StateSamples.confirmed("192.0.2.10"), previous: nil, now: 100)
        // A partial failure: the PTR lookup answered with another name, its forward lookup failed.
        let partial = StateSamples.result("192.0.2.10", .warning, ptr: ["other.example.com"], problems: [
            Problem(.temporaryFailure, .warning, "A lookup for other.example.com failed: SERVFAIL"),
        ], temporaryFailures: 1)
        let next = AddressState(result: partial, previous: previous, now: 400)
        #expect(next == StateSamples.state(.warning, failures: 1, since: 400, checkedAt: 400))
    }

    @Test("a temporary failure on the first run stores what the result has")
    func temporaryFailureWithoutPreviousState() {
        let state = AddressState(result: StateSamples.timedOut("192.0.2.10", failures: 1), previous: nil, now: 100)
        #expect(state == StateSamples.state(.warning, ptr: [], forward: [:], failures: 1, since: 100,
                                            checkedAt: 100))
    }

    @Test("consecutive temporary failures count up, turn CRITICAL, and recovery resets the count")
    func failuresCountUpAndReset() {
        let runs = [
            StateSamples.confirmed("192.0.2.10"),
            StateSamples.timedOut("192.0.2.10", failures: 1),
            StateSamples.timedOut("192.0.2.10", failures: 2),
            StateSamples.timedOut("192.0.2.10", failures: 3),
            StateSamples.confirmed("192.0.2.10", "mx.example.com"),
        ]
        var state: AddressState?
        var seen: [(Status, Int, Int, [String])] = []
        for (index, result) in runs.enumerated() {
            let next = AddressState(result: result, previous: state, now: 100 * index)
            seen.append((next.status, next.temporaryFailures, next.since, next.ptrNames))
            state = next
        }
        #expect(seen.map(\.0) == [.ok, .warning, .warning, .critical, .ok])
        #expect(seen.map(\.1) == [0, 1, 2, 3, 0])
        #expect(seen.map(\.2) == [0, 100, 100, 300, 400])
        #expect(seen.map(\.3) == [["mail.example.com"], ["mail.example.com"], ["mail.example.com"],
                                  ["mail.example.com"], ["mx.example.com"]])
        #expect(state?.forward == ["mx.example.com": ["192.0.2.10"]])
    }

    @Test("names are stored as escaped presentation text and addresses in canonical form")
    func storesPrintableText() throws {
        let hostile = try #require(DNSName(labels: [Array("evil\n\"x\\".utf8), Array("é".utf8), Array("com".utf8)]))
        let result = AddressResult(
            target: CheckTarget(IPAddress("2001:DB8:0:0::25")!), status: .ok, ptrNames: [hostile],
            forward: [ForwardAnswer(name: hostile,
                                    addresses: [IPAddress("2001:db8::25")!, IPAddress("2001:db8::1:0")!])],
            problems: [], temporaryFailures: 0)
        let state = AddressState(result: result, previous: nil, now: 1)
        #expect(state.ptrNames == ["evil\\010\\034x\\092.\\195\\169.com"])
        #expect(state.forward == ["evil\\010\\034x\\092.\\195\\169.com": ["2001:db8::25", "2001:db8::1:0"]])
    }
}
