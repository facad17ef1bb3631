import Dispatch
import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// How one run of the `on-change` program for a delivery ended.
public enum DeliveryOutcome: Equatable, Sendable {
    /// The program ran and exited (whatever its status: its own failure is logged, not retried).
    case delivered
    /// It could not be started, or was cut off (its time limit, or rdnscheck stopping): the delivery is still
    /// owed. The text says why, to follow "on-change PROGRAM for ADDRESS".
    case notDelivered(String)
}

/// Runs a delivery's program to its end, blocking the calling thread; `DeliveryQueue` calls it.
public protocol DeliveryRunner: Sendable {
    func run(_ program: String, _ delivery: Delivery) -> DeliveryOutcome
    /// rdnscheck is stopping: end every run in progress (each returns `.notDelivered`), and start no more.
    func stopAll()
}

/// Runs the `on-change` program: no shell (executed directly, with no arguments), stdin from `/dev/null`, the
/// environment of `OnChangeEnvironment`, in a process group of its own, its output logged line by line, within
/// a time limit. The program's exit ends the run: whatever it left running in its group is killed then, so a
/// background child holding its output cannot stall delivery.
public final class OnChangeRunner: DeliveryRunner {
    public let timeLimitSeconds: Double
    private let logger: Logger
    private let inherited: [String: String]
    /// Process groups running now, and whether rdnscheck is stopping.
    private let running = Locked<(groups: Set<pid_t>, stopping: Bool)>(([], false))

    /// Output kept per run; the rest is dropped (a runaway program must not fill the journal).
    static let outputLimit = 16 << 10
    public static let defaultTimeLimitSeconds = 30.0
    /// How often a run checks whether the program exited, while it waits for output.
    private static let tickMilliseconds: Int32 = 20

    /// `inherited`: the environment `LANG`, `LC_ALL` and `TZ` are taken from (nil: this process's).
    public init(timeLimitSeconds: Double = OnChangeRunner.defaultTimeLimitSeconds, logger: Logger,
                inherited: [String: String]? = nil) {
        self.timeLimitSeconds = timeLimitSeconds
        self.logger = logger
        self.inherited = inherited ?? OnChangeEnvironment.inherited()
    }

    public func stopAll() {
        let groups = running.withLock { running in
            running.stopping = true
            return running.groups
        }
        for group in groups { kill(-group, SIGKILL) }
    }

    public func run(_ program: String, _ delivery: Delivery) -> DeliveryOutcome {
        let name = "on-change \(program) for \(delivery.address)"
        var pipeEnds: [Int32] = [-1, -1]
        // Both ends close-on-exec (posix_spawn's dup2 gives the child its own copy of the write end), made so under
        // the lock the spawns take: a program started by another delivery in between would inherit them.
        let pipeError: Int32 = running.withLock { _ in
            guard pipe(&pipeEnds) == 0 else { return errno }
            _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
            return 0
        }
        guard pipeError == 0 else {
            return .notDelivered("cannot be run: no pipe for its output: \(errorText(pipeError))")
        }
        defer { close(pipeEnds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], STDERR_FILENO)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so that whatever it starts can be stopped with it; default signal dispositions
        // and an empty mask, whatever the daemon has blocked or ignored.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes,
                                 Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let environment = OnChangeEnvironment.strings(for: delivery, inherited: inherited)
        var pid: pid_t = 0
        // Registered under the lock that `stopAll` takes, so a stop cannot slip between the spawn and the entry.
        let spawned: Int32? = running.withLock { running in
            guard !running.stopping else { return nil }
            let spawned = withCStrings([program]) { argv in
                withCStrings(environment) { envp in posix_spawn(&pid, program, &actions, &attributes, argv, envp) }
            }
            if spawned == 0 { running.groups.insert(pid) }
            return spawned
        }
        close(pipeEnds[1])
        guard let spawned else { return .notDelivered("was not started: rdnscheck is stopping") }
        guard spawned == 0 else { return .notDelivered("cannot be run: \(errorText(spawned))") }

        let ending = waitForEnd(of: pid, output: pipeEnds[0], program: program)
        let stopping = running.withLock { running in
            running.groups.remove(pid)
            return running.stopping
        }
        switch ending {
        case .unknown(let reason):
            return .notDelivered(reason)
        case .timedOut:
            let whole = timeLimitSeconds.rounded() == timeLimitSeconds
            return .notDelivered("was stopped after \(PlainFormat.decimal(timeLimitSeconds, places: whole ? 0 : 1))s, "
                                 + "its time limit")
        case .signalled where stopping:
            return .notDelivered("was stopped: rdnscheck is stopping")
        case .signalled(let number):
            logger.warning("\(name) was killed by signal \(number)")
        case .exited(let status, let leftovers):
            let killed = leftovers ? "; the processes it left running were killed" : ""
            if status != 0 {
                logger.warning("\(name) exited with status \(status)\(killed)")
            } else if leftovers {
                logger.notice("\(name) exited with status 0\(killed)")
            }
        }
        return .delivered
    }

    private enum Ending {
        case exited(status: Int32, leftovers: Bool)
        case signalled(Int32)
        case timedOut
        /// Its end could not be learnt (waitpid failed): whether it ran cannot be told, so it is owed again.
        case unknown(String)
    }

    /// Logs the program's output until it exits or its time limit passes (then its group is killed); after its
    /// exit, kills what is left in its group and logs only the output already written.
    private func waitForEnd(of pid: pid_t, output: Int32, program: String) -> Ending {
        let deadline = SystemTimeSource().monotonicSeconds + timeLimitSeconds
        var lines = OutputLines(program: program, logger: logger)
        var outputOpen = true
        var status: Int32 = 0
        while true {
            let waited = retryingOnInterrupt { waitpid(pid, &status, WNOHANG) }
            if waited == pid { break }
            if waited < 0 {
                // ECHILD: the program was reaped by no one here (SIGCHLD ignored; main resets it at start).
                let reason = "could not be waited for (waitpid: \(errorText())); its process group was killed"
                kill(-pid, SIGKILL)
                lines.finish()
                return .unknown(reason)
            }
            let left = deadline - SystemTimeSource().monotonicSeconds
            if left <= 0 {
                kill(-pid, SIGKILL)
                _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
                lines.finish()
                return .timedOut
            }
            let tick = min(OnChangeRunner.tickMilliseconds, Int32(left * 1000) + 1)
            if outputOpen {
                var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, tick) > 0 {
                    outputOpen = lines.read(from: output)
                }
            } else {
                usleep(UInt32(tick) * 1000)
            }
        }
        // The group outlives its leader while a member is left; a group with none is gone (ESRCH). Its number
        // cannot be reused for a new process while the group exists.
        let leftovers = kill(-pid, 0) == 0
        if leftovers { kill(-pid, SIGKILL) }
        if outputOpen {
            _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
            while lines.read(from: output) {}
        }
        lines.finish()
        if status & 0x7f != 0 { return .signalled(status & 0x7f) }
        return .exited(status: (status >> 8) & 0xff, leftovers: leftovers)
    }
}

/// A program's output as log lines, at most `OnChangeRunner.outputLimit` bytes of it.
private struct OutputLines {
    let program: String
    let logger: Logger
    private var pending: [UInt8] = []
    private var kept = 0

    init(program: String, logger: Logger) {
        self.program = program
        self.logger = logger
    }

    /// Reads what is there; false at the end of the output (or when nothing more can be read without waiting).
    mutating func read(from descriptor: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = retryingOnInterrupt {
            buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        }
        guard count > 0 else { return false }
        pending += buffer[0..<count]
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            emit(pending[..<newline])
            pending.removeSubrange(...newline)
        }
        if pending.count > 4096 {
            emit(pending[...])
            pending.removeAll()
        }
        return true
    }

    mutating func finish() {
        if !pending.isEmpty { emit(pending[...]) }
        pending.removeAll()
    }

    private mutating func emit(_ line: ArraySlice<UInt8>) {
        guard kept < OnChangeRunner.outputLimit else { return }
        kept += line.count
        logger.info("on-change \(program): \(String(decoding: line, as: UTF8.self))")
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result)
    -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
