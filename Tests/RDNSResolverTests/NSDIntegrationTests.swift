import RDNSCore
import RDNSResolver
import Testing
import TestSupport

/// Every verdict of SPEC.md, through libresolv, against a real NSD serving Tests/Zones (see its README).
@Suite("LibresolvResolver against NSD")
struct NSDIntegrationTests {
    @Test("each example address gets its verdict and problem codes, the same through both engines", arguments: [
        ("192.0.2.10", nil, Status.ok, [String]()),
        ("192.0.2.11", nil, .critical, ["forward-mismatch"]),
        ("192.0.2.12", nil, .critical, ["no-ptr"]),
        ("192.0.2.13", nil, .critical, ["forward-no-address"]),
        ("192.0.2.14", nil, .critical, ["forward-no-address"]),
        ("192.0.2.15", nil, .warning, ["multiple-ptr"]),
        ("192.0.2.16", nil, .critical, ["forward-mismatch", "partial-confirmation", "multiple-ptr"]),
        ("192.0.2.17", nil, .warning, ["generic-ptr"]),
        ("192.0.2.18", nil, .warning, ["ptr-is-cname"]),
        ("192.0.2.19", nil, .ok, []),
        ("192.0.2.20", nil, .warning, ["generic-ptr"]),
        ("192.0.2.21", nil, .critical, ["invalid-hostname"]),
        ("192.0.2.22", "mail22.example.test", .ok, []),
        ("192.0.2.22", "relay.example.test", .critical, ["expected-name-mismatch"]),
        ("192.0.2.23", nil, .critical, ["cname-loop"]),
        ("192.0.2.24", nil, .critical, ["no-ptr"]),
        ("192.0.2.25", nil, .warning, ["ptr-is-cname", "long-cname-chain"]),
        ("192.0.2.26", nil, .warning, ["ptr-is-cname"]),
        ("192.0.2.27", nil, .ok, []),
        ("192.0.2.28", nil, .critical, ["invalid-hostname"]),
        ("192.0.2.65", nil, .ok, []),
        ("192.0.2.66", nil, .critical, ["forward-mismatch"]),
        ("2001:db8::25", nil, .ok, []),
        ("2001:db8::26", nil, .critical, ["forward-no-address"]),
        ("2001:db8::27", nil, .critical, ["no-ptr"]),
        ("2001:db8::28", nil, .critical, ["forward-mismatch"]),
    ] as [(String, String?, Status, [String])])
    func exampleAddress(example: (address: String, expected: String?, status: Status, codes: [String])) async throws {
        let (address, expected, status, expectedCodes) = example
        let nsd = try await NSDServer.standard()
        async let libresolv = check(address, expected: expected, with: try resolver(.libresolv, port: nsd.port))
        async let pipelined = check(address, expected: expected, with: try resolver(.pipelined, port: nsd.port))
        let results = try await [libresolv.0, pipelined.0]
        for (engine, result) in zip(Engine.allCases, results) {
            #expect(result.status == status, "\(engine): \(result.problems)")
            #expect(codes(result) == expectedCodes, "\(engine)")
        }
        #expect(results[0] == results[1], "libresolv: \(results[0]); pipelined: \(results[1])")
    }

    @Test("the forward answers and PTR names are reported as NSD serves them", arguments: Engine.allCases)
    func recordsAreReported(engine: Engine) async throws {
        let nsd = try await NSDServer.standard()
        let (result, _) = await check("192.0.2.19", with: try resolver(engine, port: nsd.port))
        #expect(result.ptrNames.map(\.description) == ["multi.example.test"])
        #expect(result.forward.first?.addresses.map(\.description) == ["192.0.2.19", "192.0.2.99", "198.51.100.19"])
    }

    @Test("a whole /28 checks OK, in order", arguments: Engine.allCases)
    func rangeChecksOK(engine: Engine) async throws {
        let nsd = try await NSDServer.standard()
        let targets = try AddressRange(parsing: "198.51.100.32/28").map { CheckTarget($0) }
        let resolver = try resolver(engine, port: nsd.port)
        defer { resolver.shutdown() }
        let results = await ForwardConfirmation(resolver: resolver).check(targets, concurrency: 8)
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0.status == .ok })
        #expect(results.map(\.address) == targets.map(\.address))
    }

    @Test("an IPv6 nameserver with a port is used", .enabled(if: Loopback.hasIPv6), arguments: Engine.allCases)
    func ipv6Nameserver(engine: Engine) async throws {
        let nsd = try await NSDServer.standard()
        let (result, _) = await check("192.0.2.10", with: try resolver(engine, port: nsd.port, address: loopbackV6))
        #expect(result.status == .ok)
    }

    @Test("a dead first nameserver is skipped for the next one", arguments: Engine.allCases)
    func secondNameserverAnswers(engine: Engine) async throws {
        let nsd = try await NSDServer.standard()
        let settings = ResolverSettings(nameservers: [try closedNameserver(),
                                                      Nameserver(address: loopbackV4, port: nsd.port)],
                                        timeoutSeconds: 1, attempts: 1)
        let (result, _) = await check("192.0.2.10", with: try resolver(engine, settings: settings))
        #expect(result.status == .ok)
    }

    @Test("the query deadline is timeout x attempts x nameservers")
    func deadlineFollowsSettings() throws {
        let settings = ResolverSettings(nameservers: [Nameserver(address: loopbackV4, port: 1)], timeoutSeconds: 3,
                                        attempts: 2)
        #expect(try LibresolvResolver(settings: settings).deadlineMilliseconds == 6_000)
        let two = ResolverSettings(nameservers: [Nameserver(address: loopbackV4, port: 1),
                                                 Nameserver(address: loopbackV6, port: 2)],
                                   timeoutSeconds: 2, attempts: 3)
        #expect(try LibresolvResolver(settings: two).deadlineMilliseconds == 12_000)
    }
}
