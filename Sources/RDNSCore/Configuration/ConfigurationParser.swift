/// Where configuration text comes from; the parser never touches the file system itself.
public protocol ConfigurationSource {
    /// The bytes of the file at `path`, or an error message (e.g. "No such file or directory").
    func read(_ path: String) -> Result<[UInt8], ConfigurationSourceError>
    /// The paths matching a glob pattern, sorted; empty when nothing matches.
    func expand(_ pattern: String) -> Result<[String], ConfigurationSourceError>
}

public struct ConfigurationSourceError: Error, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }
}

/// Parses the line-based configuration format of SPEC.md. Every error is collected, with file and line, so one
/// pass reports them all (as OpenBSD's ntpd does); nothing is silently defaulted.
public struct ConfigurationParser {
    private let source: any ConfigurationSource
    private var configuration = Configuration()
    private var errors: [ConfigurationError] = []
    private var seenSettings: [String: (file: String, line: Int)] = [:]
    /// Where each expected name was given, for the error about a second, different one.
    private var expectedNameLines: [IPAddress: (file: String, line: Int)] = [:]
    /// Set at the line that passed `CheckTargets.maximumCount`: one error says so, later `check` lines add nothing.
    private var passedAddressLimit = false
    private var includeStack: [String] = []
    /// Include lines (`FILE:LINE`) found closing a cycle or nesting too deep: each gets one error, the first
    /// found, however often the files around it are read (16 files that each include `*.conf` closed cycles
    /// 14,903 times). The include line is what the operator changes.
    private var reportedIncludeLines: Set<String> = []

    /// Nested includes beyond this depth are an error (and catch include cycles through different spellings).
    public static let maximumIncludeDepth = 16
    /// Files read in all, includes counted each time: a file included twice by each of 16 nested files would
    /// otherwise be read 65,536 times.
    public static let maximumFilesRead = 1_000
    private var filesRead = 0

    public init(source: any ConfigurationSource) {
        self.source = source
    }

    /// Parses `path` and everything it includes, starting from `base` (defaults for what the file omits).
    public static func parse(file path: String, source: any ConfigurationSource,
                             base: Configuration = Configuration()) -> (Configuration, [ConfigurationError]) {
        var parser = ConfigurationParser(source: source)
        parser.configuration = base
        parser.parseFile(path, includedFrom: nil)
        return (parser.configuration, parser.errors)
    }

    private mutating func parseFile(_ path: String, includedFrom: ConfigurationError?) {
        let place = includedFrom ?? ConfigurationError(file: path, line: 0, message: "")
        guard !includeStack.contains(path) else {
            let through = includeStack.joined(separator: " -> ")
            failOnce(place, "include cycle: \(path) includes itself (through \(through))")
            return
        }
        guard includeStack.count < ConfigurationParser.maximumIncludeDepth else {
            failOnce(place, "includes nested more than \(ConfigurationParser.maximumIncludeDepth) deep")
            return
        }
        filesRead += 1
        guard filesRead <= ConfigurationParser.maximumFilesRead else {
            if filesRead == ConfigurationParser.maximumFilesRead + 1 {
                fail(place.file, place.line, "more than \(ConfigurationParser.maximumFilesRead) files read through "
                     + "includes; is a file included over and over?")
            }
            return
        }
        let bytes: [UInt8]
        switch source.read(path) {
        case .success(let contents): bytes = contents
        case .failure(let error):
            fail(place.file, place.line, "cannot read \(path): \(error.message)")
            return
        }
        includeStack.append(path)
        defer { includeStack.removeLast() }
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            parseLine(rawLine, file: path, line: lineNumber)
        }
    }

    private mutating func parseLine(_ raw: ArraySlice<UInt8>, file: String, line: Int) {
        var bytes = raw
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) { bytes = bytes[..<hash] }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            fail(file, line, "line is not valid UTF-8")
            return
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || (0x7f...0x9f).contains($0.value)
                                                   || $0.value == 0x2028 || $0.value == 0x2029 }) {
            fail(file, line, "line holds a control character")
            return
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let directive = words.first else { return }
        let arguments = Array(words.dropFirst())
        if let message = apply(directive, arguments, file: file, line: line) {
            fail(file, line, message)
        }
    }

    /// Applies one directive; returns an error message or nil.
    private mutating func apply(_ directive: String, _ arguments: [String], file: String, line: Int) -> String? {
        switch directive {
        case "check":
            return addCheck(arguments, file: file, line: line)
        case "include":
            guard arguments.count == 1 else { return "'include' takes one file name or glob pattern" }
            include(arguments[0], file: file, line: line)
            return nil
        case "discover":
            if let earlier = seenSettings[directive] {
                return "'discover' is already set at \(earlier.file):\(earlier.line)"
            }
            do {
                configuration.discovery = try SettingValues.discovery(arguments)
            } catch {
                return error.description
            }
            seenSettings[directive] = (file, line)
            return nil
        case "nameserver":
            guard arguments.count == 1 else { return "'nameserver' takes one address, IP[:PORT]" }
            do {
                configuration.nameservers.append(try SettingValues.nameserver(arguments[0],
                                                                              after: configuration.nameservers))
            } catch {
                return error.description
            }
            return nil
        default:
            break
        }
        guard let setting = ConfigurationParser.settings[directive] else {
            return "unknown directive '\(directive)'"
        }
        guard arguments.count == 1 else { return "'\(directive)' takes one value" }
        if let earlier = seenSettings[directive] {
            return "'\(directive)' is already set at \(earlier.file):\(earlier.line)"
        }
        do {
            try setting(&configuration, arguments[0])
        } catch {
            return String(describing: error)
        }
        seenSettings[directive] = (file, line)
        return nil
    }

    /// Single-value directives: where each one's value goes, parsed and validated by `SettingValues` (which throws
    /// only `InvalidSetting`; closures in a table cannot say so).
    private static let settings: [String: @Sendable (inout Configuration, String) throws -> Void] = [
        "interval": { $0.intervalSeconds = try SettingValues.interval($1) },
        "timeout": { $0.timeoutSeconds = try SettingValues.timeout($1) },
        "attempts": { $0.attempts = try SettingValues.attempts($1) },
        "rate": { $0.rate = try SettingValues.rate($1) },
        "fail-after": { $0.policy.failAfter = try SettingValues.failAfter($1) },
        "generic-ptr": { $0.policy.genericNames = try SettingValues.genericNames($1) },
        "state": { $0.statePath = try SettingValues.absolutePath($1, of: "state") },
        "textfile": { $0.textfilePath = try SettingValues.absolutePath($1, of: "textfile") },
        "engine": { configuration, value in
            guard let engine = SettingValues.engine(value) else {
                throw InvalidSetting("engine '\(value)' must be \(SettingValues.engineChoices)")
            }
            configuration.engine = engine
        },
        "on-change": { $0.onChangeProgram = try SettingValues.program($1) },
        "aws-ptr": { $0.awsPTR = try SettingValues.onOff($1, of: "aws-ptr") },
        "aws-command": { $0.awsCommand = try SettingValues.program($1, of: "aws-command") },
        "aws-region": { $0.awsRegion = try SettingValues.awsRegion($1) },
    ]

    private mutating func include(_ pattern: String, file: String, line: Int) {
        let absolute = pattern.hasPrefix("/") ? pattern : directory(of: file) + pattern
        switch source.expand(absolute) {
        case .failure(let error):
            fail(file, line, "include '\(pattern)': \(error.message)")
        case .success(let paths):
            // No match is normal for an empty conf.d; a plain file name that is missing is an error.
            if paths.isEmpty && !pattern.contains(where: { "*?[".contains($0) }) {
                fail(file, line, "include '\(pattern)': no such file")
            }
            let place = ConfigurationError(file: file, line: line, message: "")
            for path in paths { parseFile(path, includedFrom: place) }
        }
    }

    private func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    private mutating func addCheck(_ arguments: [String], file: String, line: Int) -> String? {
        guard (1...2).contains(arguments.count) else {
            return "'check' takes an address or range and an optional expected PTR name"
        }
        let expected: DNSName?
        if arguments.count == 2 {
            guard let name = DNSName(arguments[1]), HostnameRules.violation(in: name) == nil else {
                return "expected name '\(arguments[1])' is not a valid hostname"
            }
            expected = name
        } else {
            expected = nil
        }
        switch TargetParser.parse(arguments[0], expectedName: expected) {
        case .failure(let error):
            return error.description
        case .success(let targets):
            return add(targets, file: file, line: line)
        }
    }

    /// Adds targets once each. An expected name given for an address already listed without one (say in a
    /// range) applies to it, whatever the order of the lines; two different expected names are an error.
    private mutating func add(_ targets: CheckTargets, file: String, line: Int) -> String? {
        guard !passedAddressLimit else { return nil }
        do {
            try configuration.targets.add(contentsOf: targets)
        } catch {
            switch error {
            case .tooMany(let total):
                passedAddressLimit = true
                return "this line makes \(total) addresses to check, more than the \(CheckTargets.maximumCount) "
                    + "one configuration may hold"
            case .otherExpectedName(let address, let other):
                let place = expectedNameLines[address].map { " at \($0.file):\($0.line)" } ?? ""
                return "\(address) is already checked\(place) with expected name \(other)"
            }
        }
        if targets.count == 1, let target = targets.first, target.expectedName != nil,
           expectedNameLines[target.address] == nil {
            expectedNameLines[target.address] = (file, line)
        }
        return nil
    }

    /// An error about the include at `place`, unless that include line has one already.
    private mutating func failOnce(_ place: ConfigurationError, _ message: String) {
        guard reportedIncludeLines.insert("\(place.file):\(place.line)").inserted else { return }
        fail(place.file, place.line, message)
    }

    private mutating func fail(_ file: String, _ line: Int, _ message: String) {
        errors.append(ConfigurationError(file: file, line: line, message: message))
    }
}

/// A decimal number as people write it: digits only, no sign, no leading zero.
func plainNumber(_ text: String) -> Int? {
    guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy(isDecimalDigit),
          text == "0" || !text.hasPrefix("0") else { return nil }
    return Int(text)
}
