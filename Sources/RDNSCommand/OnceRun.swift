import RDNSCore
import RDNSPOSIX
import RDNSResolver
import RDNSRun

#if canImport(Glibc)
import Glibc
#endif

/// `rdnscheck --once`: check every target, print the report, exit with the run's status.
enum OnceRun {
    static func run(_ configuration: Configuration, format: ReportFormat, receivers: Bool, quiet: Bool,
                    concurrency: Int?) async -> Int32 {
        let resolver: any DNSResolver
        do {
            resolver = try configuration.engine.makeResolver(settings: ResolverSettings(configuration),
                                                             concurrency: concurrency)
        } catch {
            Output.error("rdnscheck: UNKNOWN: \(error)")
            return Status.unknown.exitCode
        }
        defer { resolver.shutdown() }

        // Drift log lines go to stderr with the report on stdout; with --quiet a run that is OK and unchanged
        // prints nothing at all, so the lines wait until that is known. A warning or an error is never silent (a
        // file that could not be written, an on-change program that failed or was dropped after its last try):
        // cron would otherwise mail nothing while drift goes unrecorded or unreported.
        let logLines = LogBuffer()
        let logger = Logger(journal: Logger.stderrIsJournal(), writeWithPriority: { logLines.append($1, $0) })
        if let reduction = resolver.concurrencyReduction { logger.warning(reduction) }
        if let notice = resolver.nameserverNotice { logger.notice(notice) }
        let run = CheckRun(configuration: configuration, logger: logger, keepsStateInMemory: false)
        let environment = environmentVariables()
        let host = hostSources(for: configuration, environment: environment)
        if !run.needsEveryResult,
           let report = StreamedReport(format: format, receivers: receivers, quiet: quiet, environment: environment) {
            // Lines written to the terminal as they come show the progress themselves, and a display redrawn
            // between them would break them (nagios's wait for the end).
            let lines = isatty(STDOUT_FILENO) == 1 && !format.tailComesFirst
            let progress = lines ? nil : ProgressDisplay.start(total: configuration.targets.count)
            return await streamed(run, to: report, with: resolver, host: host, progress: progress, quiet: quiet,
                                  logLines: logLines)
        }
        let progress = ProgressDisplay.start(total: configuration.targets.count)
        let (recorded, stoppedBy) = await run.once(with: resolver, host: host, progress: progress?.counter,
                                                   stopSignals: [SIGTERM, SIGINT])
        progress?.finish()
        if let stoppedBy {
            logger.warning("stopped by signal \(stoppedBy) while waiting for on-change programs; the deliveries "
                           + "not made are kept in the state file for the next run")
        }

        let report = recorded.report
        let warned = logLines.worst.map { $0 <= .warning } ?? false
        if !(quiet && report.status == .ok && report.drifts.isEmpty && report.detached.isEmpty
                && !recorded.writeFailed && !warned) {
            for line in logLines.lines {
                Output.write(line, to: STDERR_FILENO)
            }
            format.write(report, receivers: receivers) { Output.write($0) }
        }
        // The process exits next, and the kernel takes its memory back at once: releasing a range's results one
        // object at a time first cost about 4% of a /16's CPU. Kept reachable, so leak checkers see no leak.
        OnceRun.keptUntilExit.withLock { $0 = report }
        // The shell's convention for a process ended by a signal.
        return stoppedBy.map { 128 + $0 } ?? report.status.exitCode
    }

    private static let keptUntilExit = Locked<RunReport?>(nil)

    /// A run that does not need every result at its end (`CheckRun.needsEveryResult`): the report is written as
    /// the results come, through the writer of the whole report, so memory does not grow with the range while the
    /// output and exit code stay the same. A signal during the checks ends the process as by default: there is no
    /// on-change delivery to wait for and nothing to save.
    private static func streamed(_ run: CheckRun, to report: StreamedReport, with resolver: any DNSResolver,
                                 host: HostSources, progress: ProgressDisplay?, quiet: Bool,
                                 logLines: LogBuffer) async -> Int32 {
        let warned = { logLines.worst.map { $0 <= .warning } ?? false }
        let tail = await run.streamedOnce(with: resolver, host: host, progress: progress?.counter, begin: {
            report.begin(targets: $0, checkedAt: $1, printing: warned())
        }, deliver: report.add)
        progress?.finish()
        let print = !(quiet && tail.status == .ok && !warned())
        if print {
            for line in logLines.lines { Output.write(line, to: STDERR_FILENO) }
        }
        if let failure = report.finish(tail, print: print) {
            Output.error("rdnscheck: UNKNOWN: the report is incomplete: \(failure)")
            return Status.unknown.exitCode
        }
        return tail.status.exitCode
    }
}

/// Log lines kept until the run's output is decided, and the worst priority among them.
final class LogBuffer: Sendable {
    private let stored = Locked<(lines: [String], worst: LogPriority?)>(([], nil))

    func append(_ line: String, _ priority: LogPriority) {
        stored.withLock { stored in
            stored.lines.append(line)
            stored.worst = min(stored.worst ?? priority, priority)
        }
    }

    var lines: [String] { stored.withLock { $0.lines } }
    /// The most urgent priority logged (`.error` is the worst), nil when nothing was.
    var worst: LogPriority? { stored.withLock { $0.worst } }
}

/// Writes to stdout and stderr with plain write(2): no buffering surprises, and a closed pipe is not fatal.
enum Output {
    static func write(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    static func write(_ text: String, to descriptor: Int32) {
        writeAll(text, to: descriptor)
    }

    /// One line on stderr: control characters in it (from arguments or file names) are escaped.
    static func error(_ line: String) {
        writeAll(Escaping.oneLine(line) + "\n", to: STDERR_FILENO)
    }
}
