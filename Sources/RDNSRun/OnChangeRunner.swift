import RDNSCore

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

/// Runs the `on-change` program as a `ChildProcess` (no shell, no arguments, stdin from `/dev/null`, its own
/// process group, killed with what it left running when it exits) with the environment of `OnChangeEnvironment`,
/// its output logged line by line, within a time limit.
public final class OnChangeRunner: DeliveryRunner {
    public let timeLimitSeconds: Double
    private let logger: Logger
    private let inherited: [String: String]
    private let groups = ChildProcessGroups()

    /// Output kept per run; the rest is dropped (a runaway program must not fill the journal).
    static let outputLimit = 16 << 10
    public static let defaultTimeLimitSeconds = 30.0

    /// `inherited`: the environment `LANG`, `LC_ALL` and `TZ` are taken from (nil: this process's).
    public init(timeLimitSeconds: Double = OnChangeRunner.defaultTimeLimitSeconds, logger: Logger,
                inherited: [String: String]? = nil) {
        self.timeLimitSeconds = timeLimitSeconds
        self.logger = logger
        self.inherited = inherited ?? OnChangeEnvironment.inherited()
    }

    public func stopAll() {
        groups.stopAll()
    }

    public func run(_ program: String, _ delivery: Delivery) -> DeliveryOutcome {
        let name = "on-change \(program) for \(delivery.address)"
        let child = ChildProcess(program: program, arguments: [],
                                 environment: OnChangeEnvironment.strings(for: delivery, inherited: inherited),
                                 timeLimitSeconds: timeLimitSeconds)
        let ending: ChildProcess.Ending
        do {
            ending = try child.run(in: groups, stdout: OutputLines(program: program, logger: logger))
        } catch {
            switch error {
            case .stopping: return .notDelivered("was not started: rdnscheck is stopping")
            case .cannotRun(let reason): return .notDelivered("cannot be run: \(reason)")
            }
        }
        switch ending {
        case .unknown(let reason):
            return .notDelivered(reason)
        case .timedOut:
            return .notDelivered("was stopped after \(PlainFormat.seconds(child.timeLimitSeconds)), its time limit")
        case .signalled where groups.isStopping:
            return .notDelivered("was stopped: rdnscheck is stopping")
        case .signalled(let number):
            logger.warning("\(name) was killed by signal \(number)")
        case .outputRefused:
            // The lines are capped, never refused.
            break
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
}

/// A program's output as log lines, at most `OnChangeRunner.outputLimit` bytes of it.
private final class OutputLines: ChildOutput {
    let program: String
    let logger: Logger
    private var pending: [UInt8] = []
    private var kept = 0

    init(program: String, logger: Logger) {
        self.program = program
        self.logger = logger
    }

    func take(_ bytes: ArraySlice<UInt8>) -> Bool {
        pending += bytes
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

    func finish() {
        if !pending.isEmpty { emit(pending[...]) }
        pending.removeAll()
    }

    private func emit(_ line: ArraySlice<UInt8>) {
        guard kept < OnChangeRunner.outputLimit else { return }
        kept += line.count
        logger.info("on-change \(program): \(String(decoding: line, as: UTF8.self))")
    }
}
