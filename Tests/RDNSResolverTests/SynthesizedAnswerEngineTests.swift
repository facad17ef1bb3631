import Foundation
import RDNSCore
import RDNSResolver
import Testing
import TestSupport

private let address = "192.0.2.40"
private let reverseName = FaultServer.reverseName(ipv4: address)

/// What systemd-resolved sends for an address of its host whose real PTR is missing: its hostname, TTL 0, AA, and AD
/// when asked; the hostname's A: the host's address, the same way.
private func madeUp(ttl: UInt32 = 0, over tcp: Bool = false) -> [String: FaultBehaviour] {
    let ptr: [FaultRecord] = [.ptr("mx1.example.test", ttl: ttl)]
    return [
        reverseName: .authenticData(tcp ? .truncatedThenTCP(ptr) : .answer(ptr)),
        "mx1.example.test": .authenticData(.answer([.a(address, ttl: ttl)])),
    ]
}

/// Both engines ask for AD and hand the core AA, AD and the TTLs, over UDP and TCP.
@Suite("Resolvers and answers systemd-resolved made up")
struct SynthesizedAnswerEngineTests {
    @Test("a PTR with TTL 0, AA and AD (asked for), over UDP or TCP, is synthesized-answer, not OK",
          arguments: Engine.allCases, [false, true])
    func madeUpPTRIsNotConfirmation(engine: Engine, overTCP: Bool) async throws {
        let server = try FaultServer(rules: madeUp(over: overTCP), defaultBehaviour: .rcode(5))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .warning)
        #expect(codes(result) == ["synthesized-answer"])
        #expect(result.problems.first?.detail.hasPrefix("PTR mx1.example.test for 40.2.0.192.in-addr.arpa was made up")
                == true, "\(result.problems)")
        #expect(!result.isForwardConfirmed)
    }

    @Test("the same answer with a TTL, or without AD, is a real one and confirms", arguments: Engine.allCases)
    func realAnswersConfirm(engine: Engine) async throws {
        for rules in [madeUp(ttl: 300), [reverseName: .answer([.ptr("mx1.example.test", ttl: 0)]),
                                         "mx1.example.test": .answer([.a(address, ttl: 0)])]] {
            let server = try FaultServer(rules: rules, defaultBehaviour: .rcode(5))
            defer { server.stop() }
            let (result, _) = await check(address, with: try resolver(engine, port: server.port))
            #expect(result.status == .ok, "\(result.problems)")
            #expect(result.isForwardConfirmed)
        }
    }
}

/// Both engines, made without nameservers where /etc/resolv.conf names only resolved's stub, ask its upstream servers.
@Suite("Resolvers without nameservers behind systemd-resolved")
struct SystemNameserverEngineTests {
    @Test("both engines take resolved's upstream servers for its stub and say so; libresolv's deadline counts both",
          arguments: Engine.allCases)
    func upstreamsInsteadOfStub(engine: Engine) throws {
        let folder = NSTemporaryDirectory() + "rdnscheck-resolv-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var settings = ResolverSettings(nameservers: [], timeoutSeconds: 1, attempts: 1)
        settings.systemFiles = SystemNameservers.Files(resolvConf: folder + "/resolv.conf",
                                                       resolvedUpstreams: folder + "/upstream.conf")
        for (text, path) in [("nameserver 127.0.0.53\noptions edns0 trust-ad\n", settings.systemFiles.resolvConf),
                             ("nameserver 127.0.0.2\nnameserver ::1\n", settings.systemFiles.resolvedUpstreams)] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let made = try engine == .libresolv ? LibresolvResolver(settings: settings, threads: 1) as any DNSResolver
            : PipelinedResolver(settings: settings, window: 4)
        defer { made.shutdown() }
        #expect(made.nameserverNotice?.hasSuffix("upstream.conf instead: 127.0.0.2, ::1") == true,
                "\(made.nameserverNotice ?? "no notice")")
        if let libresolv = made as? LibresolvResolver {
            // timeout x attempts x nameservers: two, not the stub alone.
            #expect(libresolv.deadlineMilliseconds == 2000)
        }
    }
}
