import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Log priorities, with sd-daemon's numbers (`<3>` ... `<7>`).
public enum LogPriority: Int32, Sendable, Comparable {
    case error = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7

    public static func < (lhs: LogPriority, rhs: LogPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One-line log messages on stderr. When stderr is the journal (`$JOURNAL_STREAM` names stderr's device and
/// inode), each line starts with the sd-daemon priority prefix so journald stores the priority; otherwise lines
/// are plain. Control characters never reach the log: a message is always exactly one line.
public struct Logger: Sendable {
    public let usesJournalPrefixes: Bool
    private let write: @Sendable (LogPriority, String) -> Void

    /// Logs to stderr, with prefixes when stderr is the journal.
    public init() {
        self.init(journal: Logger.stderrIsJournal(), write: { writeAll($0, to: STDERR_FILENO) })
    }

    /// A logger writing whole lines (with the newline) to `write`; for tests.
    public init(journal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.init(journal: journal, writeWithPriority: { _, line in write(line) })
    }

    /// A logger handing each whole line to `write` with its priority (for `--quiet`, which must know whether a
    /// line it holds back is a warning).
    public init(journal: Bool, writeWithPriority write: @escaping @Sendable (LogPriority, String) -> Void) {
        usesJournalPrefixes = journal
        self.write = write
    }

    public func log(_ priority: LogPriority, _ message: String) {
        let prefix = usesJournalPrefixes ? "<\(priority.rawValue)>" : ""
        write(priority, prefix + Escaping.oneLine(message) + "\n")
    }

    public func error(_ message: String) { log(.error, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func notice(_ message: String) { log(.notice, message) }
    public func info(_ message: String) { log(.info, message) }

    /// `$JOURNAL_STREAM` is `DEVICE:INODE` of the journal's stream; it is only ours if stderr is that stream
    /// (a child of a service may inherit the variable with stderr redirected elsewhere).
    public static func stderrIsJournal(
        _ environment: String? = environmentVariables()["JOURNAL_STREAM"]
    ) -> Bool {
        guard let environment else { return false }
        let parts = environment.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
