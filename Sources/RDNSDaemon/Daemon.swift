import Dispatch
import RDNSCore
import RDNSResolver

#if canImport(Glibc)
import Glibc
#endif

/// One finished run of the checks.
struct CompletedRun: Sendable {
    let results: [AddressResult]
    /// Start of the run, seconds since the epoch.
    let startedAt: Int
    let durationSeconds: Double
}

/// The long-running service: runs the checks every `interval` (the first run at start, never two at once), and
/// handles SIGTERM/SIGINT (stop), SIGHUP (reload) and SIGUSR1 (run now) from its loop, telling systemd each step.
public final class Daemon {
    /// Reads and validates the configuration (the file and the command line's overrides) anew.
    public typealias ConfigurationLoader = @Sendable () -> (Configuration, [ConfigurationError])

    private let loadConfiguration: ConfigurationLoader
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let mailbox = EventMailbox()
    private var configuration: Configuration
    private var recorder: RunRecorder
    private var resolver: PipelinedResolver
    /// The resolver of the run in progress; after a reload it may no longer be `resolver`, and is shut down
    /// when its run ends.
    private var runResolver: PipelinedResolver?
    private let window: Int

    /// Exit codes: 0 after a requested stop, 6 for an invalid configuration at start, 1 for other fatal errors.
    public static let exitStopped: Int32 = 0
    public static let exitInvalidConfiguration: Int32 = 6
    public static let exitFatal: Int32 = 1

    /// Loads the configuration and sets up the resolver; nil and the exit code when that fails (errors logged).
    public static func start(loadConfiguration: @escaping ConfigurationLoader,
                             window: Int = PipelinedResolver.defaultWindow, logger: Logger = Logger(),
                             notifier: SystemdNotifier = SystemdNotifier()) -> Result<Daemon, ExitCode> {
        let (configuration, errors) = loadConfiguration()
        guard errors.isEmpty else {
            for error in errors { logger.error(error.description) }
            logger.error("invalid configuration (\(errors.count) error\(errors.count == 1 ? "" : "s")); not starting")
            return .failure(ExitCode(exitInvalidConfiguration))
        }
        let resolver: PipelinedResolver
        do {
            resolver = try makeResolver(configuration, window: window)
        } catch {
            logger.error("\(error)")
            return .failure(ExitCode(exitFatal))
        }
        if let reduction = resolver.concurrencyReduction { logger.warning(reduction) }
        let recorder = RunRecorder(configuration: configuration, logger: logger, keepsStateInMemory: true)
        return .success(Daemon(configuration: configuration, resolver: resolver, window: window, recorder: recorder,
                               loadConfiguration: loadConfiguration, logger: logger, notifier: notifier))
    }

    public struct ExitCode: Error {
        public let code: Int32
        init(_ code: Int32) { self.code = code }
    }

    private init(configuration: Configuration, resolver: PipelinedResolver, window: Int, recorder: RunRecorder,
                 loadConfiguration: @escaping ConfigurationLoader, logger: Logger, notifier: SystemdNotifier) {
        self.configuration = configuration
        self.resolver = resolver
        self.window = window
        self.recorder = recorder
        self.loadConfiguration = loadConfiguration
        self.logger = logger
        self.notifier = notifier
    }

    private static func makeResolver(_ configuration: Configuration, window: Int) throws -> PipelinedResolver {
        try PipelinedResolver(settings: ResolverSettings(configuration), window: window)
    }

    /// Runs until stopped; returns the exit code.
    public func run() async -> Int32 {
        let signals = SignalEvents(mailbox: mailbox)
        let watchdog = startWatchdog()
        defer {
            watchdog?.cancel()
            withExtendedLifetime(signals) {}
        }
        logger.info("rdnscheck started: \(Daemon.addresses(configuration.targets.count)) every "
                    + "\(configuration.intervalSeconds)s")
        notifier.send("READY=1\nSTATUS=first run in progress")

        var nextRun = MonotonicClock.seconds()
        var running = false
        var runAgain = false
        while true {
            let event = await mailbox.next(until: running ? nil : nextRun)
            switch event {
            case nil:
                running = true
                startRun()
            case .runNow?:
                if running {
                    runAgain = true
                } else {
                    logger.info("SIGUSR1: running the checks now")
                    running = true
                    startRun()
                }
            case .reload?:
                reload()
            case .stop?:
                // In-flight lookups are not waited for: the process ends now, and the state of the interrupted
                // run is simply not recorded. The on-change deliveries not made (running programs are stopped)
                // go into the state file, so that the next start makes them.
                notifier.send("STOPPING=1")
                logger.info("stopping\(running ? " (interrupting a run)" : "")")
                recorder.stop()
                return Daemon.exitStopped
            case .watchdog?:
                notifier.send("WATCHDOG=1")
            case .runFinished(let run)?:
                running = false
                if let finished = runResolver, finished !== resolver { finished.shutdown() }
                runResolver = nil
                let started = MonotonicClock.seconds() - run.durationSeconds
                nextRun = started + Double(configuration.intervalSeconds)
                if MonotonicClock.seconds() > nextRun {
                    logger.warning("the run took \(PlainFormat.decimal(run.durationSeconds, places: 1))s, longer than "
                                   + "the interval (\(configuration.intervalSeconds)s); the next run starts now")
                }
                if runAgain {
                    runAgain = false
                    nextRun = MonotonicClock.seconds()
                }
                let recorded = recorder.record(run.results, startedAt: run.startedAt,
                                               durationSeconds: run.durationSeconds,
                                               nextRunInSeconds: max(0, nextRun - MonotonicClock.seconds()))
                notifier.send("STATUS=\(recorded.statusLine)")
            }
        }
    }

    private func startRun() {
        let resolver = self.resolver
        runResolver = resolver
        let check = ForwardConfirmation(resolver: resolver, policy: configuration.policy)
        let targets = configuration.targets
        let previousFailures = recorder.temporaryFailureCounts()
        let mailbox = self.mailbox
        // The checks run on the resolver's own thread (its task executor), beside its sockets.
        Task(executorPreference: resolver) {
            let startedAt = Int(time(nil))
            let started = MonotonicClock.seconds()
            let results = await check.check(targets, concurrency: resolver.checksInFlight,
                                            previousTemporaryFailures: previousFailures)
            mailbox.post(.runFinished(CompletedRun(results: results, startedAt: startedAt,
                                                   durationSeconds: MonotonicClock.seconds() - started)))
        }
    }

    /// SIGHUP: read the configuration again; an invalid one is logged with its errors and the old one kept.
    private func reload() {
        notifier.send("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())")
        defer { notifier.send("READY=1") }
        let (candidate, errors) = loadConfiguration()
        guard errors.isEmpty else {
            for error in errors { logger.error(error.description) }
            logger.error("SIGHUP: the new configuration has \(errors.count) error\(errors.count == 1 ? "" : "s"); "
                         + "keeping the old one")
            return
        }
        do {
            let newResolver = try Daemon.makeResolver(candidate, window: window)
            // The replaced resolver stops now, unless a run still uses it (then it stops when that run ends).
            if resolver !== runResolver { resolver.shutdown() }
            resolver = newResolver
        } catch {
            logger.error("SIGHUP: \(error); keeping the old configuration")
            return
        }
        configuration = candidate
        recorder.reconfigure(candidate)
        logger.info("SIGHUP: configuration reloaded: \(Daemon.addresses(candidate.targets.count)) every "
                    + "\(candidate.intervalSeconds)s")
    }

    static func addresses(_ count: Int) -> String {
        count == 1 ? "1 address" : "\(count) addresses"
    }

    /// At half `WatchdogSec`, asks the loop to ping systemd's watchdog: the ping comes from the loop itself, so it
    /// goes on during long runs (the loop waits for events then) and stops when the loop or the process is stuck.
    private func startWatchdog() -> Task<Void, Never>? {
        guard let microseconds = notifier.watchdogMicroseconds else { return nil }
        let mailbox = self.mailbox
        return Task.detached {
            while !Task.isCancelled {
                mailbox.post(.watchdog)
                try? await Task.sleep(nanoseconds: microseconds * 1_000 / 2)
            }
        }
    }
}
