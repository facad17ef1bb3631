import RDNSPOSIX
import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// The checks of one run, done: the results in target order, when the run began and how long it took, and what
/// the run learnt about the host.
public struct CheckedRun: Sendable {
    public let results: [AddressResult]
    /// Start of the run, seconds since the epoch.
    public let startedAt: Int
    public let durationSeconds: Double
    public var host = HostFindings()
    /// How the resolver paced the run's queries (`PacingSummary`), nil when it did not.
    public var pacing: PacingSummary? = nil
}

/// The parts that ask about the host besides DNS, for one configuration: nil where it does not ask.
public struct HostSources: Sendable {
    public var discoverer: (any AddressDiscoverer)?
    public var aws: (any AWSPTRSource)?

    public init(discoverer: (any AddressDiscoverer)? = nil, aws: (any AWSPTRSource)? = nil) {
        self.discoverer = discoverer
        self.aws = aws
    }
}

/// Check, record, report: a run as `--once` makes it once and the daemon every interval, from injected parts (the
/// resolver, the clock, the on-change runner). The checks (`checks(with:)`) may run on any task; recording
/// (`record`) drifts, deliveries, the state file, the metrics and the report, one run after the other.
public final class CheckRun {
    public private(set) var configuration: Configuration
    private let recorder: RunRecorder
    private let clock: any TimeSource
    private let logger: Logger

    /// `keepsStateInMemory`: the daemon compares each run with the last even without a state file; `--once`
    /// without one has nothing to compare with.
    public init(configuration: Configuration, logger: Logger, clock: any TimeSource = SystemTimeSource(),
                keepsStateInMemory: Bool, deliveryRunner: (any DeliveryRunner)? = nil) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        recorder = RunRecorder(configuration: configuration, logger: logger, keepsStateInMemory: keepsStateInMemory,
                               clock: clock, deliveryRunner: deliveryRunner)
    }

    /// The checks of the next run through `resolver`, with the targets, policy and temporary-failure counts as
    /// they are now (a reload while they run does not change them); `progress` counts the addresses done.
    ///
    /// `host` asks about the host first (the addresses it sends from) and AWS last (its record of their PTRs).
    public func checks(with resolver: any DNSResolver, host: HostSources = HostSources(),
                       progress: CheckProgress? = nil) -> @Sendable () async -> CheckedRun {
        let check = ForwardConfirmation(resolver: resolver, policy: configuration.policy)
        let configuration = self.configuration
        let previousFailures = recorder.temporaryFailureCounts()
        let lastDiscovered = recorder.lastDiscovered
        let clock = self.clock
        return {
            let startedAt = Int(clock.wallSeconds)
            let started = clock.monotonicSeconds
            var findings = HostFindings()
            let targets = await findings.discover(with: host.discoverer, configuration: configuration,
                                                  lastDiscovered: lastDiscovered)
            let region = configuration.awsRegion ?? findings.region
            async let awsRecords = HostFindings.readAWS(with: host.aws, region: region)
            var results: [AddressResult] = []
            await CheckRun.check(targets, with: check, resolver: resolver, bounded: false,
                                 previousFailures: previousFailures, progress: progress) { results.append($0) }
            await findings.apply(await awsRecords, to: &results, resolver: resolver)
            // Last: the fix depends on every verdict, AWS's included, and names the region of an Elastic IP.
            for index in results.indices where !results[index].problems.isEmpty {
                results[index] = FixAdvice.advise(results[index], region: region)
            }
            return CheckedRun(results: results, startedAt: startedAt,
                              durationSeconds: clock.monotonicSeconds - started, host: findings,
                              pacing: resolver.takePacingSummary())
        }
    }

    /// Checks `targets` through `resolver` and hands each result, with its source, to `deliver` in target order as
    /// soon as it and those before it are done. `bounded`: at most `ReorderBuffer.capacity(checksInFlight:)`
    /// results are held meanwhile, and checks wait for the oldest (else any number may be, when the whole run is
    /// kept anyway).
    private static func check(_ targets: RunTargets, with check: ForwardConfirmation, resolver: any DNSResolver,
                              bounded: Bool, previousFailures: [IPAddress: Int], progress: CheckProgress?,
                              deliver: (inout AddressResult) -> Void) async {
        let capacity = bounded ? ReorderBuffer<CheckTargets>.capacity(checksInFlight: resolver.checksInFlight) : nil
        let buffer = ReorderBuffer(targets.checked, capacity: capacity)
        // The checks isolate themselves to the resolver's actor (`DNSResolver.isolation`).
        async let checked: Void = check.check(buffer, concurrency: resolver.checksInFlight,
                                              previousTemporaryFailures: previousFailures, progress: progress)
        while var results = await buffer.next() {
            // In place: copying each result out of the array retained and released every field of it.
            results.withUnsafeMutableBufferPointer { results in
                for index in results.indices {
                    results[index].source = targets.source(of: results[index].address)
                    deliver(&results[index])
                }
            }
        }
        await checked
    }

    /// Whether a run needs every result at its end: for the state file (every address's state, for drift), the
    /// metrics textfile (one family after the other, one series per address, sorted) and `aws-ptr on` (AWS's
    /// records arrive beside the checks and change their verdicts). Without these `--once` writes its report as
    /// the results come (`streamedOnce`).
    public var needsEveryResult: Bool {
        configuration.statePath != nil || configuration.textfilePath != nil || configuration.awsPTR
    }

    /// `--once` when the run does not need every result at its end (`needsEveryResult`): each result, with its
    /// source and fix, is handed to `deliver` in target order as soon as it and those before it are done, and at
    /// most `ReorderBuffer.capacity(checksInFlight:)` are held meanwhile. `begin` gets the targets (after
    /// discovery) and the run's start, in seconds since the epoch, before the first. Nothing is recorded: there is
    /// no state, so no drift and no on-change; the run's problems are logged as a recorded run logs them.
    public func streamedOnce(with resolver: any DNSResolver, host: HostSources = HostSources(),
                             progress: CheckProgress? = nil, begin: (CheckTargets, Int) -> Void,
                             deliver: (AddressResult) -> Void) async -> ReportTail {
        precondition(!needsEveryResult && host.aws == nil, "a run that needs every result at its end")
        let check = ForwardConfirmation(resolver: resolver, policy: configuration.policy)
        let startedAt = Int(clock.wallSeconds)
        let started = clock.monotonicSeconds
        var findings = HostFindings()
        let targets = await findings.discover(with: host.discoverer, configuration: configuration, lastDiscovered: nil)
        let region = configuration.awsRegion ?? findings.region
        begin(targets.checked, startedAt)
        var counts = StatusCounts()
        await CheckRun.check(targets, with: check, resolver: resolver, bounded: true, previousFailures: [:],
                             progress: progress) { result in
            counts.add(result.status)
            // Advised in place, then handed on from one call: a call on each branch was merged into one, which
            // copied the result first (retaining every array in it, then releasing them again).
            if !result.problems.isEmpty { result = FixAdvice.advise(result, region: region) }
            deliver(result)
        }
        for problem in findings.problems { logger.warning(problem.message) }
        return ReportTail(counts: counts, durationSeconds: clock.monotonicSeconds - started,
                          problems: findings.problems, discovery: findings.discovery, aws: findings.aws)
    }

    /// Records a finished run (drift, deliveries, state file, metrics) and builds its report and summary.
    /// `nextRunInSeconds` is for the daemon's status line.
    public func record(_ run: CheckedRun, nextRunInSeconds: Double? = nil) -> RunRecorder.Recorded {
        for line in run.pacing?.logLines ?? [] { logger.notice(line) }
        return recorder.record(run.results, host: run.host, startedAt: run.startedAt,
                               durationSeconds: run.durationSeconds, nextRunInSeconds: nextRunInSeconds)
    }

    /// `--once`: one run, recorded, its on-change deliveries made (each within its time limit) before it returns.
    ///
    /// Once the checks are done, `stopSignals` (SIGTERM, SIGINT) stop the on-change programs instead of the
    /// process: their process groups are killed, what they did not deliver is saved in the state file as owed (by
    /// this thread, the state file's only writer), and the signal is returned. During the checks the signals end
    /// the process as by default (nothing has been written yet, and nothing is lost), once the `aws` command, which
    /// runs in a process group of its own and would outlive it, is stopped.
    public func once(with resolver: any DNSResolver, host: HostSources = HostSources(), progress: CheckProgress? = nil,
                     stopSignals: [Int32] = []) async -> (recorded: RunRecorder.Recorded, stoppedBy: Int32?) {
        let received = ReceivedSignal()
        let checksDone = Locked(false)
        let stopDeliveries = recorder.stopDeliveries
        let aws = host.aws
        let sources = stopSignals.isEmpty ? nil : SignalSources(stopSignals) { signalNumber in
            guard checksDone.withLock({ $0 }) else {
                aws?.stopAll()
                // The default action, from this thread: libdispatch keeps the signal blocked in every thread (it
                // reads it from a signalfd), so it is unblocked here and raised to this thread alone.
                signal(signalNumber, SIG_DFL)
                var only = sigset_t()
                sigemptyset(&only)
                sigaddset(&only, signalNumber)
                pthread_sigmask(SIG_UNBLOCK, &only, nil)
                raise(signalNumber)
                return
            }
            received.note(signalNumber)
            stopDeliveries()
        }
        let checked = await checks(with: resolver, host: host, progress: progress)()
        checksDone.withLock { $0 = true }
        var recorded = record(checked)
        if !recorder.finishPendingWork() { recorded.writeFailed = true }
        withExtendedLifetime(sources) {}
        return (recorded, received.first)
    }

    /// A new configuration for the runs to come (see `RunRecorder.reconfigure`).
    public func reconfigure(_ configuration: Configuration) {
        self.configuration = configuration
        recorder.reconfigure(configuration)
    }

    /// The daemon is stopping: see `RunRecorder.stop`.
    public func stop() {
        recorder.stop()
    }
}

/// The first stop signal `--once` received while it waited for its on-change programs.
private final class ReceivedSignal: Sendable {
    private let number = Locked<Int32?>(nil)

    func note(_ signalNumber: Int32) {
        number.withLock { $0 = $0 ?? signalNumber }
    }

    var first: Int32? { number.withLock { $0 } }
}
