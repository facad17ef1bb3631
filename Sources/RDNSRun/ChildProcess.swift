import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The one way rdnscheck runs another program (the `on-change` hook, the `aws` command): executed directly, no
/// shell; stdin from `/dev/null`; exactly the environment given; default signal dispositions and an empty mask,
/// whatever rdnscheck has blocked or ignored; in a process group of its own. Its output is handed to the caller's
/// `ChildOutput`s as it comes; it is killed with its whole group at its time limit, when a reader refuses more
/// output, or by `ChildProcessGroups.stopAll`; and when it exits, whatever it left running in its group is killed,
/// so a background child holding its output cannot stall the caller. Blocks the calling thread.
struct ChildProcess {
    /// How the program ended.
    enum Ending: Equatable {
        /// `leftovers`: processes it left running in its group were killed.
        case exited(status: Int32, leftovers: Bool)
        case signalled(Int32)
        /// Killed at its time limit.
        case timedOut
        /// Killed because a reader took no more of its output (`ChildOutput.take` said false).
        case outputRefused
        /// Its end could not be learnt (waitpid failed); its group was killed.
        case unknown(String)
    }

    /// Why the program was not started.
    enum StartFailure: Error, Equatable {
        /// The groups are stopping (`ChildProcessGroups.stopAll`).
        case stopping
        /// A pipe or the spawn failed; the text says why (`No such file or directory`).
        case cannotRun(String)
    }

    /// How often the wait loop checks whether the program exited while it waits for output.
    private static let tickMilliseconds: Int32 = 20
    /// Held while pipes are made close-on-exec and while a program is spawned: glibc has no `pipe2` in Swift's
    /// view, and a program started by another thread between `pipe` and `fcntl` would inherit our ends (a hook
    /// holding the aws command's stdout open would keep its run waiting for the end of that output).
    private static let spawning = Locked(())

    let program: String
    /// `argv[1...]`; `argv[0]` is `program`.
    let arguments: [String]
    /// `NAME=value` strings: the program's whole environment.
    let environment: [String]
    let timeLimitSeconds: Double

    /// Runs the program to its end. `stdout` receives its standard output, and its standard error too unless
    /// `stderr` is given. Each reader's `finish` is called once the output is over.
    func run(in groups: ChildProcessGroups, stdout: any ChildOutput, stderr: (any ChildOutput)? = nil)
        throws(StartFailure) -> Ending {
        let outputs: [any ChildOutput] = [stdout] + (stderr.map { [$0] } ?? [])
        var pipes: [[Int32]] = []
        defer { for ends in pipes { close(ends[0]) } }
        var pid: pid_t = 0
        let spawned: Int32? = try groups.registering { () throws(StartFailure) -> (Int32, pid_t) in
            try ChildProcess.spawning.withLock { _ throws(StartFailure) in
                for _ in outputs {
                    var ends: [Int32] = [-1, -1]
                    guard pipe(&ends) == 0 else {
                        let reason = "no pipe for its output: \(errorText())"
                        for made in pipes { close(made[1]) }
                        throw .cannotRun(reason)
                    }
                    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
                    _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
                    pipes.append(ends)
                }
                let result = spawn(&pid, writeEnds: pipes.map { $0[1] })
                for ends in pipes { close(ends[1]) }
                return (result, pid)
            }
        }
        guard let spawned else { throw .stopping }
        guard spawned == 0 else { throw .cannotRun(errorText(spawned)) }
        let ending = waitForEnd(of: pid, reading: Array(zip(pipes.map { $0[0] }, outputs)))
        groups.forget(pid)
        return ending
    }

    private func spawn(_ pid: inout pid_t, writeEnds: [Int32]) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnds[0], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, writeEnds.count > 1 ? writeEnds[1] : writeEnds[0], STDERR_FILENO)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes,
                                 Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        return withCStrings([program] + arguments) { argv in
            withCStrings(environment) { envp in posix_spawn(&pid, program, &actions, &attributes, argv, envp) }
        }
    }

    /// Hands the program's output to its readers until it exits, its time limit passes or a reader refuses more
    /// (then its group is killed); after its exit, kills what is left in its group and reads only the output
    /// already written.
    private func waitForEnd(of pid: pid_t, reading streams: [(descriptor: Int32, output: any ChildOutput)])
        -> Ending {
        let deadline = monotonicSeconds() + timeLimitSeconds
        var open = streams
        var status: Int32 = 0
        func killed(_ ending: Ending) -> Ending {
            kill(-pid, SIGKILL)
            _ = retryingOnInterrupt { waitpid(pid, &status, 0) }
            streams.forEach { $0.output.finish() }
            return ending
        }
        while true {
            let waited = retryingOnInterrupt { waitpid(pid, &status, WNOHANG) }
            if waited == pid { break }
            if waited < 0 {
                // ECHILD: the program was reaped by no one here (SIGCHLD ignored; main resets it at start).
                let reason = "could not be waited for (waitpid: \(errorText())); its process group was killed"
                kill(-pid, SIGKILL)
                streams.forEach { $0.output.finish() }
                return .unknown(reason)
            }
            let left = deadline - monotonicSeconds()
            if left <= 0 { return killed(.timedOut) }
            let tick = min(ChildProcess.tickMilliseconds, Int32(left * 1000) + 1)
            guard !open.isEmpty else {
                usleep(UInt32(tick) * 1000)
                continue
            }
            var pollers = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            guard poll(&pollers, nfds_t(pollers.count), tick) > 0 else { continue }
            var refused = false
            for (index, poller) in pollers.enumerated().reversed() where poller.revents != 0 {
                switch ChildProcess.read(from: open[index].descriptor, into: open[index].output) {
                case .more: break
                case .end: open.remove(at: index)
                case .refused: refused = true
                }
            }
            if refused { return killed(.outputRefused) }
        }
        // The group outlives its leader while a member is left; a group with none is gone (ESRCH). Its number
        // cannot be reused for a new process while the group exists.
        let leftovers = kill(-pid, 0) == 0
        if leftovers { kill(-pid, SIGKILL) }
        for stream in open {
            _ = fcntl(stream.descriptor, F_SETFL, fcntl(stream.descriptor, F_GETFL) | O_NONBLOCK)
            var read = ChildProcess.read(from: stream.descriptor, into: stream.output)
            while read == .more { read = ChildProcess.read(from: stream.descriptor, into: stream.output) }
            if read == .refused {
                // Reaped already, and its group killed: nothing is left to stop.
                streams.forEach { $0.output.finish() }
                return .outputRefused
            }
        }
        streams.forEach { $0.output.finish() }
        if status & 0x7f != 0 { return .signalled(status & 0x7f) }
        return .exited(status: (status >> 8) & 0xff, leftovers: leftovers)
    }

    private enum Read { case more, end, refused }

    /// One read of what is there; `.end` at the end of the output (or when nothing more can be read without
    /// waiting).
    private static func read(from descriptor: Int32, into output: any ChildOutput) -> Read {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = retryingOnInterrupt {
            buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        }
        guard count > 0 else { return .end }
        return output.take(buffer[0..<count]) ? .more : .refused
    }
}

/// Receives a child's output, on the thread that runs it.
protocol ChildOutput: AnyObject {
    /// The next bytes; false when the reader takes no more (the program is then killed).
    func take(_ bytes: ArraySlice<UInt8>) -> Bool
    /// The output is over.
    func finish()
}

/// A child's output kept in memory up to `limit` bytes: beyond it, either the rest is dropped (`refusesMore` false:
/// a diagnostic stream) or the program is stopped (`refusesMore` true: an answer that must be whole).
final class CappedOutput: ChildOutput {
    let limit: Int
    let refusesMore: Bool
    private(set) var bytes: [UInt8] = []
    /// Whether bytes beyond `limit` came.
    private(set) var overflowed = false

    init(limit: Int, refusesMore: Bool) {
        self.limit = limit
        self.refusesMore = refusesMore
    }

    func take(_ more: ArraySlice<UInt8>) -> Bool {
        let room = limit - bytes.count
        bytes += more.prefix(max(0, room))
        if more.count > room { overflowed = true }
        return !(overflowed && refusesMore)
    }

    func finish() {}
}

/// The process groups of the programs one owner runs now, so that `stopAll` can end them when rdnscheck stops.
final class ChildProcessGroups: Sendable {
    private let running = Locked<(groups: Set<pid_t>, stopping: Bool)>(([], false))

    /// Ends every program running now (each ends `.signalled(9)`), and lets no more start.
    func stopAll() {
        let groups = running.withLock { running in
            running.stopping = true
            return running.groups
        }
        for group in groups { kill(-group, SIGKILL) }
    }

    var isStopping: Bool { running.withLock { $0.stopping } }

    /// Runs `spawn` (which returns posix_spawn's result and the pid) under the lock `stopAll` takes, and records
    /// the pid when it started, so a stop cannot slip between the spawn and the record; nil when stopping.
    fileprivate func registering<Failure: Error>(_ spawn: () throws(Failure) -> (Int32, pid_t)) throws(Failure)
        -> Int32? {
        try running.withLock { running throws(Failure) in
            guard !running.stopping else { return nil }
            let (result, pid) = try spawn()
            if result == 0 { running.groups.insert(pid) }
            return result
        }
    }

    fileprivate func forget(_ pid: pid_t) {
        running.withLock { _ = $0.groups.remove(pid) }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result)
    -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
