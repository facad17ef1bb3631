import RDNSCore
import RDNSRun

/// What a daemon is built from besides its configuration: all of it replaceable, so tests drive the loop with a
/// fake resolver, a manual clock and a recording notifier, and never wait on the wall clock.
public struct DaemonParts: Sendable {
    /// The resolver for a configuration, at start and at each reload.
    public var makeResolver: @Sendable (Configuration) throws -> any DNSResolver
    public var logger: Logger
    public var notifier: any ServiceNotifier
    public var clock: any TimeSource
    /// Runs the `on-change` program (nil: an `OnChangeRunner`).
    public var deliveryRunner: (any DeliveryRunner)?
    /// The parts that ask about the host besides DNS (discovery, AWS) for a configuration, at each run.
    public var makeHostSources: @Sendable (Configuration) -> HostSources

    public init(makeResolver: @escaping @Sendable (Configuration) throws -> any DNSResolver, logger: Logger = Logger(),
                notifier: any ServiceNotifier = SystemdNotifier(), clock: any TimeSource = SystemTimeSource(),
                deliveryRunner: (any DeliveryRunner)? = nil,
                makeHostSources: @escaping @Sendable (Configuration) -> HostSources = { _ in HostSources() }) {
        self.makeResolver = makeResolver
        self.makeHostSources = makeHostSources
        self.logger = logger
        self.notifier = notifier
        self.clock = clock
        self.deliveryRunner = deliveryRunner
    }
}

/// The long-running service: runs the checks every `interval` (the first run at start, never two at once), and
/// handles SIGTERM/SIGINT (stop), SIGHUP (reload) and SIGUSR1 (run now) from its loop, telling systemd each step.
public final class Daemon {
    /// Reads and validates the configuration (the file and the command line's overrides) anew.
    public typealias ConfigurationLoader = @Sendable () -> (Configuration, [ConfigurationError])

    private let loadConfiguration: ConfigurationLoader
    private let parts: DaemonParts
    private var logger: Logger { parts.logger }
    private var notifier: any ServiceNotifier { parts.notifier }
    private var clock: any TimeSource { parts.clock }
    let mailbox: EventMailbox
    private let checkRun: CheckRun
    private var configuration: Configuration { checkRun.configuration }
    private var resolver: any DNSResolver
    /// The resolver of the run in progress, and whether it is still `resolver`: one replaced by a reload is shut
    /// down when its run ends.
    private var runResolver: (any DNSResolver)?
    private var runResolverIsCurrent = false
    /// What the run in progress asks about the host: its `aws` command is stopped with the daemon (it runs in a
    /// process group of its own and would outlive it).
    private var runHost: HostSources?

    /// Exit codes: 0 after a requested stop, `ConfigurationError.exitCode` for an invalid configuration at start,
    /// 1 for other fatal errors.
    public static let exitStopped: Int32 = 0
    public static let exitFatal: Int32 = 1

    /// Loads the configuration and sets up the resolver; nil and the exit code when that fails (errors logged).
    public static func start(loadConfiguration: @escaping ConfigurationLoader, parts: DaemonParts)
        -> Result<Daemon, ExitCode> {
        let logger = parts.logger
        let (configuration, errors) = loadConfiguration()
        guard errors.isEmpty else {
            for error in errors { logger.error(error.description) }
            logger.error("invalid configuration (\(errors.count) error\(errors.count == 1 ? "" : "s")); not starting")
            return .failure(ExitCode(ConfigurationError.exitCode))
        }
        let resolver: any DNSResolver
        do {
            resolver = try parts.makeResolver(configuration)
        } catch {
            logger.error("\(error)")
            return .failure(ExitCode(exitFatal))
        }
        if let reduction = resolver.concurrencyReduction { logger.warning(reduction) }
        if let notice = resolver.nameserverNotice { logger.notice(notice) }
        return .success(Daemon(configuration: configuration, resolver: resolver, parts: parts,
                               loadConfiguration: loadConfiguration))
    }

    public struct ExitCode: Error {
        public let code: Int32
        init(_ code: Int32) { self.code = code }
    }

    private init(configuration: Configuration, resolver: any DNSResolver, parts: DaemonParts,
                 loadConfiguration: @escaping ConfigurationLoader) {
        self.parts = parts
        self.resolver = resolver
        self.loadConfiguration = loadConfiguration
        mailbox = EventMailbox(clock: parts.clock)
        checkRun = CheckRun(configuration: configuration, logger: parts.logger, clock: parts.clock,
                            keepsStateInMemory: true, deliveryRunner: parts.deliveryRunner)
    }

    /// Runs until stopped, with the process's signals as events; returns the exit code.
    public func run() async -> Int32 {
        let signals = SignalEvents(mailbox: mailbox)
        defer { withExtendedLifetime(signals) {} }
        return await loop()
    }

    /// The loop: one event or deadline at a time. Its deadlines are the next run and, at half `WatchdogSec`, the
    /// next watchdog ping: the ping comes from the loop itself, so it goes on during long runs (the loop waits for
    /// events then) and stops when the loop or the process is stuck.
    func loop() async -> Int32 {
        logger.info("rdnscheck started: \(Daemon.addresses(configuration)) every "
                    + "\(configuration.intervalSeconds)s")
        notifier.send("READY=1\nSTATUS=first run in progress")

        let pingInterval = notifier.watchdogMicroseconds.map { Double($0) / 2_000_000 }
        var nextPing = pingInterval.map { _ in clock.monotonicSeconds }
        var nextRun = clock.monotonicSeconds
        var lastRunStart: Double?
        var running = false
        var runAgain = false
        while true {
            let now = clock.monotonicSeconds
            if let ping = nextPing, let pingInterval, now >= ping {
                notifier.send("WATCHDOG=1")
                nextPing = now + pingInterval
            }
            if !running && now >= nextRun {
                running = true
                lastRunStart = now
                startRun()
            }
            let deadline = [running ? nil : nextRun, nextPing].compactMap { $0 }.min()
            guard let event = await mailbox.next(until: deadline) else { continue }
            switch event {
            case .runNow:
                if running {
                    runAgain = true
                } else {
                    logger.info("SIGUSR1: running the checks now")
                    nextRun = clock.monotonicSeconds
                }
            case .reload:
                // A shorter interval applies from the last run's start, not after the old interval: 3600 s lowered
                // to 60 s while idle used to wait up to an hour. A run in progress schedules the next at its end.
                if reload(running: running), !running, let lastRunStart {
                    nextRun = min(nextRun, lastRunStart + Double(configuration.intervalSeconds))
                }
            case .stop:
                // In-flight lookups are not waited for: the process ends now, and the state of the interrupted
                // run is simply not recorded. The on-change deliveries not made (running programs are stopped)
                // go into the state file, so that the next start makes them.
                notifier.send("STOPPING=1")
                logger.info("stopping\(running ? " (interrupting a run)" : "")")
                runHost?.aws?.stopAll()
                checkRun.stop()
                return Daemon.exitStopped
            case .runFinished(let run):
                running = false
                if !runResolverIsCurrent { runResolver?.shutdown() }
                runResolver = nil
                runHost = nil
                let now = clock.monotonicSeconds
                nextRun = now - run.durationSeconds + Double(configuration.intervalSeconds)
                if now > nextRun {
                    logger.warning("the run took \(PlainFormat.decimal(run.durationSeconds, places: 1))s, longer than "
                                   + "the interval (\(configuration.intervalSeconds)s); the next run starts now")
                }
                if runAgain {
                    runAgain = false
                    nextRun = now
                }
                let recorded = checkRun.record(run, nextRunInSeconds: max(0, nextRun - now))
                logger.info(recorded.summaryLine)
                notifier.send("STATUS=\(recorded.statusLine)")
            }
        }
    }

    private func startRun() {
        runResolver = resolver
        runResolverIsCurrent = true
        let host = parts.makeHostSources(configuration)
        runHost = host
        let checks = checkRun.checks(with: resolver, host: host)
        let mailbox = self.mailbox
        Task { mailbox.post(.runFinished(await checks())) }
    }

    /// SIGHUP: read the configuration again; an invalid one is logged with its errors and the old one kept.
    /// True when the new one is applied.
    private func reload(running: Bool) -> Bool {
        notifier.send("RELOADING=1\nMONOTONIC_USEC=\(UInt64(clock.monotonicSeconds * 1_000_000))")
        defer { notifier.send("READY=1") }
        let (candidate, errors) = loadConfiguration()
        guard errors.isEmpty else {
            for error in errors { logger.error(error.description) }
            logger.error("SIGHUP: the new configuration has \(errors.count) error\(errors.count == 1 ? "" : "s"); "
                         + "keeping the old one")
            return false
        }
        do {
            let newResolver = try parts.makeResolver(candidate)
            if let reduction = newResolver.concurrencyReduction { logger.warning(reduction) }
            if let notice = newResolver.nameserverNotice { logger.notice(notice) }
            // The replaced resolver stops now, unless a run still uses it (then it stops when that run ends).
            if !(running && runResolverIsCurrent) { resolver.shutdown() }
            resolver = newResolver
            runResolverIsCurrent = false
        } catch {
            logger.error("SIGHUP: \(error); keeping the old configuration")
            return false
        }
        checkRun.reconfigure(candidate)
        logger.info("SIGHUP: configuration reloaded: \(Daemon.addresses(candidate)) every "
                    + "\(candidate.intervalSeconds)s")
        return true
    }

    /// `3 addresses`, and `and the addresses discover ec2 finds` when it is on.
    static func addresses(_ configuration: Configuration) -> String {
        let count = configuration.targets.count
        let configured = count == 1 ? "1 address" : "\(count) addresses"
        guard let discovery = configuration.discovery else { return configured }
        return (count == 0 ? "" : configured + " and ") + "the addresses discover \(discovery.source.rawValue) finds"
    }
}
