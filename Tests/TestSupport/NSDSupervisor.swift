import Foundation
import Glibc

/// Runs nsd (or Unbound, which takes the same `-d -c CONFIG`) so that it cannot outlive the test process.
///
/// A server kept for a whole suite usually lives in a global or static, and Swift runs no deinit for
/// those at exit; a crashing test process runs none at all. So nsd runs under a small shell supervisor
/// whose stdin is a pipe ("lifeline") whose write end only the test process holds: when it is closed, by
/// `stop()` or by the kernel when the test process dies however it dies, the supervisor sends nsd SIGTERM.
/// The supervisor exits with nsd's status as soon as nsd exits, so a failed start is still seen at once.
enum NSDSupervisor {
    /// $1 = nsd, $2 = config, $3 = work directory. fd 3 keeps the lifeline for the watcher alone: an
    /// asynchronous list would otherwise get /dev/null as stdin, and nsd has no business holding it.
    /// The watcher only finishes by itself (status 0) when the lifeline closed, that is when the test
    /// process is done with the work directory, so only then is it removed here (for servers never
    /// stopped); after a failed start it stays for `NSDServer` to read the log.
    static let script = """
        exec 3<&0 </dev/null
        "$1" -d -c "$2" 3<&- &
        nsd=$!
        { read -r _ <&3; kill -TERM "$nsd" 2>/dev/null; } &
        watcher=$!
        exec 3<&-
        wait "$nsd"
        status=$?
        kill "$watcher" 2>/dev/null
        if wait "$watcher" 2>/dev/null; then rm -rf "$3"; fi
        exit "$status"
        """

    /// Starts the supervisor; nsd's stdout and stderr go to `output`. Returns the process and the
    /// lifeline's write end (close it to stop nsd).
    static func start(nsd: String, config: String, directory: String,
                      output: FileHandle?) throws -> (Process, FileHandle) {
        let lifeline = Pipe()
        // Close-on-exec so no other child of the test process (forked outside Foundation) inherits it
        // and keeps nsd alive.
        _ = fcntl(lifeline.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "nsd-supervisor", nsd, config, directory]
        process.standardInput = lifeline
        process.standardOutput = output
        process.standardError = output
        try process.runWithEmptySignalMask()
        try? lifeline.fileHandleForReading.close()
        return (process, lifeline.fileHandleForWriting)
    }

    /// Closes the lifeline (the supervisor sends nsd SIGTERM) and waits for everything to exit; after 5 s
    /// SIGKILL to the process group (Foundation gives the child a group of its own, nsd included).
    static func stop(_ process: Process, lifeline: FileHandle) {
        try? lifeline.close()
        guard !waitForExit(process, seconds: 5) else { return }
        _ = kill(-process.processIdentifier, SIGKILL)
        _ = waitForExit(process, seconds: 2)
    }

    private static func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }
}

/// A server started under `NSDSupervisor` (nsd, or Unbound in its place): stopped once, by whoever comes first (a
/// test's `stop()`, or the server's deinit), its work directory then removed. Shared by `NSDServer` and
/// `UnboundServer`, which had each their copy.
///
/// `@unchecked Sendable`: `Process` and `FileHandle` are not Sendable, but the process is only polled and the
/// lifeline only closed, once, by whoever flips `stopped` under `lock`.
final class SupervisedServer: @unchecked Sendable {
    let workDirectory: String
    let process: Process
    private let lifeline: FileHandle
    private let lock = NSLock()
    private var stopped = false

    init(workDirectory: String, process: Process, lifeline: FileHandle) {
        self.workDirectory = workDirectory
        self.process = process
        self.lifeline = lifeline
    }

    deinit {
        stop()
    }

    /// Stops the server (`NSDSupervisor.stop`) and removes its work directory; does nothing the second time.
    func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        NSDSupervisor.stop(process, lifeline: lifeline)
        try? FileManager.default.removeItem(atPath: workDirectory)
    }
}
