import Glibc
import RDNSCore
import RDNSResolver
import TestSupport

let loopbackV4 = IPAddress(Loopback.ipv4Address)!
let loopbackV6 = IPAddress("::1")!

/// The resolver implementations; every contract test runs against each.
enum Engine: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Blocking res_nquery on a thread pool.
    case libresolv
    /// The pipelined UDP engine.
    case pipelined

    var description: String { rawValue }
}

/// Either implementation behind one concrete type, so tests can hold and check with any of them.
struct TestResolver: DNSResolver {
    let base: any DNSResolver
    let stop: @Sendable () -> Void

    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        await base.query(name, type: type, options: options)
    }

    func shutdown() {
        stop()
    }
}

/// A resolver of `engine` asking the given servers.
func resolver(_ engine: Engine, settings: ResolverSettings) throws -> TestResolver {
    switch engine {
    case .libresolv:
        let resolver = try LibresolvResolver(settings: settings, threads: 4)
        return TestResolver(base: resolver, stop: resolver.shutdown)
    case .pipelined:
        let resolver = try PipelinedResolver(settings: settings, window: 16)
        return TestResolver(base: resolver, stop: resolver.shutdown)
    }
}

/// A resolver of `engine` asking one server on loopback.
func resolver(_ engine: Engine, port: UInt16, address: IPAddress = loopbackV4, timeout: Int = 1,
              attempts: Int = 2) throws -> TestResolver {
    try resolver(engine, settings: ResolverSettings(nameservers: [Nameserver(address: address, port: port)],
                                                    timeoutSeconds: timeout, attempts: attempts))
}

/// Checks one address through `resolver` and returns the result and the seconds it took.
func check(_ address: String, expected: String? = nil, policy: CheckPolicy = CheckPolicy(),
           with resolver: TestResolver) async -> (AddressResult, Double) {
    defer { resolver.shutdown() }
    let target = CheckTarget(IPAddress(address)!, expectedName: expected.flatMap { DNSName($0) })
    let checking = ForwardConfirmation(resolver: resolver, policy: policy)
    return await timed { await checking.check(target) }
}

func codes(_ result: AddressResult) -> [String] {
    result.problems.map(\.code.rawValue)
}

/// Where no nameserver listens: 127.0.0.2 is loopback too, and none of the tests' servers binds it, so no port there
/// is taken by a server another test starts meanwhile (a port released on 127.0.0.1 was: a parallel test's
/// server that answers REFUSED took one, and the "refused at once" nameserver answered).
let closedAddress = IPAddress("127.0.0.2")!

/// A port where nothing listens on `closedAddress` (bound on 127.0.0.1 for a moment, then released).
func closedPort() throws -> UInt16 {
    let server = try FaultServer(rules: [:])
    let port = server.port
    server.stop()
    return port
}

/// A nameserver that refuses at once (ICMP port unreachable) and stays closed whatever else runs.
func closedNameserver() throws -> Nameserver {
    Nameserver(address: closedAddress, port: try closedPort())
}
