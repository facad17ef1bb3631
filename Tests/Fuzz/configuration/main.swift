import Glibc
import RDNSCore

/// libFuzzer target: the configuration file, with its includes.
///
/// The input, split at NUL bytes, is a small file system: the first part is `/etc/rdnscheck/rdnscheck.conf`
/// (the file parsed), part N is `/etc/rdnscheck/conf.d/N.conf`, so `include conf.d/*.conf`, `include
/// conf.d/2.conf`, `include rdnscheck.conf` (a cycle) and the like reach other parts of the input. Globs are
/// matched with fnmatch(3) as glob(3) would; `conf.d/denied.conf` matches globs but cannot be read, and any
/// pattern under `/etc/rdnscheck/private/` fails to expand, so both error paths are reached too.
///
/// Properties: every error names a file of the input and a line of it, in one printable line; the configuration
/// is within the documented limits and holds each address once.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    let source = InputFiles(bytes)
    let (configuration, errors) = ConfigurationParser.parse(file: InputFiles.main, source: source)
    for error in errors {
        guard let lines = source.lineCounts[error.file] else { fatalError("error in a file that is not one: \(error)") }
        require((1...lines).contains(error.line), "error line \(error.line) outside \(lines) lines: \(error)")
        require(!error.message.isEmpty, "empty error message")
        require(isOneLine(error.description), "error is not one printable line: \(error.description.debugDescription)")
    }
    checkLimits(configuration)
    return 0
}

/// The configuration stays within what the parser documents, whatever the input.
func checkLimits(_ configuration: Configuration) {
    require(configuration.nameservers.count <= Configuration.maximumNameservers, "more than 3 nameservers")
    require((1...604_800).contains(configuration.intervalSeconds), "interval out of range")
    require(Configuration.timeoutRange.contains(configuration.timeoutSeconds), "timeout out of range")
    require(Configuration.attemptsRange.contains(configuration.attempts), "attempts out of range")
    require((1...10_000).contains(configuration.policy.failAfter), "fail-after out of range")
    for path in [configuration.statePath, configuration.textfilePath, configuration.onChangeProgram] {
        if let path { require(path.hasPrefix("/"), "relative path \(path) accepted") }
    }
    var seen = Set<IPAddress>()
    for target in configuration.targets {
        require(seen.insert(target.address).inserted, "\(target.address) is checked twice")
        if let name = target.expectedName {
            require(HostnameRules.violation(in: name) == nil, "expected name \(name) is not a hostname")
        }
    }
}

/// The input as files (see the type comment of `fuzz`).
struct InputFiles: ConfigurationSource {
    static let main = "/etc/rdnscheck/rdnscheck.conf"
    static let denied = "/etc/rdnscheck/conf.d/denied.conf"

    let files: [String: [UInt8]]
    /// Lines per readable file, counted as the parser counts them.
    let lineCounts: [String: Int]

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        var files: [String: [UInt8]] = [:]
        for (index, part) in parts.enumerated() {
            files[index == 0 ? InputFiles.main : "/etc/rdnscheck/conf.d/\(index).conf"] = part
        }
        self.files = files
        lineCounts = files.mapValues { $0.split(separator: 10, omittingEmptySubsequences: false).count }
    }

    func read(_ path: String) -> Result<[UInt8], ConfigurationSourceError> {
        if path == InputFiles.denied { return .failure(ConfigurationSourceError("Permission denied")) }
        guard let contents = files[path] else { return .failure(ConfigurationSourceError("No such file or directory")) }
        return .success(contents)
    }

    func expand(_ pattern: String) -> Result<[String], ConfigurationSourceError> {
        if pattern.hasPrefix("/etc/rdnscheck/private/") {
            return .failure(ConfigurationSourceError("cannot read the directory"))
        }
        let paths = (Array(files.keys) + [InputFiles.denied]).filter { fnmatch(pattern, $0, FNM_PATHNAME) == 0 }
        return .success(paths.sorted())
    }
}

/// One line of printable text: no control character, no line or paragraph separator.
func isOneLine(_ text: String) -> Bool {
    !text.unicodeScalars.contains {
        $0.value < 0x20 || (0x7f...0x9f).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029
    }
}

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}
