import RDNSCore
import RDNSEngine
import RDNSResolver
import Testing
import TestSupport

@Suite("PipelinedResolver: pacing, and queries a nameserver dropped")
struct PacingEngineTests {
    private static let record: [FaultRecord] = [.a("192.0.2.1")]

    private static func resolver(port: UInt16, timeout: Int, attempts: Int, rate: Int? = nil) throws
        -> PipelinedResolver {
        var settings = ResolverSettings(nameservers: [Nameserver(address: IPAddress(Loopback.ipv4Address)!,
                                                                 port: port)],
                                        timeoutSeconds: timeout, attempts: attempts)
        settings.rate = rate
        return try PipelinedResolver(settings: settings)
    }

    private static func answered(_ outcome: QueryOutcome) -> Bool {
        if case .reply(0, let answers, _) = outcome { return answers.count == 1 }
        return false
    }

    @Test("a query dropped while others are answered is asked again early, under the same attempt, and answered")
    func droppedQueryAskedAgain() async throws {
        let names = (1...20).map { "ok\($0).example.test" }
        var rules = Dictionary(uniqueKeysWithValues: names.map {
            ($0, FaultBehaviour.answer(PacingEngineTests.record))
        })
        rules["dropped.example.test"] = .sequence([.drop, .answer(PacingEngineTests.record)])
        let server = try FaultServer(rules: rules)
        defer { server.stop() }
        // One attempt of 30 s: before, the dropped query failed with a timeout after 30 s.
        let resolver = try PacingEngineTests.resolver(port: server.port, timeout: 30, attempts: 1)
        defer { resolver.shutdown() }
        for name in names { #expect(PacingEngineTests.answered(await resolver.query(DNSName(name)!, type: .a))) }
        let (outcome, seconds) = await timed { await resolver.query(DNSName("dropped.example.test")!, type: .a) }
        #expect(PacingEngineTests.answered(outcome), "\(outcome)")
        #expect(server.queryCount(for: "dropped.example.test") == 2)
        #expect(seconds < 30, "asked again only after the attempt's timeout")
        #expect(resolver.takePacingSummary()?.askedAgain == 1)
        #expect(resolver.takePacingSummary()?.askedAgain == 0, "each summary starts a new tally")
    }

    @Test("a server that answers nothing gets one datagram per attempt, and the query ends at timeout x attempts")
    func deadServerKeepsItsBound() async throws {
        let server = try FaultServer(rules: [:], defaultBehaviour: .drop)
        defer { server.stop() }
        let resolver = try PacingEngineTests.resolver(port: server.port, timeout: 1, attempts: 2)
        defer { resolver.shutdown() }
        let (outcome, seconds) = await timed { await resolver.query(DNSName("gone.example.test")!, type: .a) }
        #expect(outcome == .failure(.timeout))
        #expect(server.queryCount(for: "gone.example.test") == 2)
        #expect(seconds >= 1.9 && seconds < 2 + busyMachineAllowance, "took \(seconds) s; the bound is 2 s")
        #expect(resolver.takePacingSummary()?.slowdowns == 0)
    }

    @Test("with a rate (--rate) the queries leave no closer together than the rate allows")
    func fixedRateSpacesQueries() async throws {
        let names = (1...8).map { "r\($0).example.test" }
        let server = try FaultServer(rules: Dictionary(uniqueKeysWithValues: names.map {
            ($0, FaultBehaviour.answer(PacingEngineTests.record))
        }))
        defer { server.stop() }
        let resolver = try PacingEngineTests.resolver(port: server.port, timeout: 5, attempts: 2, rate: 20)
        defer { resolver.shutdown() }
        let outcomes = await withTaskGroup(of: QueryOutcome.self) { group in
            for name in names { group.addTask { await resolver.query(DNSName(name)!, type: .a) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy(PacingEngineTests.answered))
        // 20 a second, a bucket of one: 50 ms apart. Read where the server receives them, whose thread may be late
        // for one datagram on a busy machine and on time for the next: the 7 gaps together at least 0.33 s, none
        // under half its due.
        let times = server.queries.map(\.receivedAt).sorted()
        #expect(times.count == 8)
        #expect((times.last ?? 0) - (times.first ?? 0) >= 0.33, "\(times)")
        for (earlier, later) in zip(times, times.dropFirst()) { #expect(later - earlier >= 0.025, "\(times)") }
        #expect(resolver.takePacingSummary()?.fixedRate == 20)
    }
}
