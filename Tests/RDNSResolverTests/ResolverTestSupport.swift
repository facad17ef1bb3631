import Glibc
import RDNSCore
import RDNSResolver
import TestSupport

/// One NSD serving Tests/Zones for the whole test process, started on first use and stopped at exit.
let standardNSD: Result<NSDServer, any Error> = {
    let result = Result { try NSDServer.startStandard() }
    if case .success = result {
        atexit { try? standardNSD.get().stop() }
    }
    return result
}()

let loopbackV4 = IPAddress("127.0.0.1")!
let loopbackV6 = IPAddress("::1")!

/// A libresolv resolver asking one server on loopback.
func resolver(port: UInt16, address: IPAddress = loopbackV4, timeout: Int = 1, attempts: Int = 2,
              threads: Int = 4) throws -> LibresolvResolver {
    try LibresolvResolver(settings: ResolverSettings(nameservers: [Nameserver(address: address, port: port)],
                                                     timeoutSeconds: timeout, attempts: attempts),
                          threads: threads)
}

/// Checks one address through `resolver` and returns the result and the seconds it took.
func check(_ address: String, expected: String? = nil, policy: CheckPolicy = CheckPolicy(),
           with resolver: LibresolvResolver) async -> (AddressResult, Double) {
    let started = monotonicSeconds()
    let target = CheckTarget(IPAddress(address)!, expectedName: expected.flatMap { DNSName($0) })
    let result = await ForwardConfirmation(resolver: resolver, policy: policy).check(target)
    return (result, monotonicSeconds() - started)
}

func codes(_ result: AddressResult) -> [String] {
    result.problems.map(\.code.rawValue)
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A port on 127.0.0.1 where nothing listens (bound for a moment, then released).
func closedPort() throws -> UInt16 {
    let server = try FaultServer(rules: [:])
    let port = server.port
    server.stop()
    return port
}
