import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// What happens after every run, in the daemon and in `--once`: drift against the stored state (one log line and
/// one `on-change` delivery per drifted address), the state file, the metrics textfile, the report and its summary.
public final class RunRecorder {
    private var configuration: Configuration
    private let logger: Logger
    private let clock: any TimeSource
    private var states: [IPAddress: AddressState] = [:]
    /// What `discover` found last (from the state file, then each run whose discovery succeeded).
    public private(set) var lastDiscovered: DiscoveredAddresses?
    private let deliveries: DeliveryQueue
    /// The deliveries still owed as the state file last had them.
    private var savedUndelivered: [Delivery] = []
    private var loadedStatePath: String?
    private var lastSuccessAt: Double?
    /// Failed writes in a row, for the line that says a file is written again.
    private var stateFailures = 0
    private var metricsFailures = 0
    /// The daemon remembers states between runs even without a state file; `--once` without one has nothing
    /// to compare with and skips the bookkeeping.
    private let keepsStateInMemory: Bool

    /// `deliveryRunner` runs the `on-change` program (an `OnChangeRunner` with its 30 s limit by default).
    public init(configuration: Configuration, logger: Logger, keepsStateInMemory: Bool,
                clock: any TimeSource = SystemTimeSource(), deliveryRunner: (any DeliveryRunner)? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.keepsStateInMemory = keepsStateInMemory
        deliveries = DeliveryQueue(runner: deliveryRunner ?? OnChangeRunner(logger: logger), logger: logger)
        reconfigure(configuration)
    }

    /// Applies a new configuration: a new state file is read, the on-change program replaced, and addresses no
    /// longer checked are forgotten.
    ///
    /// A new state file that is missing or unusable does not wipe the states the daemon holds: they are the last
    /// runs' and are written to the new file after the next run (a reload used to drop them, and with them the
    /// baseline for drift and the temporary-failure counts for `fail-after`).
    public func reconfigure(_ configuration: Configuration) {
        deliveries.program = configuration.onChangeProgram
        if configuration.statePath != loadedStatePath {
            loadedStatePath = configuration.statePath
            if let path = configuration.statePath, let loaded = loadState(path) {
                states = loaded.states
                lastDiscovered = loaded.discovered ?? lastDiscovered
                deliveries.keep(Array(loaded.undelivered.values))
                savedUndelivered = deliveries.undelivered
                // The later of the two: the file may be older than what this daemon has seen.
                if let stored = loaded.lastSuccess.map(Double.init) {
                    lastSuccessAt = max(lastSuccessAt ?? stored, stored)
                }
            }
            stateFailures = 0
        }
        if configuration.textfilePath != self.configuration.textfilePath {
            metricsFailures = 0
        }
        self.configuration = configuration
        if configuration.discovery == nil { lastDiscovered = nil }
        states = states.filter { isChecked($0.key) }
    }

    /// Whether runs check `address` now: configured, or discovered last.
    private func isChecked(_ address: IPAddress) -> Bool {
        configuration.targets.contains(address) || lastDiscovered?.addresses.contains(address) == true
    }

    /// Waits for every on-change delivery of the run (each within its time limit), then saves what is still owed:
    /// `--once` exits after this. False when that save failed (the error is logged).
    public func finishPendingWork() -> Bool {
        deliveries.waitUntilIdle()
        return deliveries.undelivered == savedUndelivered || writeState()
    }

    /// Stops the on-change programs running (their process groups are killed) and starts no more; callable from
    /// any thread (a signal's handler) while `finishPendingWork` waits, which then saves what they did not deliver.
    public var stopDeliveries: @Sendable () -> Void {
        { [deliveries] in _ = deliveries.stop(waitingAtMost: 0) }
    }

    /// The daemon is stopping: on-change programs still running are stopped, and every delivery not made goes
    /// into the state file, which otherwise stays as the last completed run left it.
    public func stop() {
        let owed = deliveries.stop()
        let count = "\(owed.count) on-change deliver\(owed.count == 1 ? "y" : "ies") not made"
        guard configuration.statePath != nil else {
            if !owed.isEmpty { logger.warning("\(count); without a state file they are lost") }
            return
        }
        if owed == savedUndelivered || writeState(), !owed.isEmpty {
            logger.notice("\(count) kept in the state file for the next start")
        }
    }

    /// Consecutive temporary failures per address before the coming run (for `fail-after`).
    public func temporaryFailureCounts() -> [IPAddress: Int] {
        states.mapValues(\.temporaryFailures)
    }

    /// The drift of each address that changed in this run, after recording it.
    public struct Recorded {
        /// The run's report, drifts included.
        public let report: RunReport
        public var drifts: [IPAddress: Drift] { report.drifts }
        /// The run's summary for the log (`run finished in 0.012s: 3 addresses: 3 ok, ...`).
        public let summaryLine: String
        /// One line for systemd's STATUS= (`3/3 addresses OK; next run 12:05:00`).
        public let statusLine: String
        /// The state file or the metrics textfile could not be written (the error is logged); for `--once`, also
        /// the save of the deliveries still owed after its on-change programs.
        public internal(set) var writeFailed: Bool
    }

    /// Records a finished run: drift, state file, metrics, and the report with its summary line.
    public func record(_ results: [AddressResult], host: HostFindings = HostFindings(), startedAt: Int,
                       durationSeconds: Double, nextRunInSeconds: Double?) -> Recorded {
        let finishedAt = startedAt + Int(durationSeconds.rounded(.up))
        var drifts: [IPAddress: Drift] = [:]
        var owed: [Delivery] = []
        let keeping = keepsStateInMemory || configuration.statePath != nil
        let (appeared, disappeared) = attachmentChanges(host)
        for problem in host.problems { logger.warning(problem.message) }
        // A run that began before a reload may hold addresses the new configuration dropped: not recorded.
        for result in results where keeping && isChecked(result.address) {
            let previous = states[result.address]
            let next = AddressState(result: result, previous: previous, now: finishedAt)
            // An address configured by a `check` line as well is checked on whether or not it is attached.
            let attached = appeared.contains(result.address) ? true
                : disappeared.contains(result.address) ? false : nil
            let records = Drift(address: result.address, previous: previous, next: next)
            let drift = attached.map { attached in
                records?.attaching(attached)
                    ?? Drift(address: result.address, attached: attached, status: result.status,
                             stillChecked: !attached)
            } ?? records
            if let drift {
                drifts[result.address] = drift
                log(drift)
                owed.append(Delivery(drift, result: result))
            }
            states[result.address] = next
        }
        var detached: [Drift] = []
        for address in disappeared.sorted() where keeping && !isChecked(address) {
            let last = states.removeValue(forKey: address)
            let drift = Drift(address: address, attached: false, status: last?.status ?? .unknown)
            detached.append(drift)
            log(drift)
            owed.append(Delivery(drift, lastState: last))
        }
        let report = RunReport(results: results, checkedAt: startedAt, durationSeconds: durationSeconds,
                               drifts: drifts, detached: detached, problems: host.problems, discovery: host.discovery,
                               aws: host.aws)
        lastSuccessAt = MetricsTextfile.lastSuccess(after: report, finishedAt: Double(finishedAt),
                                                    previous: lastSuccessAt)
        // Saved as owed before any program starts, so a crash or kill cannot lose a drift's delivery.
        deliveries.add(owed)
        var unwritten: [String] = []
        if !writeState() { unwritten.append("state file") }
        if !writeMetrics(report, finishedAt: finishedAt) { unwritten.append("metrics textfile") }
        deliveries.start()

        let ok = report.count(.ok)
        var status = "\(ok)/\(results.count) addresses OK"
        if ok < results.count {
            status += " (" + [Status.warning, .critical, .unknown].compactMap { level in
                report.count(level) > 0 ? "\(report.count(level)) \(level.word)" : nil
            }.joined(separator: ", ") + ")"
        }
        if !host.problems.isEmpty {
            status += "; " + host.problems.map(\.code.rawValue).joined(separator: ", ")
        }
        if !unwritten.isEmpty {
            status += "; cannot write the " + unwritten.joined(separator: " and ")
        }
        if let nextRunInSeconds {
            status += "; next run \(RunRecorder.clockTime(Int(clock.wallSeconds + nextRunInSeconds.rounded())))"
        }
        let summary = "run finished in \(PlainFormat.decimal(durationSeconds, places: 3))s: \(report.summary)"
            + (drifts.isEmpty && detached.isEmpty ? "" : "; \(drifts.count + detached.count) changed")
        return Recorded(report: report, summaryLine: summary, statusLine: status, writeFailed: !unwritten.isEmpty)
    }

    /// The discovered addresses that appeared and disappeared since the last discovery by the same source, and the
    /// new baseline kept. A first discovery (or one by another source) sets the baseline: nothing appears. A failed
    /// discovery changes nothing, and neither does one a reload has since turned off or changed.
    private func attachmentChanges(_ host: HostFindings) -> (appeared: Set<IPAddress>, disappeared: Set<IPAddress>) {
        guard let found = host.discovered, found.source == configuration.discovery?.source else { return ([], []) }
        let last = lastDiscovered
        lastDiscovered = found
        guard let last, last.source == found.source else {
            // Another source (a reload changed `discover`): the old one's addresses are forgotten, not detached.
            if last != nil { states = states.filter { isChecked($0.key) } }
            return ([], [])
        }
        let now = Set(found.addresses)
        let before = Set(last.addresses)
        return (now.subtracting(before), before.subtracting(now))
    }

    private func log(_ drift: Drift) {
        if drift.direction == .worse {
            logger.warning(drift.description)
        } else {
            logger.notice(drift.description)
        }
    }

    /// A missing state file is the first run and not logged; an unreadable, corrupt or untrusted one (another
    /// user's in a directory others can write) is logged and replaced at the next write; neither stops the checks.
    /// Nil when there is no usable file.
    ///
    /// An untrusted file is replaced rather than left alone: the configured path is rdnscheck's, the rename puts a
    /// file of its own there without writing into the other one, and the next start can trust it. Where it cannot
    /// (a sticky /tmp refuses to let anyone but root replace another user's file) every write says so at error.
    private func loadState(_ path: String) -> StateFile.Contents? {
        do {
            guard let bytes = try AtomicFile.read(path, limit: StateFile.maximumSize) else { return nil }
            return try StateFile.decodeContents(bytes)
        } catch {
            // A node that appeared since the configuration was checked (a FIFO, a device) is never replaced.
            let fate = AtomicFile.nodeInTheWay(path) == nil ? " and will be replaced" : ""
            logger.warning("state file \(path) is unusable\(fate): \(error)")
            return nil
        }
    }

    /// Writes the state file. A failed write (disk full, read-only, a directory in the way) is logged each time
    /// with the file and the reason; the file on disk is left as it was, the daemon keeps the state in memory and
    /// writes it whole at the next run that can. True when written (or when there is no state file).
    private func writeState() -> Bool {
        guard let path = configuration.statePath else { return true }
        let keeping = keepsStateInMemory ? "keeping the state in memory until a write succeeds"
                                         : "this run's state is not saved"
        let undelivered = deliveries.undelivered
        let written = write(try StateFile.encode(states, lastSuccess: lastSuccessAt.map { Int($0) },
                                                 undelivered: undelivered, discovered: lastDiscovered),
                            to: path, mode: 0o600, what: "state file", failures: &stateFailures,
                            consequence: keeping)
        if written { savedUndelivered = undelivered }
        return written
    }

    private func writeMetrics(_ report: RunReport, finishedAt: Int) -> Bool {
        guard let path = configuration.textfilePath else { return true }
        // Only the daemon (the one that keeps states in memory) runs every `interval`.
        let text = MetricsTextfile.render(report, finishedAt: Double(finishedAt), lastSuccessAt: lastSuccessAt,
                                          intervalSeconds: keepsStateInMemory ? configuration.intervalSeconds : nil)
        return write(text, to: path, mode: 0o644, what: "metrics textfile", failures: &metricsFailures,
                     consequence: "the textfile is left as it was")
    }

    private func write(_ text: @autoclosure () throws -> String, to path: String, mode: mode_t, what: String,
                       failures: inout Int, consequence: String) -> Bool {
        do {
            if let replaced = try AtomicFile.write(text(), to: path, mode: mode) {
                logger.warning("\(what) \(path) was \(replaced); replaced it with a regular file"
                               + (replaced.hasPrefix("a symbolic link") ? " (the link's target is left alone)" : ""))
            }
        } catch {
            failures += 1
            logger.error("cannot write the \(what) \(path): \(error); \(consequence)")
            return false
        }
        if failures > 0 {
            logger.notice("\(what) \(path) written again after \(failures) failed write\(failures == 1 ? "" : "s")")
            failures = 0
        }
        return true
    }

    /// `12:05:00` in local time.
    static func clockTime(_ epochSeconds: Int) -> String {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
