import Foundation
import RDNSCore
import RDNSResolver
import Testing
import TestSupport

/// NSD serving Tests/Zones/Unbound, and a real Unbound in front of it that holds a DS for bogus.test of a key that
/// never signed it (a stale DS, as after a key rollover or a move to another provider), and signed.test's own DS.
/// Started once for the suite, stopped at exit.
private enum Servers {
    static let zones = ["2.0.192.in-addr.arpa", "bogus.test", "loops.test", "signed.test"]
    static let staleDS = "bogus.test. DS 10446 13 2 f3fbfb299c805c9bba896b99439f3217c022ab4374c70b03022b4b642d85bf28"
    static let signedDS = "signed.test. DS 28855 13 2 d1a92210f7e6c98187dbb2fc85a2bef81594afff686e6710ad9099cb3e97d6de"

    static let running: Result<(NSDServer, UnboundServer), any Error> = {
        let result = Result {
            let directory = NSDServer.zonesDirectory + "/Unbound"
            let nsd = try NSDServer.start(zones: Dictionary(uniqueKeysWithValues: zones.map {
                ($0, "\(directory)/\($0).zone")
            }))
            do {
                return (nsd, try UnboundServer.start(stubZones: zones, authoritativePort: nsd.port,
                                                     trustAnchors: [staleDS, signedDS]))
            } catch {
                nsd.stop()
                throw error
            }
        }
        if case .success = result {
            atexit {
                guard case .success(let (nsd, unbound)) = Servers.running else { return }
                unbound.stop()
                nsd.stop()
            }
        }
        return result
    }()
}

/// One address of Tests/Zones/Unbound and what the check says of it through Unbound.
struct UnboundCase: Sendable, CustomTestStringConvertible {
    let address: String
    let status: Status
    let codes: [String]
    /// Text the detail of the last problem must contain.
    let detail: String

    var testDescription: String { "\(address): \(codes.joined(separator: ", "))" }
}

@Suite("Through a real Unbound: DNSSEC-bogus names and CNAME loops behind SERVFAIL, long chains",
       .enabled(if: UnboundServer.isInstalled, "needs /usr/sbin/unbound (apt-get install unbound; make test does)"))
struct UnboundIntegrationTests {
    @Test("each case gets its verdict through both engines", arguments: [
        UnboundCase(address: "192.0.2.47", status: .ok, codes: [], detail: ""),
        UnboundCase(address: "192.0.2.40", status: .critical, codes: ["dnssec-bogus"],
                    detail: "A lookup for PTR mail.bogus.test: DNSSEC validation of mail.bogus.test fails"),
        UnboundCase(address: "192.0.2.46", status: .critical, codes: ["dnssec-bogus"],
                    detail: "DNSSEC validation of 46.2.0.192.in-addr.arpa fails"),
        UnboundCase(address: "192.0.2.41", status: .critical, codes: ["cname-loop"],
                    detail: "meets a CNAME loop at loop.loops.test (the resolver answers SERVFAIL"),
        UnboundCase(address: "192.0.2.43", status: .critical, codes: ["cname-loop"],
                    detail: "meets a CNAME beyond the 16 followed, at c17-17.loops.test (the resolver answers "
                        + "SERVFAIL"),
        UnboundCase(address: "192.0.2.42", status: .warning, codes: ["ptr-is-cname", "long-cname-chain"],
                    detail: "follows 9 CNAMEs to c9-9.loops.test: legal, but some resolvers give up after 8"),
        UnboundCase(address: "192.0.2.44", status: .warning, codes: ["ptr-is-cname", "long-cname-chain"],
                    detail: "follows 16 CNAMEs to c16-16.loops.test: legal, but some resolvers give up after 8 (the "
                        + "resolver asked does: SERVFAIL"),
    ])
    func verdictThroughUnbound(case: UnboundCase) async throws {
        let (_, unbound) = try await offThePool { try Servers.running.get() }
        for engine in Engine.allCases {
            let (result, seconds) = await check(`case`.address,
                                                with: try resolver(engine, port: unbound.port, timeout: 2))
            #expect(result.status == `case`.status, "\(engine): \(result.problems)")
            #expect(result.problems.map(\.code.rawValue) == `case`.codes, "\(engine): \(result.problems)")
            if let detail = result.problems.last?.detail {
                #expect(detail.contains(`case`.detail), "\(engine): \(detail)")
            }
            #expect(seconds < 2 + busyMachineAllowance, "\(engine) took \(seconds) s")
        }
    }
}
