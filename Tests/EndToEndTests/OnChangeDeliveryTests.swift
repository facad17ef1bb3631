import Foundation
import Glibc
import Testing
import TestSupport

private let addresses = (1...5).map { "192.0.2.\($0)" }

/// Every address of `addresses` has PTR `PREFIX-N.example.test`, which has A the address.
private func pointAll(_ server: FaultServer, to prefix: String) {
    for (index, address) in addresses.enumerated() {
        let name = "\(prefix)-\(index + 1).example.test"
        server.setBehaviour(.answer([.ptr(FaultName(name))]), for: FaultServer.reverseName(ipv4: address))
        server.setBehaviour(.answer([.a(address)]), for: name)
    }
}

/// The on-change program `DIRECTORY/on-change`, running `body`.
private func hookScript(_ body: String, in directory: String) throws -> String {
    let path = directory + "/on-change"
    try writeShellScript(body, to: path)
    return path
}

private func lines(of path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").lines
}

/// Whether process `pid` is gone (or a zombie about to be reaped).
private func isGone(_ pid: pid_t) -> Bool {
    let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    return stat == nil || stat?.split(separator: ")").last?.split(separator: " ").first == "Z"
}

/// on-change delivery through the built binary: every drift's program runs, and what could not run is kept.
@Suite("rdnscheck on-change delivery")
struct OnChangeDeliveryTests {
    @Test("--once with 5 drifts and a slow program runs it 5 times, several at once, and waits for all")
    func onceWaitsForEveryProgram() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let directory = try stateDirectory()
        let log = directory + "/runs.log"
        let hook = try hookScript("echo \"start $RDNSCHECK_ADDRESS\" >> \(log)\nsleep 8\n"
                                  + "echo \"end $RDNSCHECK_ADDRESS\" >> \(log)\n", in: directory)
        let config = try daemonConfig(port: server.port, addresses: addresses,
                                      extra: "state \(directory)/state.json\non-change \(hook)")
        pointAll(server, to: "a")
        #expect(try await rdnscheck(["--once", "-c", config]).exitStatus == 0)
        pointAll(server, to: "b")
        let started = Date()
        let result = try await rdnscheck(["--once", "-c", config])
        let seconds = Date().timeIntervalSince(started)
        #expect(result.exitStatus == 0)
        #expect(result.stderrText.lines.count { $0.contains("ptr_names [a-") } == 5, "\(result.stderrText)")
        let ends = lines(of: log).filter { $0.hasPrefix("end ") }.map { String($0.dropFirst(4)) }
        #expect(ends.sorted() == addresses, "every program had finished when --once exited: \(lines(of: log))")
        // 4 at once: two rounds of 8 s, not five (the 31 s cap left the fifth unrun, the fourth orphaned).
        #expect(seconds < 28, "took \(seconds) s")
        #expect(!(try String(contentsOfFile: directory + "/state.json", encoding: .utf8)).contains("undelivered"))
    }

    @Test("a program stopped at its 30 s limit is kept in the state file and run again by the next --once",
          .timeLimit(.minutes(3)))
    func cutOffIsDeliveredAgain() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let directory = try stateDirectory()
        let (mark, output) = (directory + "/tried", directory + "/delivered.env")
        let hook = try hookScript("""
            if [ -e \(mark) ]; then env | grep ^RDNSCHECK_ | sort > \(output); exit 0; fi
            touch \(mark)
            exec sleep 60

            """, in: directory)
        let config = try daemonConfig(port: server.port, addresses: ["192.0.2.1"],
                                      extra: "state \(directory)/state.json\non-change \(hook)")
        pointAll(server, to: "a")
        #expect(try await rdnscheck(["--once", "-c", config]).exitStatus == 0)
        pointAll(server, to: "b")
        let cutOff = try await rdnscheck(["--once", "-c", config])
        #expect(cutOff.stderrText.contains("on-change \(hook) for 192.0.2.1 was stopped after 30s, its time limit; "
                                           + "it will be tried again (try 1 of 3)"), "\(cutOff.stderrText)")
        let state = try String(contentsOfFile: directory + "/state.json", encoding: .utf8)
        #expect(state.contains("\"undelivered\": {\n \"192.0.2.1\": {\"old_status\": \"ok\""), "\(state)")
        #expect(!FileManager.default.fileExists(atPath: output))

        let again = try await rdnscheck(["--once", "-c", config])
        #expect(!again.stderrText.contains("ptr_names"), "no new drift: \(again.stderrText)")
        let environment = lines(of: output)
        #expect(environment.contains("RDNSCHECK_ADDRESS=192.0.2.1"), "\(environment)")
        #expect(environment.contains("RDNSCHECK_PTR_NAMES=b-1.example.test"))
        #expect(environment.contains { $0.hasPrefix("RDNSCHECK_CHANGES=[{\"field\": \"ptr_names\", "
                                                     + "\"old\": [\"a-1.example.test\"]") })
        #expect(!(try String(contentsOfFile: directory + "/state.json", encoding: .utf8)).contains("undelivered"))
    }

    @Test("SIGTERM on the daemon stops its programs and keeps every delivery not made; the next --once makes them")
    func stopKeepsDeliveries() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let directory = try stateDirectory()
        let (started, delivered, quick) = (directory + "/started", directory + "/delivered", directory + "/quick")
        let hook = try hookScript("""
            if [ -e \(quick) ]; then echo "$RDNSCHECK_ADDRESS" >> \(delivered); exit 0; fi
            echo "$$ $RDNSCHECK_ADDRESS" >> \(started)
            exec sleep 60

            """, in: directory)
        let config = try daemonConfig(port: server.port, addresses: addresses,
                                      extra: "state \(directory)/state.json\non-change \(hook)")
        pointAll(server, to: "a")
        #expect(try await rdnscheck(["--once", "-c", config]).exitStatus == 0)
        pointAll(server, to: "b")

        let daemon = try DaemonProcess(["-c", config])
        let deadline = Date().addingTimeInterval(20)
        while lines(of: started).count < 4 && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(lines(of: started).count == 4, "4 programs at once: \(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 15) == 0)
        #expect(daemon.log.contains("5 on-change deliveries not made kept in the state file for the next start"),
                "\(daemon.log)")
        for line in lines(of: started) {
            let pid = try #require(pid_t(line.prefix { $0 != " " }))
            let gone = Date().addingTimeInterval(5)
            while !isGone(pid) && Date() < gone { try await Task.sleep(for: .milliseconds(20)) }
            #expect(isGone(pid), "the program \(pid) was stopped with the daemon")
        }
        let state = try String(contentsOfFile: directory + "/state.json", encoding: .utf8)
        for address in addresses {
            #expect(state.contains("\n \"\(address)\": {\"old_status\": \"ok\""), "\(address): \(state)")
        }

        #expect(FileManager.default.createFile(atPath: quick, contents: nil))
        let next = try await rdnscheck(["--once", "-c", config])
        #expect(!next.stderrText.contains("ptr_names"), "no new drift: \(next.stderrText)")
        #expect(lines(of: delivered).sorted() == addresses)
    }

    @Test("the program sees a clean environment, and the changes keep the case DNS gave the names")
    func cleanEnvironmentAndCase() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let directory = try stateDirectory()
        let config = try daemonConfig(port: server.port, addresses: ["192.0.2.1"],
                                      extra: "state \(directory)/state.json\non-change /usr/bin/env")
        let environment = ProcessRunner.environment(adding: ["SECRET_TOKEN": "hunter2", "LANG": "C.UTF-8"])
        pointAll(server, to: "a")
        _ = try await rdnscheck(["--once", "-c", config], environment: environment)
        server.setBehaviour(.answer([.ptr(FaultName("MX.Example.Test"))]),
                            for: FaultServer.reverseName(ipv4: "192.0.2.1"))
        server.setBehaviour(.answer([.a("192.0.2.1")]), for: "mx.example.test")
        let result = try await rdnscheck(["--once", "-c", config], environment: environment)
        let variables = result.stderrText.lines.filter { $0.hasPrefix("on-change /usr/bin/env: ") }
            .map { $0.dropFirst("on-change /usr/bin/env: ".count) }
        #expect(Set(variables.map { String($0.prefix { $0 != "=" }) }).subtracting(["LC_ALL", "TZ"]) == [
            "PATH", "LANG", "RDNSCHECK_ADDRESS", "RDNSCHECK_OLD_STATUS", "RDNSCHECK_NEW_STATUS",
            "RDNSCHECK_PROBLEMS", "RDNSCHECK_PTR_NAMES", "RDNSCHECK_CHANGES", "RDNSCHECK_DRIFTS",
        ], "\(result.stderrText)")
        #expect(variables.contains("RDNSCHECK_PTR_NAMES=MX.Example.Test"))
        let changes = "RDNSCHECK_CHANGES=[{\"field\": \"ptr_names\", \"old\": [\"a-1.example.test\"], "
            + "\"new\": [\"MX.Example.Test\"]}"
        #expect(variables.contains { $0.hasPrefix(changes) }, "\(variables)")
    }
}
