/// A setting's value that is not valid: the message, without the place (the parser adds `FILE:LINE`, the command
/// line a pointer to `--help`).
public struct InvalidSetting: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Every setting's value as the command line and the configuration file both take it, parsed and validated here
/// once: ranges, path rules, the nameserver limit and the words of each message. The file's directive table and
/// the command line's options only say where a value goes.
public enum SettingValues {
    /// `nameserver` and `--nameserver`: one more `IP[:PORT]` after `existing`.
    public static func nameserver(_ text: String, after existing: [Nameserver]) throws(InvalidSetting) -> Nameserver {
        let nameserver: Nameserver
        do {
            nameserver = try Nameserver(parsing: text)
        } catch {
            throw InvalidSetting(error.description)
        }
        guard existing.count < Configuration.maximumNameservers else {
            throw InvalidSetting("more than \(Configuration.maximumNameservers) nameservers (the resolver uses at "
                                 + "most 3)")
        }
        return nameserver
    }

    /// `timeout` and `--timeout`: seconds per attempt.
    public static func timeout(_ text: String) throws(InvalidSetting) -> Int {
        try duration("timeout", text, within: Configuration.timeoutRange)
    }

    /// `interval`: seconds between the daemon's runs, up to a week.
    public static func interval(_ text: String) throws(InvalidSetting) -> Int {
        try duration("interval", text, within: 1...604_800)
    }

    /// `attempts`: tries per nameserver.
    public static func attempts(_ text: String) throws(InvalidSetting) -> Int {
        guard let count = plainNumber(text), Configuration.attemptsRange.contains(count) else {
            throw InvalidSetting("attempts '\(text)' is not a number from 1 to 5")
        }
        return count
    }

    /// `fail-after`: failed runs in a row before a temporary failure counts.
    public static func failAfter(_ text: String) throws(InvalidSetting) -> Int {
        guard let count = plainNumber(text), (1...10_000).contains(count) else {
            throw InvalidSetting("fail-after '\(text)' is not a number of runs from 1 to 10000")
        }
        return count
    }

    /// `rate` and `--rate`: queries a second to all nameservers together, or `off` (nil: no fixed rate).
    public static func rate(_ text: String) throws(InvalidSetting) -> Int? {
        if text == "off" { return nil }
        guard let rate = plainNumber(text), Configuration.rateRange.contains(rate) else {
            throw InvalidSetting("rate '\(text)' is not a number of queries a second from 1 to 1000000, or off")
        }
        return rate
    }

    /// `--concurrency`: DNS queries in flight at once.
    public static func concurrency(_ text: String) throws(InvalidSetting) -> Int {
        guard let count = Int(text), (1...4096).contains(count), text.utf8.allSatisfy(isDecimalDigit) else {
            throw InvalidSetting("concurrency '\(text)' is not a number of queries from 1 to 4096")
        }
        return count
    }

    /// `state`, `textfile` and their options: a path that does not depend on the working directory (a daemon's is
    /// `/`). `name` is how the caller spells the setting.
    public static func absolutePath(_ text: String, of name: String) throws(InvalidSetting) -> String {
        guard text.hasPrefix("/") else { throw InvalidSetting("\(name) '\(text)' must be an absolute path") }
        return text
    }

    /// `on-change` and `aws-command`: the program to run, by absolute path (no search of `$PATH`). `name` is how
    /// the caller spells the setting.
    public static func program(_ text: String, of name: String = "on-change") throws(InvalidSetting) -> String {
        guard text.hasPrefix("/") else {
            throw InvalidSetting("\(name) '\(text)' must be an absolute path to a program")
        }
        return text
    }

    /// `aws-ptr`: `on` or `off`.
    public static func onOff(_ text: String, of name: String) throws(InvalidSetting) -> Bool {
        switch text {
        case "on": return true
        case "off": return false
        default: throw InvalidSetting("\(name) '\(text)' must be on or off")
        }
    }

    /// `aws-region`: an AWS region's name as the `aws` command takes it (`eu-west-1`, `us-gov-west-1`,
    /// `cn-north-1`): lowercase words and a number, joined by hyphens. It is passed to the command as one argument,
    /// never through a shell; the check keeps a typo from reading as "AWS is unavailable" at every run.
    public static func awsRegion(_ text: String) throws(InvalidSetting) -> String {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count <= 32, parts.count >= 3,
              parts.dropLast().allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (0x61...0x7a).contains($0) } }),
              let number = parts.last, !number.isEmpty, number.utf8.allSatisfy(isDecimalDigit) else {
            throw InvalidSetting("aws-region '\(text)' is not an AWS region name such as eu-west-1")
        }
        return text
    }

    /// `discover SOURCE [EXPECTED-NAME]`.
    public static func discovery(_ arguments: [String]) throws(InvalidSetting) -> Configuration.Discovery {
        guard (1...2).contains(arguments.count) else {
            throw InvalidSetting("'discover' takes ec2 or interfaces and an optional expected PTR name")
        }
        guard let source = DiscoverySource(rawValue: arguments[0]) else {
            throw InvalidSetting("discover '\(arguments[0])' must be ec2 or interfaces")
        }
        var expected: DNSName? = nil
        if arguments.count == 2 {
            guard let name = DNSName(arguments[1]), HostnameRules.violation(in: name) == nil else {
                throw InvalidSetting("expected name '\(arguments[1])' is not a valid hostname")
            }
            expected = name
        }
        return Configuration.Discovery(source: source, expectedName: expected)
    }

    /// `engine` and `--engine`; nil for an unknown word (the file and the command line say so each their way,
    /// naming `engineChoices`).
    public static func engine(_ text: String) -> ResolverEngine? {
        ResolverEngine(rawValue: text)
    }

    public static let engineChoices = "libresolv or pipelined"

    /// `generic-ptr`.
    public static func genericNames(_ text: String) throws(InvalidSetting) -> GenericNamePolicy {
        guard let policy = GenericNamePolicy(rawValue: text) else {
            throw InvalidSetting("generic-ptr '\(text)' must be warn, fail or ignore")
        }
        return policy
    }

    private static func duration(_ name: String, _ text: String, within range: ClosedRange<Int>)
        throws(InvalidSetting) -> Int {
        do {
            return try Duration.parse(text, within: range)
        } catch {
            throw InvalidSetting("\(name) \(error)")
        }
    }
}
