import RDNSCore

/// What the command line asks for, before any file is read.
public struct CommandLineOptions: Equatable, Sendable {
    public var once = false
    public var checkConfig = false
    public var showHelp = false
    public var showVersion = false
    public var configPath: String? = nil
    public var format: ReportFormat = .text
    public var quiet = false
    /// `--receivers`: the text report says under each address what each receiver rule does with its mail.
    public var receivers = false
    public var nameservers: [Nameserver] = []
    public var timeoutSeconds: Int? = nil
    /// `--rate`, over the configuration file's `rate`: nil when not given, `.some(nil)` for `--rate off`.
    public var rate: Int?? = nil
    public var statePath: String? = nil
    public var textfilePath: String? = nil
    /// The most DNS queries in flight at once (`--concurrency`); nil: the engine's default.
    public var concurrency: Int? = nil
    /// `--engine`, over the configuration file's `engine`.
    public var engine: ResolverEngine? = nil
    /// From `ADDRESS[=NAME]` and `CIDR` arguments, in order, each address once.
    public var targets = CheckTargets()
    /// `--preflight`: the `ADDRESS=NAME` arguments, in order.
    public var preflight: [PreflightRequest]? = nil

    public static let defaultConfigPath = "/etc/rdnscheck/rdnscheck.conf"

    public init() {}

    /// A bad command line: one clear line, printed with a pointer to `--help` (exit 3).
    public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(UsageError) -> CommandLineOptions {
        var options = CommandLineOptions()
        var index = 0
        var onlyOperands = false
        var operands: [String] = []
        var preflight = false

        func value(for option: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw UsageError(description: "option '\(option)' needs a value") }
            return arguments[index]
        }

        while index < arguments.count {
            let argument = arguments[index]
            defer { index += 1 }
            if onlyOperands || !argument.hasPrefix("-") || argument == "-" {
                operands.append(argument)
                continue
            }
            var name = argument
            var inline: String? = nil
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inline = String(argument[argument.index(after: equals)...])
            }
            let flagOnly = { () throws(UsageError) in
                if inline != nil { throw UsageError(description: "option '\(name)' takes no value") }
            }
            switch name {
            case "--":
                onlyOperands = true
            case "--once":
                try flagOnly()
                options.once = true
            case "--check-config":
                try flagOnly()
                options.checkConfig = true
            case "--preflight":
                try flagOnly()
                preflight = true
            case "--receivers":
                try flagOnly()
                options.receivers = true
            case "-q", "--quiet":
                try flagOnly()
                options.quiet = true
            case "-h", "--help":
                try flagOnly()
                options.showHelp = true
            case "-V", "--version":
                try flagOnly()
                options.showVersion = true
            case "-c", "--config":
                options.configPath = try value(for: name, inline: inline)
            case "--format":
                let text = try value(for: name, inline: inline)
                guard let format = ReportFormat(rawValue: text) else {
                    throw UsageError(description: "unknown format '\(text)' (use text, nagios or json)")
                }
                options.format = format
            case "--nameserver":
                let text = try value(for: name, inline: inline)
                options.nameservers.append(try setting { () throws(InvalidSetting) in
                    try SettingValues.nameserver(text, after: options.nameservers)
                })
            case "--timeout":
                let text = try value(for: name, inline: inline)
                options.timeoutSeconds = try setting { () throws(InvalidSetting) in try SettingValues.timeout(text) }
            case "--rate":
                let text = try value(for: name, inline: inline)
                options.rate = .some(try setting { () throws(InvalidSetting) in try SettingValues.rate(text) })
            case "--concurrency":
                let text = try value(for: name, inline: inline)
                options.concurrency = try setting { () throws(InvalidSetting) in try SettingValues.concurrency(text) }
            case "--engine":
                let text = try value(for: name, inline: inline)
                guard let engine = SettingValues.engine(text) else {
                    throw UsageError(description: "unknown engine '\(text)' (use \(SettingValues.engineChoices))")
                }
                options.engine = engine
            case "--state":
                let text = try value(for: name, inline: inline)
                options.statePath = try setting { () throws(InvalidSetting) in
                    try SettingValues.absolutePath(text, of: name)
                }
            case "--textfile":
                let text = try value(for: name, inline: inline)
                options.textfilePath = try setting { () throws(InvalidSetting) in
                    try SettingValues.absolutePath(text, of: name)
                }
            default:
                throw UsageError(description: "unknown option '\(name)'")
            }
        }
        if preflight {
            try options.addPreflight(operands)
        } else {
            for operand in operands { try options.addTargets(operand) }
        }
        return options
    }

    /// `--preflight ADDRESS=NAME …`: a mode of its own, printing text or json.
    private mutating func addPreflight(_ operands: [String]) throws(UsageError) {
        guard !once && !checkConfig else {
            throw UsageError(description: "--preflight cannot be combined with \(once ? "--once" : "--check-config")")
        }
        guard format != .nagios else { throw UsageError(description: "--preflight prints text or json, not nagios") }
        guard !operands.isEmpty else { throw UsageError(description: "--preflight needs at least one ADDRESS=NAME") }
        var requests: [PreflightRequest] = []
        for operand in operands {
            do {
                requests.append(try PreflightRequest(parsing: operand))
            } catch {
                throw UsageError(description: error.description)
            }
        }
        preflight = requests
    }

    /// Adds each address once, as the configuration file does: an expected name given for an address listed
    /// without one (in a range, say) applies to it; two different expected names are an error.
    private mutating func addTargets(_ argument: String) throws(UsageError) {
        switch TargetParser.parseArgument(argument) {
        case .failure(let error):
            throw UsageError(description: error.description)
        case .success(let parsed):
            do {
                try targets.add(contentsOf: parsed)
            } catch {
                switch error {
                case .tooMany(let total):
                    throw UsageError(description: "'\(argument)' makes \(total) addresses to check, more than the "
                                     + "\(CheckTargets.maximumCount) one run may hold")
                case .otherExpectedName(let address, _):
                    throw UsageError(description: "\(address) is given twice with different expected names")
                }
            }
        }
    }

    /// A value checked by `SettingValues`, as the configuration file checks it; its error as a usage error.
    private static func setting<Value>(_ parse: () throws(InvalidSetting) -> Value) throws(UsageError) -> Value {
        do {
            return try parse()
        } catch {
            throw UsageError(description: error.description)
        }
    }
}
