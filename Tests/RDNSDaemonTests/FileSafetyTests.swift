import RDNSPOSIX
import Foundation
import Glibc
import RDNSCore
import Synchronization
import Testing
import TestSupport

@testable import RDNSDaemon
@testable import RDNSRun

private let devicesNeedRoot: Comment = "mknod of a device and chown to another user need root"

/// A fresh directory with `mode` (set after creation, so the umask does not change it).
private func directory(mode: mode_t = 0o755) throws -> String {
    let path = NSTemporaryDirectory() + "rdnscheck-files-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    chmod(path, mode)
    return path
}

private func listing(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

@Suite("AtomicFile never replaces what is not a file")
struct AtomicFileNodeTests {
    @Test("a device, FIFO, socket or directory at the target is refused by name and left exactly as it was",
          .enabled(if: FileNode.canMakeDevices, devicesNeedRoot), arguments: FileNode.allCases)
    func nodeIsRefused(node: FileNode) throws {
        let folder = try directory()
        let path = folder + "/rdnscheck.prom"
        try node.make(at: path)
        let before = try #require(NodeIdentity(path))
        #expect(AtomicFile.nodeInTheWay(path) == node.kind)
        #expect {
            try AtomicFile.write("metrics\n", to: path)
        } throws: { error in
            "\(error)" == "\(path) is \(node.kind), not a regular file, and is never replaced"
        }
        #expect(NodeIdentity(path) == before, "the same node, same type and device number")
        #expect(listing(folder) == ["rdnscheck.prom"], "no temporary file left behind")
    }

    @Test("a regular file, a symbolic link (even to a device) and nothing are not in the way")
    func replaceableTargets() throws {
        let folder = try directory()
        #expect(AtomicFile.nodeInTheWay(folder + "/absent") == nil)
        try AtomicFile.write("x", to: folder + "/regular")
        #expect(AtomicFile.nodeInTheWay(folder + "/regular") == nil)
        #expect(symlink("/dev/null", folder + "/link") == 0)
        #expect(AtomicFile.nodeInTheWay(folder + "/link") == nil)
        #expect(try AtomicFile.write("new", to: folder + "/link") == "a symbolic link to /dev/null")
        #expect(try AtomicFile.read(folder + "/link") == Array("new".utf8))
    }

    @Test("a file is trusted when root or the reader owns it, or when no one else can write its directory",
          arguments: [
              (owner: uid_t(0), directoryMode: mode_t(0o1777), trusted: true),
              (1000, 0o1777, true),
              (4242, 0o755, true),
              (4242, 0o1777, false),
              (4242, 0o777, false),
              (4242, 0o775, false),
              (4242, 0o757, false),
          ])
    func trust(owner: uid_t, directoryMode: mode_t, trusted: Bool) {
        #expect(AtomicFile.trusts(owner: owner, reader: 1000, directoryMode: S_IFDIR | directoryMode) == trusted)
    }

    @Test("reading another user's file in a directory others can write is refused, naming the owner and the mode",
          .enabled(if: FileNode.canMakeDevices, devicesNeedRoot), arguments: [mode_t(0o1777), 0o777, 0o770])
    func readRefusesPlantedFile(directoryMode: mode_t) throws {
        let folder = try directory(mode: directoryMode)
        let path = folder + "/state.json"
        try AtomicFile.write("planted", to: path)
        #expect(chown(path, 4242, 4242) == 0)
        #expect {
            _ = try AtomicFile.read(path)
        } throws: { error in
            "\(error)" == "\(path) is owned by uid 4242, not by root or this user (uid 0), in \(folder), which "
                + "others can write (mode \(String(directoryMode, radix: 8))): not trusted"
        }
    }

    @Test("root's own file in a shared directory, and another user's in a private one, are read",
          .enabled(if: FileNode.canMakeDevices, devicesNeedRoot))
    func readTrustsOwnAndPrivateFiles() throws {
        let shared = try directory(mode: 0o1777)
        try AtomicFile.write("root's", to: shared + "/state.json")
        #expect(try AtomicFile.read(shared + "/state.json") == Array("root's".utf8))
        let privateFolder = try directory(mode: 0o755)
        try AtomicFile.write("another user's", to: privateFolder + "/state.json")
        #expect(chown(privateFolder + "/state.json", 4242, 4242) == 0)
        #expect(try AtomicFile.read(privateFolder + "/state.json") == Array("another user's".utf8))
    }
}

@Suite("RunRecorder and the files it must not trust or clobber")
struct RunRecorderFileTests {
    private let address = IPAddress("192.0.2.10")!

    /// The lines a logger wrote, journal prefixes included.
    private final class Lines: Sendable {
        private let stored = Locked<[String]>([])
        func append(_ line: String) { stored.withLock { $0.append(line) } }
        var all: [String] { stored.withLock { $0 } }
    }

    private func recorder(state: String?, textfile: String?, daemon: Bool = true) -> (RunRecorder, Lines) {
        let lines = Lines()
        var configuration = Configuration()
        configuration.statePath = state
        configuration.textfilePath = textfile
        configuration.targets = CheckTargets(CheckTarget(address))
        configuration.intervalSeconds = 120
        let logger = Logger(journal: true, write: { lines.append($0) })
        return (RunRecorder(configuration: configuration, logger: logger, keepsStateInMemory: daemon), lines)
    }

    /// A state file with the address WARNING after two temporary failures.
    private func plantState(at path: String) throws {
        try AtomicFile.write("""
            {"version": 1, "addresses": {
             "192.0.2.10": {"status": "warning", "ptr_names": ["planted.example.test"], "forward": {}, \
            "temporary_failures": 2, "since": 1795428000, "checked_at": 1795428000}
            }}

            """, to: path, mode: 0o600)
    }

    @Test("nodes that appear after start: each write is refused and logged at error, the nodes are untouched",
          .enabled(if: FileNode.canMakeDevices, devicesNeedRoot))
    func nodesAppearingLater() throws {
        let folder = try directory()
        let state = folder + "/state.json"
        let textfile = folder + "/rdnscheck.prom"
        let (recorder, lines) = recorder(state: state, textfile: textfile)
        #expect(!recorder.record([], startedAt: 0, durationSeconds: 0, nextRunInSeconds: nil).writeFailed)
        unlink(state)
        unlink(textfile)
        try FileNode.fifo.make(at: state)
        try FileNode.characterDevice.make(at: textfile)
        let nodes = [NodeIdentity(state), NodeIdentity(textfile)]

        for run in 1...2 {
            let recorded = recorder.record([], startedAt: 0, durationSeconds: 0, nextRunInSeconds: nil)
            #expect(recorded.writeFailed, "--once prints the refusal even with --quiet when this is set")
            #expect(recorded.statusLine.contains("cannot write the state file and metrics textfile"))
            let logged = lines.all
            #expect(logged.count { $0.hasPrefix("<3>cannot write the state file \(state): \(state) is a FIFO, not a "
                                                + "regular file, and is never replaced; keeping the state in memory")
            } == run, "\(logged)")
            #expect(logged.count { $0.hasPrefix("<3>cannot write the metrics textfile \(textfile): \(textfile) is a "
                                                + "character device, not a regular file, and is never replaced")
            } == run, "\(logged)")
        }
        #expect([NodeIdentity(state), NodeIdentity(textfile)] == nodes)
        #expect(listing(folder) == ["rdnscheck.prom", "state.json"])
    }

    @Test("a state file planted by another user in a world-writable directory is logged as not trusted, not read",
          .enabled(if: FileNode.canMakeDevices, devicesNeedRoot))
    func plantedStateIsNotRead() throws {
        let folder = try directory(mode: 0o1777)
        let state = folder + "/state.json"
        try plantState(at: state)
        #expect(chown(state, 4242, 4242) == 0)
        let (recorder, lines) = recorder(state: state, textfile: nil)
        #expect(recorder.temporaryFailureCounts().isEmpty, "no count from the planted file")
        #expect(lines.all == ["<4>state file \(state) is unusable and will be replaced: \(state) is owned "
                                          + "by uid 4242, not by root or this user (uid 0), in \(folder), which "
                                          + "others can write (mode 1777): not trusted\n"])
        // Root may replace another user's file even in a sticky directory: the next state is rdnscheck's own.
        #expect(!recorder.record([], startedAt: 0, durationSeconds: 0, nextRunInSeconds: nil).writeFailed)
        var status = stat()
        #expect(lstat(state, &status) == 0 && status.st_uid == 0)
    }

    @Test("the daemon's textfile carries its interval; --once's, whose period is cron's or a timer's, does not",
          arguments: [(true, true), (false, false)])
    func intervalInTextfile(daemon: Bool, exported: Bool) throws {
        let textfile = try directory() + "/rdnscheck.prom"
        let (recorder, _) = recorder(state: nil, textfile: textfile, daemon: daemon)
        #expect(!recorder.record([], startedAt: 0, durationSeconds: 0, nextRunInSeconds: nil).writeFailed)
        let text = String(decoding: try #require(try AtomicFile.read(textfile)), as: UTF8.self)
        #expect(text.contains("\nrdnscheck_interval_seconds 120\n") == exported)
    }

    @Test("root's own state file in a world-writable directory is read")
    func ownStateIsRead() throws {
        let state = try directory(mode: 0o1777) + "/state.json"
        try plantState(at: state)
        let (recorder, lines) = recorder(state: state, textfile: nil)
        #expect(recorder.temporaryFailureCounts() == [address: 2])
        #expect(lines.all.isEmpty)
    }
}
