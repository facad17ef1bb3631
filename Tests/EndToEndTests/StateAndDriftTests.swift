import Foundation
import Glibc
import Testing
import TestSupport

private let address = "192.0.2.10"
private let reverseName = FaultServer.reverseName(ipv4: address)

/// A fault server where 192.0.2.10 has PTR `name` and `name` has A `forward`.
func server(ptr name: String, forward: String = "192.0.2.10") throws -> FaultServer {
    try FaultServer(rules: [reverseName: .answer([.ptr(FaultName(name))]), name: .answer([.a(forward)])])
}

/// A fresh directory for a state file.
func stateDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "rdnscheck-state-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// State, drift, fail-after, on-change, journal prefixes and metrics, through the built binary.
@Suite("rdnscheck state and drift")
struct StateAndDriftTests {
    @Test("the first run sets the baseline; a changed PTR is drift in text, JSON and the log")
    func driftAcrossRuns() async throws {
        let state = try stateDirectory() + "/state.json"
        let first = try server(ptr: "mail.example.test")
        let baseline = try await rdnscheckOnce(["--state", state, address], port: first.port)
        first.stop()
        #expect(baseline.exitStatus == 0)
        #expect(baseline.stderrText.isEmpty, "no drift on the first run: \(baseline.stderrText)")
        #expect(!baseline.stdoutText.contains("changed:"))

        let second = try server(ptr: "mx.example.test", forward: "198.51.100.9")
        defer { second.stop() }
        let text = try await rdnscheckOnce(["--state", state, address], port: second.port)
        #expect(text.exitStatus == 2)
        #expect(text.stdoutText.contains("changed: \(address): "), "\(text.stdoutText)")
        #expect(text.stderrText.lines.count == 1)
        #expect(text.stderrText.contains("status ok -> critical") || text.stderrText.contains("ok -> critical"),
                "\(text.stderrText)")

        // Nothing changed since: no drift, in JSON either.
        let json = try await rdnscheckOnce(["--state", state, "--format", "json", address], port: second.port)
        let results = try #require(try jsonObject(json)["results"] as? [[String: Any]])
        #expect((results[0]["changes"] as? [Any])?.isEmpty == true)
        #expect(json.stderrText.isEmpty)
    }

    @Test("drift in JSON lists each changed field with old and new values")
    func driftInJSON() async throws {
        let state = try stateDirectory() + "/state.json"
        let first = try server(ptr: "mail.example.test")
        _ = try await rdnscheckOnce(["--state", state, address], port: first.port)
        first.stop()
        let second = try server(ptr: "mx.example.test", forward: "198.51.100.9")
        defer { second.stop() }
        let result = try await rdnscheckOnce(["--state", state, "--format", "json", address], port: second.port)
        let results = try #require(try jsonObject(result)["results"] as? [[String: Any]])
        let changes = try #require(results[0]["changes"] as? [[String: Any]])
        #expect(changes.map { $0["field"] as? String } == ["ptr_names", "forward", "status"])
        #expect(changes[0]["old"] as? [String] == ["mail.example.test"])
        #expect(changes[0]["new"] as? [String] == ["mx.example.test"])
        #expect(changes[2]["old"] as? String == "ok" && changes[2]["new"] as? String == "critical")
    }

    @Test("a temporary failure is WARNING until it has lasted fail-after runs, then CRITICAL; names are kept")
    func failAfter() async throws {
        let directory = try stateDirectory()
        let state = directory + "/state.json"
        let good = try server(ptr: "mail.example.test")
        let config = try temporaryFile("fail-after 2\nstate \(state)\ntimeout 1s\nattempts 1\ncheck \(address)\n")
        #expect(try await rdnscheckOnce(["-c", config], port: good.port).exitStatus == 0)
        good.stop()
        let failing = try FaultServer(rules: [reverseName: .rcode(2)])
        defer { failing.stop() }
        let first = try await rdnscheckOnce(["-c", config], port: failing.port)
        #expect(first.exitStatus == 1, "\(first.stdoutText)")
        let second = try await rdnscheckOnce(["-c", config, "--format", "json"], port: failing.port)
        #expect(second.exitStatus == 2)
        let stored = try String(contentsOfFile: state, encoding: .utf8)
        #expect(stored.contains("mail.example.test"), "the stored names survive temporary failures: \(stored)")
    }

    @Test("a missing state file is normal; a corrupt one is logged and replaced, and the checks still run",
          arguments: ["", "{not json", "\u{0}\u{1}binary", "{\"version\": 99}", "[]"])
    func corruptState(contents: String) async throws {
        let state = try stateDirectory() + "/state.json"
        let good = try server(ptr: "mail.example.test")
        defer { good.stop() }
        if !contents.isEmpty {
            try contents.write(toFile: state, atomically: false, encoding: .utf8)
        }
        let result = try await rdnscheckOnce(["--state", state, address], port: good.port)
        #expect(result.exitStatus == 0)
        if contents.isEmpty {
            #expect(result.stderrText.isEmpty)
        } else {
            #expect(result.stderrText.contains("state file \(state) is unusable"), "\(result.stderrText)")
        }
        let again = try await rdnscheckOnce(["--state", state, address], port: good.port)
        #expect(again.stderrText.isEmpty, "the file was replaced by a valid one")
    }

    @Test("kill -9 at any moment never leaves a truncated state file")
    func killDuringWrites() async throws {
        let nsd = try await NSDServer.standard()
        let state = try stateDirectory() + "/state.json"
        let binary = ProcessRunner.builtProduct("rdnscheck")
        _ = try await rdnscheckOnce(["--state", state, "198.51.100.32/28", "192.0.2.0/27"])
        for round in 0..<60 {
            let arguments = ["--once", "--quiet", "--nameserver", "127.0.0.1:\(nsd.port)", "--state", state,
                             "198.51.100.32/28", "192.0.2.0/27"]
            try await offThePool {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = arguments
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                usleep(UInt32(round % 12) * 4_000)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            let check = try await rdnscheckOnce(["--state", state, "--quiet", "198.51.100.32"])
            #expect(!check.stderrText.contains("unusable"), "round \(round): \(check.stderrText)")
        }
        // The last run's write removed the temporary files the killed runs left.
        let directory = (state as NSString).deletingLastPathComponent
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(leftovers == ["state.json"])
    }

    @Test("on-change gets the drift in its environment, runs without a shell, and cannot be injected")
    func onChangeEnvironment() async throws {
        let directory = try stateDirectory()
        let output = directory + "/env.txt"
        let script = directory + "/on-change"
        try "#!/bin/sh\nenv | grep ^RDNSCHECK_ | sort > \(output)\necho on-change ran\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let config = try temporaryFile("state \(directory)/state.json\non-change \(script)\ncheck \(address)\n")
        let first = try server(ptr: "mail.example.test")
        _ = try await rdnscheckOnce(["-c", config], port: first.port)
        first.stop()
        #expect(!FileManager.default.fileExists(atPath: output), "no drift on the first run, so no on-change")

        unlink("/tmp/rdnscheck-onchange-pwned")
        let hostile = FaultName(labels: [Array("$(touch /tmp/rdnscheck-onchange-pwned)`id`\n".utf8),
                                         Array("example".utf8)])
        let second = try FaultServer(rules: [reverseName: .answer([.ptr(hostile)])])
        defer { second.stop() }
        let result = try await rdnscheckOnce(["-c", config], port: second.port)
        #expect(result.exitStatus == 2)
        #expect(result.stderrText.contains("on-change \(script): on-change ran"), "\(result.stderrText)")
        let environment = try String(contentsOfFile: output, encoding: .utf8)
        #expect(environment.contains("RDNSCHECK_ADDRESS=\(address)\n"))
        #expect(environment.contains("RDNSCHECK_OLD_STATUS=ok\n"))
        #expect(environment.contains("RDNSCHECK_NEW_STATUS=critical\n"))
        #expect(environment.contains("RDNSCHECK_PROBLEMS=invalid-hostname\n"))
        #expect(environment.contains("RDNSCHECK_PTR_NAMES=\\036\\040touch\\032"), "\(environment)")
        #expect(environment.contains("RDNSCHECK_CHANGES=[{\"field\": \"ptr_names\""), "\(environment)")
        #expect(access("/tmp/rdnscheck-onchange-pwned", F_OK) != 0)
    }

    @Test("a failing on-change program is logged and does not change the exit code")
    func failingOnChange() async throws {
        let directory = try stateDirectory()
        let config = try temporaryFile("state \(directory)/state.json\non-change /bin/false\ncheck \(address)\n")
        let first = try server(ptr: "mail.example.test")
        _ = try await rdnscheckOnce(["-c", config], port: first.port)
        first.stop()
        let second = try server(ptr: "mx.example.test")
        defer { second.stop() }
        let result = try await rdnscheckOnce(["-c", config], port: second.port)
        #expect(result.exitStatus == 0, "the new name confirms too: a drift, but OK")
        #expect(result.stderrText.contains("on-change /bin/false for \(address) exited with status 1"),
                "\(result.stderrText)")
    }

    @Test("log lines carry sd-daemon priority prefixes only when stderr is the journal")
    func journalPrefixes() async throws {
        let state = try stateDirectory() + "/state.json"
        let first = try server(ptr: "mail.example.test")
        _ = try await rdnscheckOnce(["--state", state, address], port: first.port)
        first.stop()
        let second = try server(ptr: "mx.example.test", forward: "198.51.100.9")
        defer { second.stop() }

        let logPath = NSTemporaryDirectory() + "rdnscheck-journal-\(UUID().uuidString)"
        try #require(FileManager.default.createFile(atPath: logPath, contents: nil))
        defer { unlink(logPath) }
        var status = stat()
        stat(logPath, &status)
        let arguments = ["--once", "--quiet", "--nameserver", "127.0.0.1:\(second.port)", "--state", state, address]
        let journalStream = "\(status.st_dev):\(status.st_ino)"
        try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ProcessRunner.builtProduct("rdnscheck"))
            process.arguments = arguments
            process.environment = ProcessRunner.environment(adding: ["JOURNAL_STREAM": journalStream])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: logPath)
            try process.run()
            process.waitUntilExit()
        }
        let journal = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(journal.hasPrefix("<4>\(address): "), "drift for the worse is a warning: \(journal)")

        // The same variable, but stderr is somewhere else: plain lines.
        let plain = try await rdnscheck(["--once", "--nameserver", "127.0.0.1:\(second.port)", "--state", state + ".2",
                                   "--timeout", "1s", "192.0.2.99"],
                                  environment: ProcessRunner.environment(adding: ["JOURNAL_STREAM": "1:1"]))
        #expect(!plain.stderrText.contains("<"))
    }

    @Test("rdnscheck_last_success_timestamp_seconds survives separate --once runs through the state file")
    func lastSuccessSurvivesRuns() async throws {
        let nsd = try await NSDServer.standard()
        let directory = try stateDirectory()
        let (state, textfile) = (directory + "/state.json", directory + "/rdnscheck.prom")
        func lastSuccess() throws -> String? {
            try String(contentsOfFile: textfile, encoding: .utf8).lines
                .first { $0.hasPrefix("rdnscheck_last_success_timestamp_seconds ") }
        }
        let failing = try await rdnscheckOnce(["--state", state, "--textfile", textfile, "192.0.2.11"], port: nsd.port)
        #expect(failing.exitStatus == 2)
        #expect(try lastSuccess() == nil, "no run has been all OK yet")
        let good = try await rdnscheckOnce(["--state", state, "--textfile", textfile, "192.0.2.10"], port: nsd.port)
        #expect(good.exitStatus == 0)
        let recorded = try #require(try lastSuccess())
        #expect(try String(contentsOfFile: state, encoding: .utf8).contains("\"last_success\": "))
        let failingAgain = try await rdnscheckOnce(["--state", state, "--textfile", textfile, "192.0.2.11"],
                                                   port: nsd.port)
        #expect(failingAgain.exitStatus == 2)
        #expect(try lastSuccess() == recorded, "a failing run keeps the last all-OK run's time")
    }

    @Test("the metrics textfile is Prometheus text format with every metric")
    func metricsTextfile() async throws {
        let nsd = try await NSDServer.standard()
        let directory = try stateDirectory()
        let textfile = directory + "/rdnscheck.prom"
        let result = try await rdnscheckOnce(["--textfile", textfile, "192.0.2.10", "192.0.2.11", "2001:db8::25"],
                                       port: nsd.port)
        #expect(result.exitStatus == 2)
        let text = try String(contentsOfFile: textfile, encoding: .utf8)
        for metric in ["rdnscheck_address_status", "rdnscheck_fcrdns_ok", "rdnscheck_temporary_failures",
                       "rdnscheck_addresses", "rdnscheck_last_run_timestamp_seconds",
                       "rdnscheck_run_duration_seconds"] {
            #expect(text.contains("# HELP \(metric) "))
            #expect(text.contains("# TYPE \(metric) gauge"))
        }
        #expect(text.contains("rdnscheck_address_status{address=\"192.0.2.11\"} 2\n"))
        #expect(text.contains("rdnscheck_fcrdns_ok{address=\"2001:db8::25\"} 1\n"))
        #expect(text.contains("rdnscheck_addresses{status=\"critical\"} 1\n"))
        let label = #"[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*""#
        let sample = try Regex(#"[a-zA-Z_:][a-zA-Z0-9_:]*(\{"# + label + "(," + label + #")*\})? -?[0-9.e+]+"#)
        for line in text.lines where !line.hasPrefix("#") {
            #expect(line.wholeMatch(of: sample) != nil, "not a Prometheus sample: \(line)")
        }
        #expect(!text.contains("example.test"), "no PTR names in labels")
    }
}
