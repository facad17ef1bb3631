import Foundation
import Testing
import TestSupport

/// `rdnscheck --once` end to end: the built binary against NSD and the fault server; exit codes and formats.
@Suite("rdnscheck --once")
struct OnceRunTests {
    @Test("the exit code is the worst status of the run", arguments: [
        (["192.0.2.10"], Int32(0)),
        (["192.0.2.10", "192.0.2.15"], 1),
        (["192.0.2.10", "192.0.2.15", "192.0.2.11"], 2),
        (["192.0.2.12"], 2),
        (["198.51.100.32/28"], 0),
    ] as [([String], Int32)])
    func exitCodeIsWorstStatus(addresses: [String], exitCode: Int32) async throws {
        let result = try await rdnscheckOnce(addresses)
        #expect(result.exitStatus == exitCode, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stderrText.isEmpty)
    }

    @Test("text output: one line per address in fixed-width columns (IPv6 widens the second), then a summary")
    func textFormat() async throws {
        let result = try await rdnscheckOnce(["192.0.2.10", "192.0.2.15", "192.0.2.11", "2001:DB8:0:0::25"])
        let lines = result.stdoutText.lines
        #expect(lines.count == 7)
        let ipv6Width = String(repeating: " ", count: 41 - "192.0.2.10".count)
        #expect(lines[0].hasPrefix("OK        192.0.2.10" + ipv6Width + "mail.example.test"))
        #expect(lines[1].hasPrefix("WARNING   192.0.2.15" + ipv6Width + "a15.example.test,b15.example.test"
                                   + String(repeating: " ", count: 66 - 33) + "multiple-ptr: "))
        #expect(lines[2] == "  fix: keep only 15.2.0.192.in-addr.arpa. IN PTR a15.example.test. and remove the other "
                    + "PTR records there (b15.example.test)")
        #expect(lines[3].hasPrefix("CRITICAL  192.0.2.11" + ipv6Width + "mx.example.test"))
        #expect(lines[3].hasSuffix("forward-mismatch: PTR mx.example.test resolves to 198.51.100.9, not 192.0.2.11"))
        #expect(lines[4] == "  fix: change the A record of mx.example.test (now 198.51.100.9) to 192.0.2.11, or ask "
                    + "for a PTR to a name that resolves to 192.0.2.11")
        #expect(lines[5].hasPrefix("OK        2001:db8::25" + String(repeating: " ", count: 41 - 12)
                                   + "mail6.example.test"))
        #expect(lines[6].hasPrefix("CRITICAL: 4 addresses: 2 ok, 1 warning, 1 critical, 0 unknown in "))
    }

    @Test("nagios output: status line with perfdata in '.' decimals whatever the locale, then the non-OK addresses")
    func nagiosFormat() async throws {
        let port = try await NSDServer.standard().port
        let result = try await rdnscheck(["--once", "--format", "nagios", "--nameserver", "127.0.0.1:\(port)",
                                    "192.0.2.10", "192.0.2.15", "192.0.2.11"],
                                   environment: ProcessRunner.environment(adding: ["LC_ALL": "de_DE.UTF-8",
                                                                                   "LC_NUMERIC": "de_DE.UTF-8"]))
        #expect(result.exitStatus == 2)
        let lines = result.stdoutText.lines
        #expect(lines.count == 3)
        let status = try Regex(#"RDNS CRITICAL - 3 addresses: 1 ok, 1 warning, 1 critical, 0 unknown \| "#
                               + #"ok=1;;;0;3 warning=1;;;0;3 critical=1;;;0;3 unknown=0;;;0;3 time=\d+\.\d{3}s;;;0"#)
        #expect(lines[0].wholeMatch(of: status) != nil, "\(lines[0])")
        #expect(lines[1].hasPrefix("WARNING 192.0.2.15: multiple-ptr: "))
        #expect(lines[2] == "CRITICAL 192.0.2.11: forward-mismatch: PTR mx.example.test resolves to 198.51.100.9, "
                + "not 192.0.2.11; receivers: gmail reject, postfix-client reject")
    }

    @Test("--receivers prints each receiver rule's verdict under each address; JSON always has them")
    func receivers() async throws {
        let addresses = ["192.0.2.10", "192.0.2.12", "192.0.2.16", "192.0.2.28"]
        let result = try await rdnscheckOnce(["--receivers"] + addresses)
        #expect(result.exitStatus == 2)
        let verdicts = result.stdoutText.lines.filter { $0.hasPrefix("  ") && !$0.hasPrefix("  fix: ") }
            .map { $0.split(separator: " (", maxSplits: 1)[0] }
        #expect(verdicts == [
            "  gmail: accept", "  postfix-client: accept", "  postfix-reverse: accept", "  spamassassin: accept",
            "  gmail: reject", "  postfix-client: reject", "  postfix-reverse: reject",
            "  spamassassin: penalise RDNS_NONE",
            "  gmail: accept", "  postfix-client: at-risk", "  postfix-reverse: accept", "  spamassassin: accept",
            // 192.0.2.28's PTR name is 192.0.2.28: Postfix refuses a numeric name, so SpamAssassin sees none.
            "  gmail: reject", "  postfix-client: reject", "  postfix-reverse: reject",
            "  spamassassin: penalise RDNS_NONE",
        ])
        #expect(result.stdoutText.contains("  postfix-client: at-risk (depends on which PTR name the receiver's "
                                           + "resolver gives first: PTR good16.example.test forward-confirms; "
                                           + "PTR bad16.example.test does not forward-confirm)"))
        let plain = try await rdnscheckOnce(addresses)
        #expect(!plain.stdoutText.contains("gmail"))
        let json = try jsonObject(try await rdnscheckOnce(["--format", "json"] + addresses))
        let results = try #require(json["results"] as? [[String: Any]])
        let receivers = results.map { ($0["receivers"] as? [String: [String: Any]])?["postfix-client"]?["verdict"] }
        #expect(receivers.map { $0 as? String } == ["accept", "reject", "at-risk", "reject"])
    }

    @Test("json output follows the documented schema")
    func jsonFormat() async throws {
        let result = try await rdnscheckOnce(["--format", "json", "192.0.2.10=mail.example.test", "192.0.2.11",
                                              "192.0.2.13"])
        #expect(result.exitStatus == 2)
        let object = try jsonObject(result)
        #expect(object["status"] as? String == "critical")
        #expect(object["exit_code"] as? Int == 2)
        #expect((object["checked_at"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
        #expect(object["duration_seconds"] is Double || object["duration_seconds"] is Int)
        #expect(object["counts"] as? [String: Int] == ["ok": 1, "warning": 0, "critical": 2, "unknown": 0])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.map { $0["address"] as? String } == ["192.0.2.10", "192.0.2.11", "192.0.2.13"])
        #expect(results[0]["expected_name"] as? String == "mail.example.test")
        #expect(results[1]["expected_name"] is NSNull)
        #expect(results[0]["ptr_names"] as? [String] == ["mail.example.test"])
        #expect(results[0]["forward"] as? [String: [String]] == ["mail.example.test": ["192.0.2.10"]])
        #expect(results[0]["problems"] as? [Any] != nil && (results[0]["problems"] as? [Any])!.isEmpty)
        #expect(results[0]["changes"] as? [Any] != nil)
        let problem = try #require((results[1]["problems"] as? [[String: Any]])?.first)
        #expect(problem["code"] as? String == "forward-mismatch")
        #expect(problem["message"] as? String
            == "192.0.2.11: PTR mx.example.test resolves to 198.51.100.9, not 192.0.2.11")
        #expect(problem.keys.contains("fix"))
        #expect(results[2]["forward"] as? [String: [String]] == ["noaddr.example.test": []])
    }

    @Test("--quiet prints nothing when everything is OK, and the report otherwise")
    func quiet() async throws {
        let ok = try await rdnscheckOnce(["--quiet", "192.0.2.10", "198.51.100.32/30"])
        #expect(ok.exitStatus == 0)
        #expect(ok.stdoutText.isEmpty && ok.stderrText.isEmpty)
        let warning = try await rdnscheckOnce(["--quiet", "192.0.2.15"])
        #expect(warning.exitStatus == 1)
        #expect(warning.stdoutText.hasPrefix("WARNING"))
    }

    @Test("addresses on the command line replace the configuration's checks; its settings still apply")
    func commandLineAddressesReplaceChecks() async throws {
        let path = try temporaryFile("generic-ptr ignore\ncheck 192.0.2.11\n")
        let result = try await rdnscheckOnce(["-c", path, "--format", "json", "192.0.2.17"])
        #expect(result.exitStatus == 0, "generic-ptr ignore from the file applies")
        let results = try #require(try jsonObject(result)["results"] as? [[String: Any]])
        #expect(results.map { $0["address"] as? String } == ["192.0.2.17"])
    }

    @Test("the demo configuration shows OK, WARNING and CRITICAL addresses")
    func demoConfiguration() async throws {
        let result = try await rdnscheckOnce(["-c", repositoryRoot + "/config/demo.conf"])
        #expect(result.exitStatus == 2)
        let addressLines = result.stdoutText.lines.dropLast().filter { !$0.hasPrefix("  fix: ") }
        let statuses = Set(addressLines.map { String($0.prefix { $0 != " " }) })
        #expect(statuses == ["OK", "WARNING", "CRITICAL"])
        #expect(addressLines.count == 18)
        #expect(result.stdoutText.lines.count(where: { $0.hasPrefix("  fix: ") }) == 14)
    }

    @Test("a temporary failure is a WARNING (exit 1) in every format, never no-ptr")
    func temporaryFailure() async throws {
        let server = try FaultServer(rules: [FaultServer.reverseName(ipv4: "192.0.2.40"): .rcode(2)])
        defer { server.stop() }
        let text = try await rdnscheckOnce(["192.0.2.40"], port: server.port)
        #expect(text.exitStatus == 1)
        #expect(text.stdoutText.contains("temporary-failure: PTR lookup for 40.2.0.192.in-addr.arpa failed: SERVFAIL"))
        #expect(!text.stdoutText.contains("no-ptr"))
    }

    @Test("hostile PTR names are escaped in every format and never executed", arguments: ["text", "nagios", "json"])
    func hostileNamesInEveryFormat(format: String) async throws {
        unlink("/tmp/rdnscheck-e2e-pwned")
        let hostile = FaultName(labels: [Array("$(touch /tmp/rdnscheck-e2e-pwned)|\u{1b}[31m\n\"\\".utf8) + [0xff],
                                         Array("example".utf8)])
        let server = try FaultServer(rules: [FaultServer.reverseName(ipv4: "192.0.2.41"): .answer([.ptr(hostile)])])
        defer { server.stop() }
        let result = try await rdnscheckOnce(["--format", format, "192.0.2.41"], port: server.port)
        #expect(result.exitStatus == 2)
        #expect(!result.stdoutText.hasRawControlBytes)
        #expect(!result.stdoutText.contains("$("))
        #expect(access("/tmp/rdnscheck-e2e-pwned", F_OK) != 0)
        if format != "json" {
            #expect(result.stdoutText.contains("\\036\\040touch\\032"))
        } else {
            let results = try #require(try jsonObject(result)["results"] as? [[String: Any]])
            #expect((results[0]["ptr_names"] as? [String])?.first?.hasPrefix("\\036\\040touch") == true)
        }
        if format == "nagios" {
            #expect(result.stdoutText.lines.dropFirst().allSatisfy { !$0.contains("|") })
        }
    }
}

/// An answer too large for UDP, with more PTR names than an address keeps, through the built binary.
@Suite("rdnscheck --once: bounded answers")
struct BoundedAnswerTests {
    /// 1,400 names `h1000.t` ... `h2399.t`: as many as fit one 64 KiB TCP answer from the fault server, which
    /// writes every owner name in full.
    private static let names = (1_000..<2_400).map { "h\($0).t" }

    @Test("1,400 PTR names over TCP: 32 kept and looked up, the true count in every format, the state and metrics")
    func manyNamesOverTCP() async throws {
        let records = Self.names.map { FaultRecord.ptr(FaultName($0)) }
        let server = try FaultServer(rules: [FaultServer.reverseName(ipv4: "192.0.2.42"): .truncatedThenTCP(records)],
                                     defaultBehaviour: .answer([.a("192.0.2.42")]))
        defer { server.stop() }
        let kept = Array(Self.names.prefix(32))
        let message = "multiple-ptr: 1,400 PTR names (" + kept.prefix(4).joined(separator: ", ")
            + " … and 1,396 more); receivers use one; only the first 32 were looked up"

        let text = try await rdnscheckOnce(["192.0.2.42"], port: server.port)
        #expect(text.exitStatus == 1, "\(text.stderrText)")
        // Six names and the count fill the 64-character names column.
        #expect(text.stdoutText.lines.first == "WARNING   192.0.2.42       " + kept.prefix(6).joined(separator: ",")
            + " … and 1,394 more  " + message)
        #expect(text.stdout.count < 1_000)
        #expect(server.queries.filter { $0.type == 1 }.count == 32, "only the kept names are looked up")

        let nagios = try await rdnscheckOnce(["--format", "nagios", "192.0.2.42"], port: server.port)
        #expect(nagios.stdoutText.lines.dropFirst() == ["WARNING 192.0.2.42: " + message])

        let directory = (try temporaryFile("") as NSString).deletingLastPathComponent
        let (state, textfile) = (directory + "/state.json", directory + "/rdnscheck.prom")
        let json = try await rdnscheckOnce(["--format", "json", "--state", state, "--textfile", textfile,
                                            "192.0.2.42"], port: server.port)
        let result = try #require((try jsonObject(json)["results"] as? [[String: Any]])?.first)
        #expect(result["ptr_count"] as? Int == 1_400)
        #expect(result["ptr_names"] as? [String] == kept)
        #expect((result["forward"] as? [String: [String]])?.count == 32)
        #expect(json.stdout.count < 4_000)
        let stored = try String(contentsOfFile: state, encoding: .utf8)
        #expect(stored.contains("h1031.t") && !stored.contains("h1032.t") && stored.utf8.count < 4_000)
        let metrics = try String(contentsOfFile: textfile, encoding: .utf8)
        #expect(metrics.contains("rdnscheck_fcrdns_ok{address=\"192.0.2.42\"} 0\n"),
                "1,368 names were never looked up: not forward-confirmed")
    }

    /// 3,000 A records for `big.t`, 198.18.0.0 ... 198.18.11.182 and 203.0.113.43 last in sort order: as many as
    /// fit one 64 KiB TCP answer from the fault server.
    private static let bigAnswer = (0..<2_999).map { "198.18.\($0 / 256).\($0 % 256)" } + ["203.0.113.43"]

    @Test("3,000 A records over TCP: 32 kept with the checked address, the true count in JSON and the messages")
    func manyForwardAddressesOverTCP() async throws {
        let records = Self.bigAnswer.map { FaultRecord.a($0) }
        let server = try FaultServer(rules: [
            FaultServer.reverseName(ipv4: "203.0.113.43"): .answer([.ptr("big.t")]),
            FaultServer.reverseName(ipv4: "203.0.113.44"): .answer([.ptr("big.t")]),
            "big.t": .truncatedThenTCP(records),
        ])
        defer { server.stop() }
        let kept = Array(Self.bigAnswer.prefix(31)) + ["203.0.113.43"]
        let mismatch = "forward-mismatch: PTR big.t resolves to " + Self.bigAnswer.prefix(32).joined(separator: ", ")
            + " … and 2,968 more, not 203.0.113.44"

        let nagios = try await rdnscheckOnce(["--format", "nagios", "203.0.113.43", "203.0.113.44"],
                                             port: server.port)
        #expect(nagios.exitStatus == 2, "\(nagios.stderrText)")
        #expect(nagios.stdoutText.lines.dropFirst() == ["CRITICAL 203.0.113.44: " + mismatch
                                                        + "; receivers: gmail reject, postfix-client reject"])

        let directory = (try temporaryFile("") as NSString).deletingLastPathComponent
        let (state, textfile) = (directory + "/state.json", directory + "/rdnscheck.prom")
        let json = try await rdnscheckOnce(["--format", "json", "--state", state, "--textfile", textfile,
                                            "203.0.113.43", "203.0.113.44"], port: server.port)
        let results = try #require(try jsonObject(json)["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["ok", "critical"])
        #expect((results[0]["forward"] as? [String: [String]])?["big.t"] == kept)
        #expect((results[1]["forward"] as? [String: [String]])?["big.t"] == Array(Self.bigAnswer.prefix(32)))
        #expect(results.map { $0["forward_counts"] as? [String: Int] } == [["big.t": 3_000], ["big.t": 3_000]])
        #expect(json.stdout.count < 6_000)
        let stored = try String(contentsOfFile: state, encoding: .utf8)
        #expect(stored.contains("198.18.0.31") && !stored.contains("198.18.0.32") && stored.utf8.count < 6_000)
        let metrics = try String(contentsOfFile: textfile, encoding: .utf8)
        #expect(metrics.contains("rdnscheck_fcrdns_ok{address=\"203.0.113.43\"} 1\n"))
    }
}
