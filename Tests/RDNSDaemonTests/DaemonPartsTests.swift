import RDNSPOSIX
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

@testable import RDNSDaemon
@testable import RDNSRun

@Suite("Logger")
struct LoggerTests {
    private func capture(journal: Bool, _ body: (Logger) -> Void) -> [String] {
        let lines = Locked<[String]>([])
        body(Logger(journal: journal, write: { line in lines.withLock { $0.append(line) } }))
        return lines.withLock { $0 }
    }

    @Test("journal lines carry the sd-daemon priority prefix", arguments: [
        (LogPriority.error, "<3>"), (.warning, "<4>"), (.notice, "<5>"), (.info, "<6>"), (.debug, "<7>"),
    ])
    func journalPrefix(priority: LogPriority, prefix: String) {
        #expect(capture(journal: true) { $0.log(priority, "hello") } == ["\(prefix)hello\n"])
    }

    @Test("plain lines have no prefix")
    func plainLines() {
        #expect(capture(journal: false) { $0.warning("hello") } == ["hello\n"])
    }

    @Test("a message is always one line: control characters are escaped")
    func oneLine() {
        #expect(capture(journal: false) { $0.info("a\nb\u{1b}[2J\tc\u{7f}") } == ["a\\010b\\027[2J\\009c\\127\n"])
    }

    @Test("C1 controls and line separators are escaped too (found by fuzzing)")
    func c1Controls() {
        #expect(capture(journal: false) { $0.info("a\u{9b}31mb\u{85}c\u{2028}d") }
            == ["a\\194\\15531mb\\194\\133c\\226\\128\\168d\n"])
    }

    @Test("JOURNAL_STREAM counts only when it names stderr's device and inode", arguments: [
        nil, "", "garbage", "1:2:3", "0:0",
    ])
    func journalStreamMismatch(value: String?) {
        #expect(!Logger.stderrIsJournal(value))
    }
}

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test("a path socket keeps its bytes and a terminating NUL")
    func pathSocket() {
        #expect(SystemdNotifier.socketAddress("/run/systemd/notify") == Array("/run/systemd/notify".utf8) + [0])
    }

    @Test("an abstract socket starts with NUL and has no NUL at the end (the length ends it)")
    func abstractSocket() {
        #expect(SystemdNotifier.socketAddress("@sd-notify/1") == [0] + Array("sd-notify/1".utf8))
    }

    @Test("names that do not fit sun_path, empty names and relative paths are refused", arguments: [
        "relative/path", "@", "", "/" + String(repeating: "x", count: 108), "@" + String(repeating: "y", count: 108),
    ])
    func refused(value: String) {
        #expect(SystemdNotifier.socketAddress(value) == nil)
    }

    @Test("the longest abstract name that fits is accepted")
    func longestAbstract() {
        #expect(SystemdNotifier.socketAddress("@" + String(repeating: "y", count: 107))?.count == 108)
    }

    @Test("WATCHDOG_USEC applies only without WATCHDOG_PID or with ours", arguments: [
        (["WATCHDOG_USEC": "500000"], UInt64(500_000)),
        (["WATCHDOG_USEC": "500000", "WATCHDOG_PID": String(getpid())], UInt64(500_000)),
        (["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "1"], nil),
        (["WATCHDOG_USEC": "0"], nil),
        (["WATCHDOG_USEC": "soon"], nil),
    ] as [([String: String], UInt64?)])
    func watchdog(environment: [String: String], microseconds: UInt64?) {
        #expect(SystemdNotifier(environment: environment).watchdogMicroseconds == microseconds)
    }
}

@Suite("AtomicFile")
struct AtomicFileTests {
    private func directory() throws -> String {
        let path = NSTemporaryDirectory() + "rdnscheck-atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a write replaces the file whole and leaves no temporary file")
    func replaces() throws {
        let folder = try directory()
        let path = folder + "/state.json"
        try AtomicFile.write("old", to: path)
        try AtomicFile.write("new contents", to: path)
        #expect(try AtomicFile.read(path) == Array("new contents".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["state.json"])
    }

    @Test("the file gets its mode whatever the umask (the unit runs with UMask=0077)")
    func modeSurvivesUmask() throws {
        let path = try directory() + "/rdnscheck.prom"
        let previous = umask(0o077)
        defer { umask(previous) }
        try AtomicFile.write("metrics", to: path, mode: 0o644)
        var status = stat()
        stat(path, &status)
        #expect(status.st_mode & 0o777 == 0o644)
    }

    @Test("a symlink at the target is replaced, not followed, and the write says what it replaced")
    func symlinkIsReplaced() throws {
        let folder = try directory()
        let outside = try directory()
        let elsewhere = outside + "/elsewhere"
        try "keep".write(toFile: elsewhere, atomically: true, encoding: .utf8)
        symlink(elsewhere, folder + "/state.json")
        let replaced = try AtomicFile.write("new", to: folder + "/state.json")
        #expect(replaced == "a symbolic link to \(elsewhere)")
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8) == "keep")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["elsewhere"])
        #expect(try AtomicFile.read(folder + "/state.json") == Array("new".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["state.json"])
        #expect(try AtomicFile.write("newer", to: folder + "/state.json") == nil, "a regular file is not news")
    }

    @Test("a write removes temporary files of the same name left by dead writers, and nothing else")
    func staleTemporaryFiles() throws {
        let folder = try directory()
        let dead = folder + "/.state.json.tmp.\(Int32.max)"
        let alive = folder + "/.state.json.tmp.1"
        let others = [folder + "/.other.json.tmp.\(Int32.max)", folder + "/.state.json.tmp.+\(Int32.max)",
                      folder + "/.state.json.tmp.x"]
        for path in [dead, alive] + others {
            #expect(FileManager.default.createFile(atPath: path, contents: Data("partial".utf8)))
        }
        try AtomicFile.write("new", to: folder + "/state.json")
        #expect(access(dead, F_OK) != 0, "no process \(Int32.max): removed")
        #expect(access(alive, F_OK) == 0, "process 1 exists: its file is left alone")
        for path in others { #expect(access(path, F_OK) == 0, "\(path) is not ours") }
    }

    @Test("reading a symlink does not follow it: the error names the link and its target, not the contents")
    func readDoesNotFollowSymlink() throws {
        let folder = try directory()
        let elsewhere = try directory() + "/secret"
        try "{\"version\": 1, \"addresses\": {}}\n".write(toFile: elsewhere, atomically: true, encoding: .utf8)
        symlink(elsewhere, folder + "/state.json")
        #expect {
            _ = try AtomicFile.read(folder + "/state.json")
        } throws: { error in
            "\(error)" == "\(folder)/state.json is a symbolic link to \(elsewhere) (not followed)"
        }
    }

    @Test("a FIFO is refused at once, never waited on (a FIFO with no writer hung the read)",
          .timeLimit(.minutes(1)))
    func readRefusesFIFO() throws {
        let path = try directory() + "/state.json"
        #expect(mkfifo(path, 0o600) == 0)
        #expect {
            _ = try AtomicFile.read(path)
        } throws: { error in
            "\(error)" == "\(path) is a FIFO, not a regular file"
        }
    }

    @Test("a directory in the way: the write fails naming it, the directory is left alone, no temporary file stays")
    func directoryInTheWay() throws {
        let folder = try directory()
        let path = folder + "/state.json"
        #expect(mkdir(path, 0o755) == 0)
        #expect {
            try AtomicFile.write("new", to: path)
        } throws: { error in
            "\(error)" == "\(path) is a directory, not a regular file, and is never replaced"
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["state.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == [])
    }

    @Test("disk full: the write fails with ENOSPC, the old file is intact, no temporary file stays; then it works",
          .enabled(if: TinyTmpfs.available, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
    func diskFull() throws {
        let tmpfs = try TinyTmpfs()
        defer { tmpfs.unmount() }
        let path = tmpfs.path + "/state.json"
        try AtomicFile.write("old contents\n", to: path)
        let filler = try tmpfs.fill()
        #expect {
            try AtomicFile.write(String(repeating: "new contents\n", count: 1_000), to: path)
        } throws: { error in
            "\(error)".hasPrefix("cannot write the temporary file \(tmpfs.path)/.state.json.tmp.")
                && "\(error)".hasSuffix(": No space left on device")
        }
        #expect(try AtomicFile.read(path) == Array("old contents\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmpfs.path).sorted() == ["filler", "state.json"])
        unlink(filler)
        try AtomicFile.write("new contents\n", to: path)
        #expect(try AtomicFile.read(path) == Array("new contents\n".utf8))
    }

    @Test("read-only file system: the write fails with EROFS and the old file is intact",
          .enabled(if: TinyTmpfs.available, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
    func readOnly() throws {
        let tmpfs = try TinyTmpfs()
        defer { tmpfs.unmount() }
        let path = tmpfs.path + "/state.json"
        try AtomicFile.write("old contents\n", to: path)
        try tmpfs.setReadOnly(true)
        #expect {
            try AtomicFile.write("new contents\n", to: path)
        } throws: { error in
            "\(error)".hasPrefix("cannot create the temporary file \(tmpfs.path)/.state.json.tmp.")
                && "\(error)".hasSuffix(": Read-only file system")
        }
        #expect(try AtomicFile.read(path) == Array("old contents\n".utf8))
        try tmpfs.setReadOnly(false)
        try AtomicFile.write("new contents\n", to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmpfs.path) == ["state.json"])
    }

    @Test("a missing directory is an error naming the file")
    func missingDirectory() {
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write("x", to: "/nonexistent/dir/state.json") }
    }

    @Test("reading a missing file is nil; a directory is an error")
    func reading() throws {
        #expect(try AtomicFile.read("/nonexistent-rdnscheck-file") == nil)
        #expect(throws: AtomicFile.WriteError.self) { _ = try AtomicFile.read(try directory()) }
    }
}
