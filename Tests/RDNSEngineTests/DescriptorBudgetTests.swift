import RDNSCore
import RDNSEngine
import RDNSResolver
import Testing
import TestSupport

@Suite("DescriptorBudget: the window and the TCP exchanges fit the open-files limit")
struct DescriptorBudgetTests {
    @Test("window, TCP bound and the 32 descriptors kept for the rest fit the limit", arguments: [
        // (asked, limit) -> (window, TCP exchanges, reduced)
        (100, 1_024, 100, 64, false),
        (4_096, 20_000, 4_096, 64, false),
        (4_096, 4_192, 4_096, 64, false),
        (4_096, 4_191, 4_095, 64, true),
        (4_096, 1_024, 928, 64, true),
        (4_096, 64, 16, 16, true),
        (16, 64, 16, 16, false),
        (1, 34, 1, 1, false),
        (2, 36, 2, 2, false),
        (100, 10, 1, 1, true),
    ])
    func fits(asked: Int, limit: Int, window: Int, tcp: Int, reduced: Bool) {
        let budget = DescriptorBudget(window: asked, limit: limit)
        #expect(budget.window == window)
        #expect(budget.tcpExchanges == tcp)
        #expect((budget.reduction != nil) == reduced)
        if limit >= 34 { #expect(budget.window + budget.tcpExchanges + 32 <= limit) }
    }

    @Test("a reduced window is explained with the numbers")
    func reductionMessage() {
        #expect(DescriptorBudget(window: 4_096, limit: 64).reduction == "concurrency reduced from 4096 to 16 queries "
                + "in flight: the open-files limit (RLIMIT_NOFILE) is 64, and TCP lookups (at most 16 at once) and "
                + "rdnscheck's own files need descriptors too")
    }
}

@Suite("PipelinedResolver: TCP exchanges are bounded")
struct TCPBoundTests {
    private static let held = "held.example.test"
    private static let answered = "answer.example.test"

    /// A pipelined resolver with one query in flight and one TCP exchange at most (34 descriptors: 32 kept, 2 left).
    private static func resolver(port: UInt16, timeout: Int) throws -> PipelinedResolver {
        let server = Nameserver(address: IPAddress(Loopback.ipv4Address)!, port: port)
        let settings = ResolverSettings(nameservers: [server], timeoutSeconds: timeout, attempts: 1)
        let budget = DescriptorBudget(window: 1, limit: 34)
        #expect(budget.tcpExchanges == 1)
        return try PipelinedResolver(settings: settings, budget: budget)
    }

    @Test("a truncated query waits while the only TCP exchange is taken, and goes on when that one ends")
    func truncatedQueryWaitsForTCP() async throws {
        let records: [FaultRecord] = [.a("192.0.2.1")]
        let server = try FaultServer(rules: [
            // Truncated over UDP at once; over TCP answered only after a second, holding the exchange till then.
            TCPBoundTests.held: .sequence([.truncatedThenTCP(records),
                                           .delayed(seconds: 1, .truncatedThenTCP(records))]),
            TCPBoundTests.answered: .truncatedThenTCP(records),
        ])
        defer { server.stop() }
        let resolver = try TCPBoundTests.resolver(port: server.port, timeout: 5)
        defer { resolver.shutdown() }
        async let held = resolver.query(DNSName(TCPBoundTests.held)!, type: .a)
        // The held exchange has the only TCP descriptor once the server has its TCP query (UDP + TCP).
        for _ in 0..<500 where server.queryCount(for: TCPBoundTests.held) < 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(server.queryCount(for: TCPBoundTests.held) == 2)
        let answered = await resolver.query(DNSName(TCPBoundTests.answered)!, type: .a)
        for outcome in [await held, answered] {
            guard case .reply(0, let answers, _) = outcome else {
                Issue.record("\(outcome)")
                continue
            }
            #expect(answers.count == 1)
        }
        // Timed where the queries arrive (the test's own task may be held back on a busy machine): the second TCP
        // query comes only once the first exchange's answer, held back 1 s, is in; with a second exchange open
        // at once it would come within moments.
        let tcp = server.queries.filter { $0.transport == .tcp }
        let heldAt = tcp.first { $0.name == TCPBoundTests.held }?.receivedAt ?? .infinity
        let answeredAt = tcp.first { $0.name == TCPBoundTests.answered }?.receivedAt ?? -.infinity
        #expect(answeredAt - heldAt >= 0.9, "asked over TCP while the only TCP exchange was still taken")
    }

    @Test("queries waiting for a TCP exchange still end at their deadline, not one timeout after another")
    func waitingQueriesKeepTheirDeadline() async throws {
        let server = try FaultServer(rules: [:], defaultBehaviour: .truncatedThenTCPStall)
        defer { server.stop() }
        let resolver = try TCPBoundTests.resolver(port: server.port, timeout: 2)
        defer { resolver.shutdown() }
        // Ten queries, one TCP exchange: one timeout after another would take 2 s, 4 s, ... 20 s. Each is timed
        // on the engine's thread, where it is asked and where its outcome comes: a task of the global pool may
        // resume seconds later while the rest of the suite starts (12.8 s seen for this test in a full run).
        let timings = await withTaskGroup(of: (QueryOutcome, Double).self) { group in
            for index in 1...10 {
                group.addTask {
                    await Self.timedQuery("s\(index).example.test", on: resolver, isolation: resolver.isolation)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(timings.map(\.0) == Array(repeating: .failure(.timeout), count: 10))
        for (_, seconds) in timings {
            #expect(seconds >= 1.9 && seconds < 2 + busyMachineAllowance, "took \(seconds) s; every deadline is 2 s")
        }
    }

    /// How long `name`'s lookup took, timed where `isolation` runs (the resolver's thread).
    private static func timedQuery(_ name: String, on resolver: PipelinedResolver,
                                   isolation: isolated (any Actor)?) async -> (QueryOutcome, Double) {
        let started = monotonicSeconds()
        let outcome = await resolver.query(DNSName(name)!, type: .a)
        return (outcome, monotonicSeconds() - started)
    }

    @Test("queries waiting for a TCP exchange each get one when the one before ends")
    func waitingQueriesTakeTheirTurn() async throws {
        let names = (1...6).map { "tc\($0).example.test" }
        let server = try FaultServer(rules: Dictionary(uniqueKeysWithValues: names.map {
            ($0, FaultBehaviour.truncatedThenTCP([.a("192.0.2.1")]))
        }))
        defer { server.stop() }
        let resolver = try TCPBoundTests.resolver(port: server.port, timeout: 5)
        defer { resolver.shutdown() }
        let outcomes = await withTaskGroup(of: QueryOutcome.self) { group in
            for name in names { group.addTask { await resolver.query(DNSName(name)!, type: .a) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 6)
        for outcome in outcomes {
            guard case .reply(let rcode, let answers, _) = outcome else {
                Issue.record("\(outcome)")
                continue
            }
            #expect(rcode == 0 && answers.count == 1)
        }
        #expect(server.queries.filter { $0.transport == .tcp }.count == 6)
    }
}
