import Foundation
import Testing
import TestSupport

/// `rdnscheck --preflight --nameserver 127.0.0.1:PORT` (the shared NSD) plus `arguments`.
private func preflight(_ arguments: [String]) async throws -> ProcessResult {
    let port = try await NSDServer.standard().port
    return try await rdnscheck(["--preflight", "--nameserver", "127.0.0.1:\(port)", "--timeout", "1s"] + arguments)
}

/// `rdnscheck --preflight` end to end: the built binary against the names of Tests/Zones.
@Suite("rdnscheck --preflight")
struct PreflightTests {
    @Test("exit 0 when every name is ready, 2 when one is not", arguments: [
        (["192.0.2.10=mail.example.test"], Int32(0)),
        (["2001:db8::25=mail6.example.test"], 0),
        (["192.0.2.10=mail.example.test", "2001:db8::25=mail6.example.test"], 0),
        (["192.0.2.11=mx.example.test"], 2),
        (["192.0.2.14=nxname.example.test"], 2),
        (["192.0.2.13=noaddr.example.test"], 2),
        (["192.0.2.17=ec2-192-0-2-17.compute-1.amazonaws.com"], 2),
        (["192.0.2.18=alias18.example.test"], 2),
        (["192.0.2.21=bad-.example.test"], 2),
        (["192.0.2.10=mail.example.test", "192.0.2.11=mx.example.test"], 2),
    ] as [([String], Int32)])
    func exitCode(pairs: [String], exitCode: Int32) async throws {
        let result = try await preflight(pairs)
        #expect(result.exitStatus == exitCode, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stderrText.isEmpty)
    }

    @Test("text: ready and not ready, the fix and the step that sets the PTR")
    func textOutput() async throws {
        let result = try await preflight(["192.0.2.10=mail.example.test", "192.0.2.11=mx.example.test"])
        #expect(result.stdoutText.lines == [
            "READY      192.0.2.10=mail.example.test",
            "  set 10.2.0.192.in-addr.arpa. IN PTR mail.example.test. (in the reverse zone, or ask the address's "
                + "provider)",
            "NOT READY  192.0.2.11=mx.example.test    forward-mismatch: 192.0.2.11: PTR mx.example.test resolves to "
                + "198.51.100.9, not 192.0.2.11",
            "  fix: change the A record of mx.example.test (now 198.51.100.9) to 192.0.2.11, or ask for a PTR to a "
                + "name that resolves to 192.0.2.11",
            "  then: make sure mx.example.test. IN A 192.0.2.11 exists, then set 11.2.0.192.in-addr.arpa. IN PTR "
                + "mx.example.test. (in the reverse zone, or ask the address's provider)",
            "NOT READY: 1 of 2 addresses ready",
        ])
    }

    @Test("json: the documented object, and a CNAME followed as the check follows it")
    func jsonOutput() async throws {
        let result = try await preflight(["--format", "json", "192.0.2.18=alias18.example.test",
                                          "192.0.2.10=mail.example.test"])
        #expect(result.exitStatus == 2)
        let object = try jsonObject(result)
        #expect(object["ready"] as? Bool == false)
        #expect(object["exit_code"] as? Int == 2)
        #expect(object["aws"] is NSNull)
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["ready"] as? Bool } == [false, true])
        #expect(results[0]["name"] as? String == "alias18.example.test")
        let problem = try #require((results[0]["problems"] as? [[String: Any]])?.first)
        #expect(problem["code"] as? String == "ptr-is-cname")
        #expect(problem["fix"] as? String == "point the PTR at the name itself, not at a CNAME (RFC 1912): set "
            + "18.2.0.192.in-addr.arpa. IN PTR real18.example.test. (in the reverse zone, or ask the address's "
            + "provider)")
        #expect(results[1]["problems"] as? [Any] != nil)
        #expect(results[1]["command"] as? String == "set 10.2.0.192.in-addr.arpa. IN PTR mail.example.test. (in the "
            + "reverse zone, or ask the address's provider)")
    }

    @Test("the nameserver and timeout come from -c FILE too")
    func configurationFile() async throws {
        let port = try await NSDServer.standard().port
        let config = try temporaryFile("nameserver 127.0.0.1:\(port)\ntimeout 1s\n")
        let result = try await rdnscheck(["--preflight", "-c", config, "192.0.2.10=mail.example.test"])
        #expect(result.exitStatus == 0, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stdoutText.hasPrefix("READY      192.0.2.10=mail.example.test\n"))
    }

    @Test("the pipelined engine gives the same verdicts")
    func pipelinedEngine() async throws {
        let result = try await preflight(["--engine", "pipelined", "192.0.2.10=mail.example.test",
                                          "192.0.2.11=mx.example.test"])
        #expect(result.exitStatus == 2)
        #expect(result.stdoutText.lines.last == "NOT READY: 1 of 2 addresses ready")
    }

    @Test("a name with control and shell characters is not ready, and printed escaped")
    func hostileName() async throws {
        let result = try await preflight(["192.0.2.10=a\u{1B}[2J$(id);b.example.test"])
        #expect(result.exitStatus == 2)
        #expect(!result.stdoutText.hasRawControlBytes)
        #expect(result.stdoutText.hasPrefix("NOT READY  192.0.2.10=a\\027\\0912J\\036\\040id\\041\\059b.example.test  "
                                            + "invalid-hostname: "))
        #expect(!result.stdoutText.contains("$(id)"))
    }

    @Test("bad input exits 3 with one clear line and a pointer to --help", arguments: [
        (["--preflight"], "--preflight needs at least one ADDRESS=NAME"),
        (["--preflight", "192.0.2.10"], "'192.0.2.10' is not ADDRESS=NAME: --preflight needs the name to ask for"),
        (["--preflight", "192.0.2.256=mail.example.test"], "'192.0.2.256' is not an IPv4 or IPv6 address"),
        (["--preflight", "192.0.2.0/24=mail.example.test"], "not a range"),
        (["--preflight", "192.0.2.10=a..example.test"], "'a..example.test' is not a domain name"),
        (["--preflight", "--once", "192.0.2.10=mail.example.test"], "--preflight cannot be combined with --once"),
        (["--preflight", "--format", "nagios", "192.0.2.10=mail.example.test"], "text or json, not nagios"),
    ] as [([String], String)])
    func badInput(arguments: [String], message: String) async throws {
        let result = try await rdnscheck(arguments)
        #expect(result.exitStatus == 3)
        #expect(result.stdoutText.isEmpty)
        let lines = result.stderrText.lines
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("rdnscheck: ") == true)
        #expect(lines.first?.contains(message) == true, "\(result.stderrText)")
        #expect(lines.first?.hasSuffix("see 'rdnscheck --help'") == true)
    }

    @Test("a configuration with errors exits 3 and names them")
    func badConfiguration() async throws {
        let config = try temporaryFile("timeout soon\n")
        let result = try await rdnscheck(["--preflight", "-c", config, "192.0.2.10=mail.example.test"])
        #expect(result.exitStatus == 3)
        #expect(result.stderrText.contains("\(config):1: "))
        #expect(result.stdoutText.isEmpty)
    }
}
