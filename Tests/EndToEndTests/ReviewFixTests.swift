import Foundation
import Glibc
import Testing
import TestSupport

/// 192.0.2.1 has PTR `NAME.example.test`, which has A 192.0.2.1.
private func point(_ server: FaultServer, to name: String) {
    server.setBehaviour(.answer([.ptr(FaultName("\(name).example.test"))]),
                        for: FaultServer.reverseName(ipv4: "192.0.2.1"))
    server.setBehaviour(.answer([.a("192.0.2.1")]), for: "\(name).example.test")
}

/// A state directory and a configuration checking 192.0.2.1 on `server` with `on-change DIRECTORY/on-change`
/// (not created: the test writes it when it wants the program to work).
private func setUp(_ server: FaultServer) throws -> (directory: String, hook: String, config: String) {
    let directory = try stateDirectory()
    let hook = directory + "/on-change"
    let config = try daemonConfig(port: server.port, addresses: ["192.0.2.1"],
                                  extra: "state \(directory)/state.json\non-change \(hook)")
    return (directory, hook, config)
}

/// The review's findings on --once: what --quiet may hide, and what a signal while it waits may not lose.
@Suite("rdnscheck --once review fixes")
struct ReviewFixTests {
    @Test("--quiet shows a run whose on-change failed, up to the line that drops it after 3 tries")
    func quietShowsDeliveryFailures() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let (_, hook, config) = try setUp(server)
        point(server, to: "a")
        #expect(try await rdnscheck(["--once", "-c", config]).exitStatus == 0)
        point(server, to: "b")
        let drifted = try await rdnscheck(["--once", "--quiet", "-c", config])
        #expect(drifted.stderrText.contains("try 1 of 3"), "\(drifted.stderrText)")

        // OK and unchanged, but the delivery still owed fails again: --quiet used to print nothing.
        let second = try await rdnscheck(["--once", "--quiet", "-c", config])
        #expect(second.exitStatus == 0)
        #expect(second.stderrText.contains("on-change \(hook) for 192.0.2.1 cannot be run: No such file or "
                                           + "directory; it will be tried again (try 2 of 3)"),
                "\(second.stderrText)")
        #expect(!second.stdoutText.isEmpty, "the report comes with the warning")
        let third = try await rdnscheck(["--once", "--quiet", "-c", config])
        #expect(third.stderrText.contains("dropped after 3 tries: the drift of 192.0.2.1 (ok -> ok) was never "
                                          + "delivered"), "\(third.stderrText)")
        let fourth = try await rdnscheck(["--once", "--quiet", "-c", config])
        #expect(fourth.stdoutText.isEmpty && fourth.stderrText.isEmpty, "nothing left to say: \(fourth.stderrText)")
    }

    @Test("--quiet shows a run whose state file could not be saved after its on-change programs")
    func quietShowsFailedSaveAfterHooks() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let (directory, hook, config) = try setUp(server)
        point(server, to: "a")
        #expect(try await rdnscheck(["--once", "-c", config]).exitStatus == 0)
        point(server, to: "b")
        #expect(try await rdnscheck(["--once", "-c", config]).stderrText.contains("try 1 of 3"))

        // The owed delivery is made now, and the program puts a directory where the state file was: the save of
        // "nothing owed any more" after it fails.
        let state = directory + "/state.json"
        try writeShellScript("rm -f \(state)\nmkdir \(state)\n", to: hook)
        let quiet = try await rdnscheck(["--once", "--quiet", "-c", config])
        #expect(quiet.exitStatus == 0)
        #expect(quiet.stderrText.contains("cannot write the state file \(state)"), "\(quiet.stderrText)")
        #expect(!quiet.stdoutText.isEmpty)
    }

    @Test("SIGTERM while --once waits for its program: group killed, delivery kept, exit 143, next run makes it",
          .timeLimit(.minutes(2)))
    func signalWhileWaitingForPrograms() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let (directory, hook, config) = try setUp(server)
        let (started, delivered, quick) = (directory + "/started", directory + "/delivered", directory + "/quick")
        try writeShellScript("""
            if [ -e \(quick) ]; then echo "$RDNSCHECK_ADDRESS" >> \(delivered); exit 0; fi
            sleep 60 &
            echo "$$" >> \(started)
            wait

            """, to: hook)
        point(server, to: "a")
        #expect(try await rdnscheck(["--once", "-c", config]).exitStatus == 0)
        point(server, to: "b")

        let once = try DaemonProcess(["--once", "-c", config])
        let deadline = Date().addingTimeInterval(20)
        while (try? String(contentsOfFile: started, encoding: .utf8)) == nil && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let line = try String(contentsOfFile: started, encoding: .utf8)
        let group = try #require(pid_t(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        once.signal(SIGTERM)
        #expect(await once.waitForExit(timeout: 20) == 143, "\(once.log)")
        #expect(once.process.terminationReason == .exit, "it exited rather than died of the signal")
        #expect(once.log.contains("stopped by signal 15 while waiting for on-change programs"), "\(once.log)")
        // The group's members are killed, then reaped by init once rdnscheck is gone.
        let gone = Date().addingTimeInterval(10)
        while kill(-group, 0) == 0 && Date() < gone { try await Task.sleep(for: .milliseconds(20)) }
        #expect(kill(-group, 0) == -1 && errno == ESRCH, "the program's process group \(group) is gone")
        let state = try String(contentsOfFile: directory + "/state.json", encoding: .utf8)
        #expect(state.contains("\"undelivered\": {\n \"192.0.2.1\": "), "\(state)")

        #expect(FileManager.default.createFile(atPath: quick, contents: nil))
        let next = try await rdnscheck(["--once", "-c", config])
        #expect(next.exitStatus == 0)
        #expect(!next.stderrText.contains("ptr_names"), "no new drift: \(next.stderrText)")
        #expect(((try? String(contentsOfFile: delivered, encoding: .utf8)) ?? "").lines == ["192.0.2.1"])
        #expect(!(try String(contentsOfFile: directory + "/state.json", encoding: .utf8)).contains("undelivered"))
    }

    @Test("started with SIGCHLD ignored, --once still learns how its on-change program exited")
    func sigchldIgnoredByTheParent() async throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let (_, hook, config) = try setUp(server)
        try writeShellScript("exit 3\n", to: hook)
        point(server, to: "a")
        #expect(try await rdnscheck(["--once", "-c", config]).exitStatus == 0)
        point(server, to: "b")
        // A shell cannot be trusted to pass SIGCHLD ignored on; Python can.
        let ignoring = "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); "
            + "os.execv(sys.argv[1], sys.argv[1:])"
        let arguments = ["-c", ignoring, ProcessRunner.builtProduct("rdnscheck"), "--once", "-c", config]
        let result = try await offThePool {
            try ProcessRunner.run("/usr/bin/python3", arguments: arguments, timeout: 60)
        }
        #expect(result.exitStatus == 0)
        #expect(result.stderrText.contains("on-change \(hook) for 192.0.2.1 exited with status 3"),
                "a program whose waitpid failed counted as delivered with status 0: \(result.stderrText)")
    }

    @Test("a state file that is a symbolic link is a configuration error naming the real path", arguments: [
        (["--check-config"], Int32(6)), (["--once"], Int32(3)),
    ])
    func symlinkedState(entry: [String], exitStatus: Int32) async throws {
        let directory = try stateDirectory()
        let (target, link) = (directory + "/real-state.json", directory + "/state.json")
        let baseline = "{\"version\": 1, \"addresses\": {}}\n"
        try baseline.write(toFile: target, atomically: true, encoding: .utf8)
        #expect(symlink(target, link) == 0)
        let config = try temporaryFile("state \(link)\ncheck 192.0.2.1\n")
        let result = try await rdnscheck(entry + ["-c", config, "--nameserver", "127.0.0.1:9", "--timeout", "1s"])
        #expect(result.exitStatus == exitStatus)
        #expect(result.stderrText.contains("state \(link) is a symbolic link to \(target); it must be a regular file "
                                           + "or absent: give the real path, \(target)"), "\(result.stderrText)")
        var status = stat()
        #expect(lstat(link, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK, "the link is left alone")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == baseline)
    }

    @Test("a textfile that is a symbolic link is still accepted: it holds metrics only")
    func symlinkedTextfileIsAccepted() async throws {
        let directory = try stateDirectory()
        #expect(symlink(directory + "/metrics.prom", directory + "/link.prom") == 0)
        let config = try temporaryFile("textfile \(directory)/link.prom\ncheck 192.0.2.1\n")
        let result = try await rdnscheck(["--check-config", "-c", config])
        #expect(result.exitStatus == 0, "\(result.stderrText)")
    }
}
