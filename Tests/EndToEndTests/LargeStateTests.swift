import Foundation
import Testing
import TestSupport

/// The state of several large ranges, written by one `--once` run and read by the next, through the built binary.
@Suite("rdnscheck state of large ranges")
struct LargeStateTests {
    @Test("the state file of several ranges reads back at the next run: fail-after fires and drift is seen")
    func largeRangesReadBack() async throws {
        let state = try stateDirectory() + "/state.json"
        let ranges = ["10.1.0.0/22", "10.2.0.0/22", "10.3.0.0/22"]
        let named = "10.2.1.7"
        let namedReverse = FaultServer.reverseName(ipv4: named)
        // Every address but one fails for the time being (SERVFAIL); that one has a name that confirms, until
        // its PTR moves to a name that does not.
        let failing = try FaultServer(rules: [namedReverse: .answer([.ptr(FaultName("mail.example.test"))]),
                                              "mail.example.test": .answer([.a(named)]),
                                              "mx.example.test": .answer([.a("192.0.2.99")])],
                                      defaultBehaviour: .rcode(2))
        defer { failing.stop() }
        let config = try temporaryFile("fail-after 2\nstate \(state)\nattempts 1\n"
                                       + ranges.map { "check \($0)\n" }.joined())

        let first = try await rdnscheckOnce(["-c", config, "--quiet"], port: failing.port)
        #expect(first.exitStatus == 1, "a temporary failure is WARNING at first: \(first.stderrText)")
        let stored = try String(contentsOfFile: state, encoding: .utf8)
        #expect(stored.split(separator: "\n").count == 3 * 1_024 + 2, "one line for each address")

        failing.setBehaviour(.answer([.ptr(FaultName("mx.example.test"))]), for: namedReverse)
        let second = try await rdnscheckOnce(["-c", config, "--format", "json"], port: failing.port)
        #expect(second.exitStatus == 2, "the second failure in a row is CRITICAL (fail-after 2)")
        #expect(!second.stderrText.contains("unusable"), "the state file read back: \(second.stderrText)")
        let counts = try #require(try jsonObject(second)["counts"] as? [String: Int])
        #expect(counts["critical"] == 3 * 1_024, "\(counts)")
        #expect(second.stderrText.contains("\(named): status ok -> critical; ptr_names [mail.example.test] -> "
                                           + "[mx.example.test]"), "drift is seen: \(second.stderrText)")
    }
}
