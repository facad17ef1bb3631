import RDNSCore
@testable import RDNSEngine
import RDNSResolver
import Testing
import TestSupport

@Suite("PipelinedResolver: checks isolated to the engine's actor run on its thread")
struct EngineIsolationTests {
    private static let names = (1...12).map { "n\($0).example.test" }

    private static func server() throws -> FaultServer {
        try FaultServer(rules: Dictionary(uniqueKeysWithValues: names.map { ($0, .answer([.a("192.0.2.1")])) }))
    }

    private static func resolver(port: UInt16) throws -> PipelinedResolver {
        try PipelinedResolver(settings: ResolverSettings(
            nameservers: [Nameserver(address: IPAddress(Loopback.ipv4Address)!, port: port)],
            timeoutSeconds: 5, attempts: 2))
    }

    /// `ask` isolated to `isolation`.
    private static func ask(_ resolver: PipelinedResolver, isolation: isolated (any Actor)?)
        async -> (onEngineThread: [Bool], answered: [Bool]) {
        await ask(resolver)
    }

    /// Asks each name in turn, noting before and after each query whether it runs on the engine's thread; runs
    /// where its caller does.
    private static func ask(_ resolver: PipelinedResolver) async -> (onEngineThread: [Bool], answered: [Bool]) {
        var onEngineThread = [resolver.onEngineThread]
        var answered: [Bool] = []
        for name in names {
            let outcome = await resolver.query(DNSName(name)!, type: .a)
            if case .reply(0, let answers, _) = outcome { answered.append(answers.count == 1) } else {
                answered.append(false)
            }
            onEngineThread.append(resolver.onEngineThread)
        }
        return (onEngineThread, answered)
    }

    @Test("tasks isolated to the resolver's actor run on the engine's thread, and their queries are answered there")
    func isolatedTasksStayOnTheEngineThread() async throws {
        let server = try EngineIsolationTests.server()
        defer { server.stop() }
        let resolver = try EngineIsolationTests.resolver(port: server.port)
        defer { resolver.shutdown() }
        let results = await withTaskGroup(of: (onEngineThread: [Bool], answered: [Bool]).self) { group in
            for _ in 0..<4 {
                group.addTask { await EngineIsolationTests.ask(resolver, isolation: resolver.isolation) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 4)
        for result in results {
            #expect(result.onEngineThread.allSatisfy { $0 }, "\(result.onEngineThread)")
            #expect(result.answered == Array(repeating: true, count: EngineIsolationTests.names.count))
        }
    }

    @Test("the work given to run executes on the engine's thread, its queries answered")
    func runExecutesOnTheEngineThread() async throws {
        let server = try EngineIsolationTests.server()
        defer { server.stop() }
        let resolver = try EngineIsolationTests.resolver(port: server.port)
        defer { resolver.shutdown() }
        let result = await resolver.run { await EngineIsolationTests.ask(resolver) }
        #expect(result.onEngineThread.allSatisfy { $0 }, "\(result.onEngineThread)")
        #expect(result.answered == Array(repeating: true, count: EngineIsolationTests.names.count))
    }

    @Test("a task isolated to the resolver's actor after its shutdown still runs, its queries failing at once")
    func isolatedTaskAfterShutdownRuns() async throws {
        let server = try EngineIsolationTests.server()
        defer { server.stop() }
        let resolver = try EngineIsolationTests.resolver(port: server.port)
        resolver.shutdown()
        let result = await EngineIsolationTests.ask(resolver, isolation: resolver.isolation)
        #expect(result.onEngineThread.allSatisfy { !$0 })
        #expect(result.answered.allSatisfy { !$0 })
    }

    @Test("a resolver whose tasks were isolated to its actor is freed once shut down (no reference cycle)")
    func resolverIsFreedAfterShutdown() async throws {
        let server = try EngineIsolationTests.server()
        defer { server.stop() }
        weak var freed: PipelinedResolver?
        do {
            let resolver = try EngineIsolationTests.resolver(port: server.port)
            freed = resolver
            let result = await EngineIsolationTests.ask(resolver, isolation: resolver.isolation)
            #expect(result.answered.allSatisfy { $0 })
            resolver.shutdown()
        }
        #expect(freed == nil)
    }
}
