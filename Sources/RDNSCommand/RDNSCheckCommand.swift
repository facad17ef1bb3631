import RDNSCore
import RDNSPOSIX
import RDNSDaemon
import RDNSResolver
import RDNSRun

#if canImport(Glibc)
import Glibc
#endif

/// The `rdnscheck` command: turns arguments into a run and the run into output and an exit code.
public enum RDNSCheckCommand {
    public static let version = "0.1.0"

    /// Runs the command with the arguments after the program name and returns the exit code. `@concurrent`: the
    /// executable calls it from the main actor, and a run (the daemon's loop above all) must not hold that.
    @concurrent public static func run(_ arguments: [String]) async -> Int32 {
        let options: CommandLineOptions
        do {
            options = try CommandLineOptions.parse(arguments)
        } catch {
            Output.error("rdnscheck: \(error); see 'rdnscheck --help'")
            return Status.unknown.exitCode
        }
        if options.showHelp {
            Output.write(HelpText.text)
            return 0
        }
        if options.showVersion {
            Output.write("rdnscheck \(version)\n")
            return 0
        }
        if let requests = options.preflight {
            return await PreflightRun.run(options, requests: requests)
        }

        guard options.once || options.checkConfig else {
            let concurrency = options.concurrency
            let environment = environmentVariables()
            let parts = DaemonParts(makeResolver: { configuration in
                try configuration.engine.makeResolver(settings: ResolverSettings(configuration),
                                                      concurrency: concurrency)
            }, makeHostSources: { hostSources(for: $0, environment: environment) })
            let daemon = Daemon.start(loadConfiguration: { loadConfiguration(options) }, parts: parts)
            switch daemon {
            case .success(let daemon): return await daemon.run()
            case .failure(let exit): return exit.code
            }
        }
        let (configuration, errors) = loadConfiguration(options)
        if options.checkConfig {
            guard errors.isEmpty else {
                for error in errors { Output.error(error.description) }
                return ConfigurationError.exitCode
            }
            Output.write("configuration OK\n")
            return 0
        }
        guard errors.isEmpty else { return unusable(errors) }
        return await OnceRun.run(configuration, format: options.format, receivers: options.receivers,
                                 quiet: options.quiet, concurrency: options.concurrency)
    }

    /// Prints every configuration error and the UNKNOWN line; the exit code of a run that cannot start.
    static func unusable(_ errors: [ConfigurationError]) -> Int32 {
        for error in errors { Output.error(error.description) }
        let plural = errors.count == 1 ? "" : "s"
        Output.error("rdnscheck: UNKNOWN: the configuration has \(errors.count) error\(plural)")
        return Status.unknown.exitCode
    }

    /// The configuration file (the one given with -c, or the default one when no addresses were given), with
    /// the command line's settings and addresses on top.
    static func loadConfiguration(_ options: CommandLineOptions) -> (Configuration, [ConfigurationError]) {
        var configuration = Configuration()
        var errors: [ConfigurationError] = []
        let path = options.configPath ?? (options.targets.isEmpty ? CommandLineOptions.defaultConfigPath : nil)
        if let path {
            (configuration, errors) = ConfigurationParser.parse(file: path, source: FileSystemSource())
        }
        if !options.nameservers.isEmpty { configuration.nameservers = options.nameservers }
        if let timeout = options.timeoutSeconds { configuration.timeoutSeconds = timeout }
        if let rate = options.rate { configuration.rate = rate }
        if let engine = options.engine { configuration.engine = engine }
        if let state = options.statePath { configuration.statePath = state }
        if let textfile = options.textfilePath { configuration.textfilePath = textfile }
        if !options.targets.isEmpty {
            configuration.targets = options.targets
            configuration.targetSource = .commandLine
        }
        // One file for both would have each run's metrics overwrite the state: every load would find it corrupt.
        if let state = configuration.statePath, state == configuration.textfilePath {
            errors.append(ConfigurationError(file: path ?? "command line", line: 0,
                                             message: "state and textfile are the same file, \(state): the metrics "
                                                 + "would overwrite the state"))
        }
        // The first write would replace such a node, and as root /dev/null became a regular file: refused here at
        // start, on reload and by --check-config alike, and by AtomicFile at every write should one appear later.
        // A state file that is a symbolic link is refused too: it is never read (a link is not followed), and the
        // first write would replace it, losing the baseline its target holds. Following it instead would let a link
        // planted in the directory point a root daemon's writes anywhere. The textfile holds metrics only: a link
        // there is simply replaced.
        for (directive, value, given, linksAllowed) in [
            ("state", configuration.statePath, options.statePath, false),
            ("textfile", configuration.textfilePath, options.textfilePath, true),
        ] {
            guard let value, let node = AtomicFile.nodeInTheWay(value, linksAllowed: linksAllowed) else { continue }
            let wanted = linksAllowed ? "a regular file, a symbolic link or absent"
                : "a regular file or absent" + (!node.hasPrefix("a symbolic link") ? ""
                    : ": give the real path" + (realPath(value).map { ", \($0)" } ?? ""))
            errors.append(ConfigurationError(file: given == nil ? (path ?? "command line") : "command line", line: 0,
                                             message: "\(directive) \(value) is \(node); it must be \(wanted)"))
        }
        if errors.isEmpty && configuration.targets.isEmpty && configuration.discovery == nil {
            errors.append(ConfigurationError(file: path ?? "command line", line: 0,
                                             message: "nothing to check: no 'check' lines, no 'discover' line and "
                                                 + "no addresses given"))
        }
        return (configuration, errors)
    }

    /// The absolute path `path` names with every symbolic link resolved; nil when it cannot be (a dangling link).
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension Status {
    /// The monitoring-plugins exit code.
    public var exitCode: Int32 { Int32(rawValue) }
}
