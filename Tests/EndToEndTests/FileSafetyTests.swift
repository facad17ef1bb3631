import Foundation
import Glibc
import Testing
import TestSupport

private let address = "192.0.2.10"
private let reverseName = FaultServer.reverseName(ipv4: address)
private let needsRoot: Comment = "mknod of a device and chown to another user need root"

/// The state file and the textfile never replace a device, FIFO, socket or directory (as root, `--textfile
/// /dev/null` turned the device into a regular file), and a state file another user could have planted is not read.
/// Nodes are made in temporary directories, never in the host's /dev.
// One test at a time, like the other suites that start daemons: the resolver tests beside them are timing-sensitive.
@Suite("rdnscheck never clobbers what is not its own", .serialized)
struct FileSafetyTests {
    @Test("a node at the state or textfile path: --check-config exits 6, --once 3 and the daemon 6, each naming it",
          .enabled(if: FileNode.canMakeDevices, needsRoot), arguments: FileNode.allCases)
    func nodeIsAConfigurationError(node: FileNode) async throws {
        let directory = try stateDirectory()
        let path = directory + "/node"
        try node.make(at: path)
        let identity = NodeIdentity(path)
        let config = try temporaryFile("check \(address)\nstate \(path)\n")
        let problem = "state \(path) is \(node.kind); it must be a regular file or absent"

        let checked = try await rdnscheck(["--check-config", "-c", config])
        #expect(checked.exitStatus == 6)
        #expect(checked.stderrText == "\(config): \(problem)\n")

        let once = try await rdnscheck(["--once", "--quiet", "--textfile", path, address])
        #expect(once.exitStatus == 3)
        #expect(once.stderrText.contains("command line: textfile \(path) is \(node.kind); it must be a regular file"),
                "\(once.stderrText)")
        #expect(once.stderrText.contains("rdnscheck: UNKNOWN: the configuration has 1 error"))

        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForExit() == 6, "\(daemon.log)")
        #expect(daemon.log.contains("\(config): \(problem)"), "\(daemon.log)")
        #expect(NodeIdentity(path) == identity, "the node is untouched")
    }

    @Test("SIGHUP to a configuration with a device as the textfile keeps the old one, which goes on writing",
          .enabled(if: FileNode.canMakeDevices, needsRoot))
    func reloadKeepsTheOldConfiguration() async throws {
        let directory = try stateDirectory()
        let device = directory + "/null"
        try FileNode.characterDevice.make(at: device)
        let identity = NodeIdentity(device)
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        let config = try daemonConfig(port: dns.port, addresses: [address], extra: "textfile \(directory)/metrics.prom")
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForRuns(1), "\(daemon.log)")
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "metrics.prom", with: "null")
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(await daemon.waitForLog("SIGHUP: the new configuration has 1 error; keeping the old one"),
                "\(daemon.log)")
        #expect(daemon.log.contains("\(config): textfile \(device) is a character device; it must be a regular file"))
        unlink(directory + "/metrics.prom")
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForRuns(2), "\(daemon.log)")
        #expect(FileManager.default.fileExists(atPath: directory + "/metrics.prom"), "the old textfile is written")
        #expect(NodeIdentity(device) == identity)
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test("--once --quiet: nodes that appear during the run are refused, said on stderr, and left untouched",
          .enabled(if: FileNode.canMakeDevices, needsRoot), .timeLimit(.minutes(1)))
    func nodesAppearingDuringOnce() async throws {
        let directory = try stateDirectory()
        let state = directory + "/state.json"
        let textfile = directory + "/rdnscheck.prom"
        // The answer waits, so that the nodes appear after the configuration was checked and the state read.
        let dns = try FaultServer(rules: [
            reverseName: .delayed(seconds: 3, .answer([.ptr(FaultName("mail.example.test"))])),
            "mail.example.test": .answer([.a(address)]),
        ])
        defer { dns.stop() }
        let run = Task {
            try await rdnscheck(["--once", "--quiet", "--nameserver", "127.0.0.1:\(dns.port)", "--timeout", "10s",
                                 "--state", state, "--textfile", textfile, address])
        }
        let deadline = Date().addingTimeInterval(20)
        while dns.queryCount(for: reverseName) == 0 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try FileNode.fifo.make(at: state)
        try FileNode.characterDevice.make(at: textfile)
        let nodes = [NodeIdentity(state), NodeIdentity(textfile)]
        let result = try await run.value

        #expect(result.exitStatus == 0, "the checks' status: \(result.stdoutText)")
        #expect(result.stderrText.contains("cannot write the state file \(state): \(state) is a FIFO, not a regular "
                                           + "file, and is never replaced; this run's state is not saved"),
                "not hidden by --quiet: \(result.stderrText)")
        #expect(result.stderrText.contains("cannot write the metrics textfile \(textfile): \(textfile) is a "
                                           + "character device, not a regular file, and is never replaced"))
        #expect(result.stdoutText.contains(address), "the report is printed too")
        #expect([NodeIdentity(state), NodeIdentity(textfile)] == nodes)
    }

    @Test("--once: a state file planted by another user in a world-writable directory is not read, then replaced",
          .enabled(if: FileNode.canMakeDevices, needsRoot))
    func plantedStateFile() async throws {
        let directory = try stateDirectory()
        chmod(directory, 0o1777)
        let state = directory + "/state.json"
        // Two failures already, and names that would make this run a drift, if it were believed.
        try """
            {"version": 1, "addresses": {"\(address)": {"status": "warning", "ptr_names": ["planted.example.test"], \
            "forward": {}, "temporary_failures": 2, "since": 1795428000, "checked_at": 1795428000}}}

            """.write(toFile: state, atomically: false, encoding: .utf8)
        #expect(chown(state, 4242, 4242) == 0)
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        dns.setBehaviour(.rcode(2), for: reverseName)

        let result = try await rdnscheckOnce(["--state", state, address], port: dns.port)
        #expect(result.exitStatus == 1, "the first SERVFAIL is a WARNING, not the planted third: \(result.stdoutText)")
        #expect(result.stderrText.contains("state file \(state) is unusable and will be replaced: \(state) is owned "
                                           + "by uid 4242, not by root or this user (uid 0), in \(directory), which "
                                           + "others can write (mode 1777): not trusted"), "\(result.stderrText)")
        #expect(!result.stderrText.contains("planted.example.test"), "no drift from the planted names")
        var status = stat()
        #expect(lstat(state, &status) == 0 && status.st_uid == 0, "root's own state file now")
        #expect(try String(contentsOfFile: state, encoding: .utf8).contains("\"temporary_failures\": 1"))
    }

    @Test("--once: a failure count planted beside an OK status does not make the first SERVFAIL CRITICAL")
    func plantedCountBesideOK() async throws {
        let state = try stateDirectory() + "/state.json"
        try """
            {"version": 1, "addresses": {"\(address)": {"status": "ok", "ptr_names": ["mail.example.test"], \
            "forward": {"mail.example.test": ["\(address)"]}, "temporary_failures": 3999999999, \
            "since": 1795428000, "checked_at": 1795428000}}}

            """.write(toFile: state, atomically: false, encoding: .utf8)
        let dns = try server(ptr: "mail.example.test")
        defer { dns.stop() }
        dns.setBehaviour(.rcode(2), for: reverseName)

        let result = try await rdnscheckOnce(["--state", state, address], port: dns.port)
        #expect(result.exitStatus == 1, "WARNING, temporary 1 of 3: \(result.stdoutText)")
        #expect(result.stdoutText.contains("(temporary, 1 consecutive run of 3)"), "\(result.stdoutText)")
    }
}
