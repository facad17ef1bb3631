import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Runs the `on-change` program once per drift: no shell (the program is executed directly, with no
/// arguments), the details in `RDNSCHECK_*` environment variables, a time limit, its output logged line by line,
/// and its failure logged but never fatal. Each run happens on a Dispatch queue, so the check loop never waits.
public final class OnChangeRunner: Sendable {
    public let program: String
    public let timeLimitSeconds: Int
    private let logger: Logger
    private let queue = DispatchQueue(label: "rdnscheck.on-change")
    private let group = DispatchGroup()

    /// Output kept per run; the rest is dropped (a runaway program must not fill the journal).
    static let outputLimit = 16 << 10

    public static let defaultTimeLimitSeconds = 30

    public init(program: String, timeLimitSeconds: Int = OnChangeRunner.defaultTimeLimitSeconds, logger: Logger) {
        self.program = program
        self.timeLimitSeconds = timeLimitSeconds
        self.logger = logger
    }

    /// Queues one run with these variables (names without the `RDNSCHECK_` prefix are not allowed).
    public func run(environment: [String: String]) {
        group.enter()
        queue.async { [self] in
            defer { group.leave() }
            execute(environment)
        }
    }

    /// Waits for queued runs (tests, and a clean stop), at most `seconds`.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        group.wait(timeout: .now() + seconds) == .success
    }

    private func execute(_ variables: [String: String]) {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            logger.error("on-change \(program): cannot create a pipe: \(String(cString: strerror(errno)))")
            return
        }
        // Both ends close-on-exec (posix_spawn's dup2 gives the child its own copy of the write end).
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
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
        // Its own process group, so a time-out can stop whatever it started too; default signal dispositions
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

        let environment = OnChangeRunner.environment(adding: variables)
        var pid: pid_t = 0
        let spawned = withCStrings([program]) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, program, &actions, &attributes, argv, envp)
            }
        }
        close(pipeEnds[1])
        guard spawned == 0 else {
            logger.error("on-change \(program): cannot run it: \(String(cString: strerror(spawned)))")
            return
        }
        let address = variables["RDNSCHECK_ADDRESS"] ?? "?"
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeLimitSeconds) * 1_000_000_000
        var timedOut = collectOutput(from: pipeEnds[0], pid: pid, deadline: deadline)
        var status: Int32 = 0
        // The program may close its output and go on running: the time limit holds for it too.
        while !timedOut {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid || (waited < 0 && errno != EINTR) { break }
            if DispatchTime.now().uptimeNanoseconds >= deadline {
                kill(-pid, SIGKILL)
                timedOut = true
                break
            }
            usleep(10_000)
        }
        if timedOut {
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        if timedOut {
            logger.warning("on-change \(program) for \(address) was stopped after \(timeLimitSeconds)s")
        } else if status & 0x7f != 0 {
            logger.warning("on-change \(program) for \(address) was killed by signal \(status & 0x7f)")
        } else if (status >> 8) & 0xff != 0 {
            logger.warning("on-change \(program) for \(address) exited with status \((status >> 8) & 0xff)")
        }
    }

    /// Logs the program's output line by line until it closes the pipe or the time limit passes (then its
    /// process group is killed). Returns whether it timed out.
    private func collectOutput(from descriptor: Int32, pid: pid_t, deadline: UInt64) -> Bool {
        var pending: [UInt8] = []
        var kept = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        func emit(_ line: ArraySlice<UInt8>) {
            guard kept < OnChangeRunner.outputLimit else { return }
            kept += line.count
            logger.info("on-change \(program): \(String(decoding: line, as: UTF8.self))")
        }
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else {
                kill(-pid, SIGKILL)
                return true
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min((deadline - now) / 1_000_000 + 1, 1_000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending += buffer[0..<count]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                emit(pending[..<newline])
                pending.removeSubrange(...newline)
            }
            if pending.count > 4096 {
                emit(pending[...])
                pending.removeAll()
            }
        }
        if !pending.isEmpty { emit(pending[...]) }
        return false
    }

    /// The daemon's environment without systemd's notification variables (the program is not the service),
    /// plus the drift's variables.
    static func environment(adding variables: [String: String]) -> [String] {
        var result: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            let name = text.prefix { $0 != "=" }
            if !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"].contains(String(name))
                && !name.hasPrefix("RDNSCHECK_") {
                result.append(text)
            }
            entry += 1
        }
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) {
            result.append("\(name)=\(value.filter { $0 != "\0" })")
        }
        return result
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result)
    -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
