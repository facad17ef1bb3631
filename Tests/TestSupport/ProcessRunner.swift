import Foundation
import Glibc

/// The outcome of `ProcessRunner.run`.
public struct ProcessResult: Sendable {
    /// The exit code, or the signal number when `terminatedBySignal` (for example after a timeout).
    public var exitStatus: Int32
    /// The process died from a signal rather than exiting.
    public var terminatedBySignal: Bool
    /// The process ran past its timeout and was killed; `exitStatus` then describes the kill.
    public var timedOut: Bool
    /// Everything the process wrote to stdout.
    public var stdout: Data
    /// Everything the process wrote to stderr.
    public var stderr: Data

    /// stdout decoded as UTF-8 (invalid bytes become U+FFFD).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr decoded as UTF-8 (invalid bytes become U+FFFD).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs programs for end-to-end tests, capturing stdout and stderr separately.
public enum ProcessRunner {
    /// Runs `executable` and waits for it, at most `timeout` seconds; then it gets SIGTERM and, 2 s later,
    /// SIGKILL, and the result has `timedOut` set. `environment` nil inherits ours; otherwise it is the
    /// complete environment (see `environment(adding:)`). `input`, if any, is written to its stdin, which
    /// is then closed; without input stdin is /dev/null. Throws only if the program cannot be started.
    public static func run(_ executable: String, arguments: [String] = [], environment: [String: String]? = nil,
                           input: Data? = nil, timeout: TimeInterval = 30) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = input.map { _ in Pipe() }
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin ?? FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.runWithEmptySignalMask()

        // Drain both pipes at once: reading one to the end first could deadlock with a child blocked on
        // writing the other.
        let readers = DispatchGroup()
        let out = drain(stdout.fileHandleForReading, in: readers)
        let err = drain(stderr.fileHandleForReading, in: readers)
        if let stdin, let input { feed(input, to: stdin.fileHandleForWriting, in: readers) }

        let timedOut = exited.wait(timeout: .now() + timeout) == .timedOut
        if timedOut { stop(process, exited: exited) }
        // Close our read ends once the readers are done (a grandchild holding the pipes open could keep
        // them reading; then leak the two descriptors rather than close them under a reading thread).
        if readers.wait(timeout: .now() + 5) == .success {
            try? stdout.fileHandleForReading.close()
            try? stderr.fileHandleForReading.close()
        }
        let running = process.isRunning  // only if even SIGKILL did not end it; its status is unknown then
        return ProcessResult(exitStatus: running ? SIGKILL : process.terminationStatus,
                             terminatedBySignal: running || process.terminationReason == .uncaughtSignal,
                             timedOut: timedOut, stdout: out.value, stderr: err.value)
    }

    /// SIGTERM, then after 2 s SIGKILL to the whole process group. Foundation gives the child a process
    /// group of its own, and only reports the exit once every process holding the descriptor it passes to
    /// the child has exited, so grandchildren (a shell's `sleep`) must die too.
    private static func stop(_ process: Process, exited: DispatchSemaphore) {
        process.terminate()
        guard exited.wait(timeout: .now() + 2) == .timedOut else { return }
        _ = kill(-process.processIdentifier, SIGKILL)
        _ = exited.wait(timeout: .now() + 5)
    }

    /// Our environment with some variables added or replaced.
    public static func environment(adding extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
    }

    /// The path of an executable SwiftPM built beside the running test bundle (`.build/<triple>/debug/`),
    /// for example `builtProduct("rdnscheck")`.
    public static func builtProduct(_ name: String) -> String {
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: runner).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Reads a pipe to its end on a thread of its own.
    private static func drain(_ handle: FileHandle, in group: DispatchGroup) -> LockedData {
        let box = LockedData()
        group.enter()
        Thread {
            box.set(readToEnd(handle))
            group.leave()
        }.start()
        return box
    }

    /// Everything `handle` has until its end. Not `FileHandle.readDataToEndOfFile()`: it traps (`try!`) when a
    /// signal interrupts its read, and the test process gets signals (SIGCHLD of the programs it runs): one plain
    /// `swift test` in ten crashed so under load.
    public static func readToEnd(_ handle: FileHandle) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    private static func feed(_ data: Data, to handle: FileHandle, in group: DispatchGroup) {
        // A child that exits without reading its stdin would raise SIGPIPE and kill the whole test run.
        _ = signal(SIGPIPE, SIG_IGN)
        group.enter()
        Thread {
            try? handle.write(contentsOf: data)
            try? handle.close()
            group.leave()
        }.start()
    }
}

/// Data written by a reader thread and read once it is done.
///
/// `@unchecked Sendable`: the only state is `data`, and it is only touched while holding `lock`.
private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    var value: Data { lock.withLock { data } }

    func set(_ newValue: Data) {
        lock.withLock { data = newValue }
    }
}
