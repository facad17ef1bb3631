import Foundation
import Glibc
import Testing
import TestSupport

private let address = "192.0.2.10"
private let reverseName = FaultServer.reverseName(ipv4: address)
private let tmpfsNeeded: Comment = "a full disk and a read-only file system need a tmpfs, and mounting one needs root"

/// The names in a directory, sorted, hidden (temporary) files included.
private func listing(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

private func contents(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}

/// What keeps the state file and the metrics textfile from being written.
enum WriteFault: String, CustomStringConvertible, Sendable {
    case diskFull, readOnly, directory

    var description: String { rawValue }

    /// The end of the log line.
    var reason: String {
        switch self {
        case .diskFull: "No space left on device"
        case .readOnly: "Read-only file system"
        case .directory: "is a directory, not a regular file, and is never replaced"
        }
    }
}

/// A directory holding `state.json` and `rdnscheck.prom`, where a `WriteFault` can be made and undone: a tiny
/// tmpfs for a full disk and a read-only file system, a plain directory for a directory in place of the files.
private final class FaultyDirectory {
    let fault: WriteFault
    let path: String
    private let tmpfs: TinyTmpfs?
    var state: String { path + "/state.json" }
    var textfile: String { path + "/rdnscheck.prom" }

    init(_ fault: WriteFault) throws {
        self.fault = fault
        tmpfs = fault == .directory ? nil : try TinyTmpfs()
        path = try tmpfs?.path ?? stateDirectory()
    }

    deinit {
        tmpfs?.unmount()
    }

    func unmount() {
        tmpfs?.unmount()
    }

    func breakIt() throws {
        switch fault {
        case .diskFull:
            try tmpfs!.fill()
        case .readOnly:
            try tmpfs!.setReadOnly(true)
        case .directory:
            for file in [state, textfile] {
                unlink(file)
                #expect(mkdir(file, 0o755) == 0)
            }
        }
    }

    func repair() throws {
        switch fault {
        case .diskFull: unlink(path + "/filler")
        case .readOnly: try tmpfs!.setReadOnly(false)
        case .directory: for file in [state, textfile] { rmdir(file) }
        }
    }
}

/// The state file, the metrics textfile and the configuration under faults: each failure is logged with the file
/// and the reason every time, the checks go on, no state is lost, and nothing is written outside the state
/// directory.
// One test at a time: each starts daemons and writes files, and all at once they starved the timing-sensitive
// resolver tests running beside them on a 2-core machine.
@Suite("rdnscheck state and configuration under faults", .serialized)
struct StateFaultTests {
    @Test("daemon: disk full or read-only: logged each run, files untouched, the state in memory written later",
          .enabled(if: TinyTmpfs.available, tmpfsNeeded),
          arguments: [WriteFault.diskFull, .readOnly])
    func daemonOnTmpfs(fault: WriteFault) async throws {
        try await daemonKeepsState(through: fault)
    }

    @Test("daemon: directories in place of the state file and the textfile: logged each run, then written whole")
    func daemonDirectoryInTheWay() async throws {
        try await daemonKeepsState(through: .directory)
    }

    private func daemonKeepsState(through fault: WriteFault) async throws {
        let files = try FaultyDirectory(fault)
        defer { files.unmount() }
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        let listener = try NotifyListener(abstract: true)
        let config = try daemonConfig(port: dns.port, addresses: [address],
                                      extra: "state \(files.state)\ntextfile \(files.textfile)\nfail-after 3")
        let daemon = try DaemonProcess(["-c", config], environment: ["NOTIFY_SOCKET": listener.socketName])
        #expect(await daemon.waitForRuns(1), "\(daemon.log)")
        let goodState = try #require(contents(files.state))
        let goodMetrics = try #require(contents(files.textfile))

        try files.breakIt()
        let broken = listing(files.path)
        // SERVFAIL from now on: temporary failures, whose count only the state carries from run to run.
        dns.setBehaviour(.rcode(2), for: reverseName)
        for run in 2...3 {
            daemon.signal(SIGUSR1)
            #expect(await daemon.waitForRuns(run), "\(daemon.log)")
        }
        let log = daemon.log
        let stateErrors = log.lines.filter { $0.contains("cannot write the state file \(files.state): ") }
        #expect(stateErrors.count == 2, "one line per run: \(log)")
        for line in stateErrors {
            #expect(line.contains("\(fault.reason); keeping the state in memory until a write succeeds"), "\(line)")
        }
        let metricsErrors = log.lines.filter { $0.contains("cannot write the metrics textfile \(files.textfile): ") }
        #expect(metricsErrors.count == 2, "\(log)")
        #expect(metricsErrors.allSatisfy { $0.contains(fault.reason) }, "\(metricsErrors)")
        #expect(log.contains("\(address): status ok -> warning"), "drift is still logged: \(log)")
        let unwritten = "cannot write the state file and metrics textfile; next run"
        #expect(listener.messages.contains { $0.contains(unwritten) },
                "\(listener.messages)")
        #expect(listing(files.path) == broken, "no temporary file left behind")
        if fault != .directory {
            #expect(contents(files.state) == goodState, "the good state file is untouched")
            #expect(contents(files.textfile) == goodMetrics)
        }

        try files.repair()
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForRuns(4), "\(daemon.log)")
        let stored = try String(contentsOfFile: files.state, encoding: .utf8)
        #expect(stored.contains("\"temporary_failures\": 3"), "the failures counted in memory: \(stored)")
        #expect(stored.contains("\"status\": \"critical\""), "the third failure in a row with fail-after 3: \(stored)")
        #expect(stored.contains("\"ptr_names\": [\"mail.example.test\"]"), "names kept through failures: \(stored)")
        #expect(daemon.log.contains("state file \(files.state) written again after 2 failed writes"), "\(daemon.log)")
        #expect(daemon.log.contains("metrics textfile \(files.textfile) written again after 2 failed writes"))
        let metrics = try String(contentsOfFile: files.textfile, encoding: .utf8)
        #expect(metrics.contains("rdnscheck_temporary_failures{address=\"\(address)\"} 3\n"), "\(metrics)")
        #expect(listing(files.path).filter { $0.hasPrefix(".") }.isEmpty, "\(listing(files.path))")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test("--once: disk full or read-only: printed even with --quiet, files untouched, the exit code is the checks'",
          .enabled(if: TinyTmpfs.available, tmpfsNeeded),
          arguments: [WriteFault.diskFull, .readOnly])
    func onceOnTmpfs(fault: WriteFault) async throws {
        let files = try FaultyDirectory(fault)
        defer { files.unmount() }
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        let arguments = ["--quiet", "--state", files.state, "--textfile", files.textfile, address]
        let first = try await rdnscheckOnce(arguments, port: dns.port)
        #expect(first.exitStatus == 0 && first.stderrText.isEmpty, "\(first.stderrText)")
        let goodState = try #require(contents(files.state))

        try files.breakIt()
        let broken = listing(files.path)
        let quietOK = try await rdnscheckOnce(arguments, port: dns.port)
        #expect(quietOK.exitStatus == 0)
        #expect(quietOK.stderrText.contains("cannot write the state file \(files.state): "), "not silent under --quiet")
        #expect(quietOK.stderrText.contains(": \(fault.reason); this run's state is not saved"),
                "\(quietOK.stderrText)")
        #expect(quietOK.stderrText.contains("cannot write the metrics textfile \(files.textfile): "))

        dns.setBehaviour(.rcode(2), for: reverseName)
        let failing = try await rdnscheckOnce(arguments, port: dns.port)
        #expect(failing.exitStatus == 1, "a temporary failure is a WARNING: \(failing.stdoutText)")
        #expect(failing.stderrText.contains("\(address): status ok -> warning"), "\(failing.stderrText)")
        #expect(failing.stderrText.lines.count { $0.contains("cannot write the state file") } == 1)
        #expect(contents(files.state) == goodState, "the good state file is untouched")
        #expect(listing(files.path) == broken, "no temporary file left behind")

        try files.repair()
        let repaired = try await rdnscheckOnce(arguments, port: dns.port)
        #expect(repaired.exitStatus == 1)
        #expect(!repaired.stderrText.contains("cannot write"), "\(repaired.stderrText)")
        let stored = try String(contentsOfFile: files.state, encoding: .utf8)
        #expect(stored.contains("\"status\": \"warning\"") && stored.contains("\"temporary_failures\": 1"), "\(stored)")
        #expect(stored.contains("\"ptr_names\": [\"mail.example.test\"]"), "\(stored)")
        #expect(listing(files.path).filter { $0.hasPrefix(".") }.isEmpty)
    }

    @Test("symlinks in place of the state file and textfile: targets not read or written, links replaced, logged")
    func symlinksAreNotFollowed() async throws {
        let directory = try stateDirectory()
        let outside = try stateDirectory()
        let state = directory + "/state.json"
        let textfile = directory + "/rdnscheck.prom"
        let precious = [outside + "/precious.json": "{\"version\": 1, \"addresses\": {}}\n",
                        outside + "/precious.prom": "# someone else's metrics\n"]
        for (path, text) in precious { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        func targetsUntouched() {
            #expect(listing(outside) == ["precious.json", "precious.prom"], "nothing written beside the targets")
            for (path, text) in precious { #expect(contents(path) == Data(text.utf8), "\(path) changed") }
        }
        func link() {
            for (file, target) in [(state, "precious.json"), (textfile, "precious.prom")] {
                unlink(file)
                #expect(symlink(outside + "/" + target, file) == 0)
            }
        }
        func areRegularFiles() -> Bool {
            [state, textfile].allSatisfy { file in
                var status = stat()
                return lstat(file, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
            }
        }
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }

        // The daemon: the links appear between runs.
        let config = try daemonConfig(port: dns.port, addresses: [address],
                                      extra: "state \(state)\ntextfile \(textfile)")
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForRuns(1), "\(daemon.log)")
        link()
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForRuns(2), "\(daemon.log)")
        #expect(daemon.log.contains("state file \(state) was a symbolic link to \(outside)/precious.json; replaced it "
                                    + "with a regular file (the link's target is left alone)"), "\(daemon.log)")
        #expect(daemon.log.contains("metrics textfile \(textfile) was a symbolic link to \(outside)/precious.prom"))
        targetsUntouched()
        #expect(areRegularFiles())
        #expect(try String(contentsOfFile: state, encoding: .utf8).contains("\"\(address)\": "))
        #expect(listing(directory) == ["rdnscheck.prom", "state.json"])
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)

        // --once: a state link there at start is a configuration error (its target's baseline is not lost).
        link()
        let once = try await rdnscheckOnce(["--state", state, "--textfile", textfile, address], port: dns.port)
        #expect(once.exitStatus == 3)
        #expect(once.stderrText.contains("state \(state) is a symbolic link to \(outside)/precious.json; it must be a "
                                         + "regular file or absent"), "\(once.stderrText)")
        targetsUntouched()
        #expect(listing(directory) == ["rdnscheck.prom", "state.json"])
    }

    @Test("SIGHUP moving the state file to a new path keeps the states of the last runs and writes them there")
    func stateMovedOnReload() async throws {
        let directory = try stateDirectory()
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        let config = try daemonConfig(port: dns.port, addresses: [address],
                                      extra: "state \(directory)/old.json\nfail-after 3")
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForRuns(1), "\(daemon.log)")
        dns.setBehaviour(.rcode(2), for: reverseName)
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForRuns(2), "\(daemon.log)")
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "old.json", with: "new.json")
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(await daemon.waitForLog("configuration reloaded"), "\(daemon.log)")
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForRuns(3), "\(daemon.log)")
        let stored = try String(contentsOfFile: directory + "/new.json", encoding: .utf8)
        #expect(stored.contains("\"temporary_failures\": 2"), "the count goes on: \(stored)")
        #expect(stored.contains("\"ptr_names\": [\"mail.example.test\"]"), "\(stored)")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test("--once and --check-config with a FIFO as the configuration or the state file answer at once (they hung)",
          .timeLimit(.minutes(1)))
    func fifos() async throws {
        let directory = try stateDirectory()
        let config = directory + "/rdnscheck.conf"
        #expect(mkfifo(config, 0o644) == 0)
        let checked = try await rdnscheck(["--check-config", "-c", config])
        #expect(checked.exitStatus == 6 && !checked.timedOut)
        #expect(checked.stderrText.contains("\(config): cannot read \(config): it is a FIFO, not a regular file"),
                "\(checked.stderrText)")
        let once = try await rdnscheck(["--once", "-c", config])
        #expect(once.exitStatus == 3 && !once.timedOut, "UNKNOWN: the configuration cannot be read")
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForExit(timeout: 10) == 6, "an unreadable configuration at start: \(daemon.log)")
        #expect(daemon.log.contains("\(config): cannot read \(config): it is a FIFO, not a regular file"))

        // A FIFO is never replaced by a state file either (FileSafetyTests has every kind of node).
        let state = directory + "/state.json"
        #expect(mkfifo(state, 0o600) == 0)
        let result = try await rdnscheck(["--once", "--state", state, address])
        #expect(result.exitStatus == 3 && !result.timedOut)
        #expect(result.stderrText.contains("command line: state \(state) is a FIFO; it must be a regular file"),
                "\(result.stderrText)")
    }

    /// What happens to the configuration file before a SIGHUP.
    enum ConfigFault: String, CaseIterable, CustomStringConvertible, Sendable {
        case directory, removed, fifo, tooLarge

        var description: String { rawValue }

        func apply(to path: String) throws {
            switch self {
            case .directory:
                unlink(path)
                #expect(mkdir(path, 0o755) == 0)
            case .removed:
                unlink(path)
            case .fifo:
                unlink(path)
                #expect(mkfifo(path, 0o644) == 0)
            case .tooLarge:
                #expect(truncate(path, 17 << 20) == 0)
            }
        }

        /// What the log line says after `FILE: cannot read FILE: `.
        var reason: String {
            switch self {
            case .directory: "it is a directory, not a regular file"
            case .removed: "No such file or directory"
            case .fifo: "it is a FIFO, not a regular file"
            case .tooLarge: "it is \(17 << 20) bytes, larger than the limit of 16 MiB"
            }
        }
    }

    @Test("SIGHUP, configuration unreadable: logged each time, old one kept, checks go on, SIGTERM still works",
          arguments: ConfigFault.allCases)
    func unreadableConfigurationOnReload(fault: ConfigFault) async throws {
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        let config = try daemonConfig(port: dns.port, addresses: [address])
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForRuns(1), "\(daemon.log)")
        try fault.apply(to: config)
        for attempt in 1...2 {
            daemon.signal(SIGHUP)
            #expect(await daemon.waitForLog("SIGHUP: the new configuration has 1 error; keeping the old one",
                                            count: attempt, timeout: 5), "\(daemon.log)")
        }
        #expect(daemon.logLines(containing: "\(config): cannot read \(config): \(fault.reason)") == 2, "\(daemon.log)")
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForRuns(2), "\(daemon.log)")
        #expect(daemon.logLines(containing: "1 address: 1 ok") == 2, "the old configuration still checks")
        let stopping = Date()
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 5) == 0)
        #expect(Date().timeIntervalSince(stopping) < 2)
        if fault == .directory { rmdir(config) } else { unlink(config) }
    }

    @Test("SIGHUP while the configuration grows: the reload ends; over 16 MiB it is refused and the old one kept")
    func growingConfigurationOnReload() async throws {
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        let config = try daemonConfig(port: dns.port, addresses: [address])
        defer { unlink(config) }
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForRuns(1), "\(daemon.log)")

        // Comment lines appended 256 KiB at a time up to 24 MiB, by another thread, while the daemon reloads.
        let finalSize = 24 << 20
        let writer = Task {
            try await offThePool {
                let handle = try #require(FileHandle(forWritingAtPath: config))
                defer { try? handle.close() }
                try handle.seekToEnd()
                let chunk = Data(String(repeating: "# padding, growing while rdnscheck reads it\n", count: 5_958).utf8)
                while try handle.offset() < finalSize {
                    try handle.write(contentsOf: chunk.prefix(finalSize - Int(try handle.offset())))
                }
            }
        }
        while (try? FileManager.default.attributesOfItem(atPath: config)[.size] as? Int) ?? 0 < 1 << 20 {
            try await Task.sleep(for: .milliseconds(1))
        }
        daemon.signal(SIGHUP)
        let outcomes = ["SIGHUP: configuration reloaded",
                        "SIGHUP: the new configuration has 1 error; keeping the old one"]
        let deadline = Date().addingTimeInterval(10)
        while !outcomes.contains(where: daemon.log.contains) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(outcomes.contains(where: daemon.log.contains), "the reload during growth ended: \(daemon.log)")
        try await writer.value

        daemon.signal(SIGHUP)
        #expect(await daemon.waitForLog("\(config): cannot read \(config): it is \(finalSize) bytes, larger than the "
                                        + "limit of 16 MiB", timeout: 5), "\(daemon.log)")
        #expect(await daemon.waitForLog("keeping the old one"))
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForRuns(2), "\(daemon.log)")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 5) == 0)
    }
}
