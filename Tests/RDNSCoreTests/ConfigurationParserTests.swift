import RDNSCore
import Testing

/// Configuration files in memory. A glob matches `*` against any run of characters other than `/`; a pattern
/// without `*` matches the one path it names. Paths in `unreadable` exist (globs find them) but cannot be read.
private struct MemorySource: ConfigurationSource {
    var files: [String: [UInt8]]
    var unreadable: [String: String] = [:]
    var brokenDirectories: Set<String> = []

    init(_ files: [String: String]) {
        self.files = files.mapValues { Array($0.utf8) }
    }

    func read(_ path: String) -> Result<[UInt8], ConfigurationSourceError> {
        if let message = unreadable[path] { return .failure(ConfigurationSourceError(message)) }
        guard let contents = files[path] else { return .failure(ConfigurationSourceError("No such file or directory")) }
        return .success(contents)
    }

    func expand(_ pattern: String) -> Result<[String], ConfigurationSourceError> {
        if brokenDirectories.contains(where: { pattern.hasPrefix($0) }) {
            return .failure(ConfigurationSourceError("cannot read the directory"))
        }
        let paths = Set(files.keys).union(unreadable.keys)
        let pattern = Array(pattern.utf8)
        return .success(paths.filter { MemorySource.glob(pattern, matches: Array($0.utf8)) }.sorted())
    }

    /// `*` matches any run of bytes but `/`, as the shell's glob does. By index, without copying the rest of the
    /// pattern at every byte: the config tests parse hundreds of includes, and in a debug build that held a
    /// thread of Swift's two-thread pool for seconds while tests timing real deadlines waited for it.
    private static func glob(_ pattern: [UInt8], matches path: [UInt8]) -> Bool {
        func matches(from patternIndex: Int, _ pathIndex: Int) -> Bool {
            guard patternIndex < pattern.count else { return pathIndex == path.count }
            guard pattern[patternIndex] == UInt8(ascii: "*") else {
                return pathIndex < path.count && path[pathIndex] == pattern[patternIndex]
                    && matches(from: patternIndex + 1, pathIndex + 1)
            }
            var tail = pathIndex
            while true {
                if matches(from: patternIndex + 1, tail) { return true }
                guard tail < path.count, path[tail] != UInt8(ascii: "/") else { return false }
                tail += 1
            }
        }
        return matches(from: 0, 0)
    }
}

private let mainFile = "/etc/rdnscheck/rdnscheck.conf"

/// Parses `mainFile` from `files`; the errors come back as their `FILE:LINE: message` text.
private func parse(_ files: [String: String], base: Configuration = Configuration()) -> (Configuration, [String]) {
    parse(MemorySource(files), base: base)
}

private func parse(_ source: MemorySource, base: Configuration = Configuration()) -> (Configuration, [String]) {
    let (configuration, errors) = ConfigurationParser.parse(file: mainFile, source: source, base: base)
    return (configuration, errors.map(\.description))
}

/// Parses one line as the whole main file and returns its errors.
private func errors(of line: String) -> [String] {
    parse([mainFile: line + "\n"]).1
}

private func target(_ address: String, _ expected: String? = nil) -> CheckTarget {
    CheckTarget(IPAddress(address)!, expectedName: expected.map { DNSName($0)! })
}

private let specExample = """
    interval 5m                 # daemon: time between runs (s, m, h)
    timeout 5s                  # per attempt
    attempts 2                  # tries per query
    nameserver 127.0.0.53       # repeatable, IP[:PORT], IPv4 or IPv6; default: /etc/resolv.conf
    fail-after 3                # consecutive temporary failures before CRITICAL
    generic-ptr warn            # warn | fail | ignore
    state /var/lib/rdnscheck/state.json
    textfile /var/lib/prometheus/node-exporter/rdnscheck.prom
    on-change /usr/local/bin/rdns-alert    # optional program run on each drift (no shell)

    check 203.0.113.25 mail.example.com     # address, optional expected PTR name
    check 2001:db8::25 mail.example.com
    check 198.51.100.0/28                   # every address in the range

    """

@Suite("ConfigurationParser: every directive, every error with FILE:LINE, all in one pass")
struct ConfigurationParserTests {
    // MARK: - Directives

    @Test("SPEC.md's example parses to its values with no error")
    func specExampleParses() {
        let (configuration, errors) = parse([mainFile: specExample])
        #expect(errors == [])
        #expect(configuration.intervalSeconds == 300)
        #expect(configuration.timeoutSeconds == 5)
        #expect(configuration.attempts == 2)
        #expect(configuration.nameservers == [Nameserver(address: IPAddress("127.0.0.53")!, port: 53)])
        #expect(configuration.policy == CheckPolicy(genericNames: .warn, failAfter: 3))
        #expect(configuration.statePath == "/var/lib/rdnscheck/state.json")
        #expect(configuration.textfilePath == "/var/lib/prometheus/node-exporter/rdnscheck.prom")
        #expect(configuration.onChangeProgram == "/usr/local/bin/rdns-alert")
        let range = (0...15).map { target("198.51.100.\($0)") }
        #expect(Array(configuration.targets)
            == [target("203.0.113.25", "mail.example.com"), target("2001:db8::25", "mail.example.com")] + range)
    }

    @Test("values other than the defaults are applied")
    func nonDefaultValues() {
        let (configuration, errors) = parse([mainFile: """
            interval 1h30m
            timeout 10s
            attempts 5
            nameserver 192.0.2.53
            nameserver [2001:DB8::53]:5300
            nameserver 198.51.100.53:5353
            fail-after 10000
            generic-ptr fail
            state /run/rdnscheck/state.json
            textfile /run/rdnscheck.prom
            on-change /opt/alert
            check 203.0.113.25 MAIL.example.com.
            """])
        #expect(errors == [])
        #expect(configuration.intervalSeconds == 5_400)
        #expect(configuration.timeoutSeconds == 10)
        #expect(configuration.attempts == 5)
        #expect(configuration.nameservers.map(\.description)
            == ["192.0.2.53", "[2001:db8::53]:5300", "198.51.100.53:5353"])
        #expect(configuration.policy == CheckPolicy(genericNames: .fail, failAfter: 10_000))
        #expect(configuration.statePath == "/run/rdnscheck/state.json")
        #expect(configuration.textfilePath == "/run/rdnscheck.prom")
        #expect(configuration.onChangeProgram == "/opt/alert")
        #expect(Array(configuration.targets) == [target("203.0.113.25", "mail.example.com")])
        #expect(configuration.targets.first?.expectedName?.description == "MAIL.example.com")
    }

    @Test("generic-ptr accepts warn, fail and ignore", arguments: GenericNamePolicy.allCases)
    func genericPolicies(policy: GenericNamePolicy) {
        let (configuration, errors) = parse([mainFile: "generic-ptr \(policy.rawValue)\n"])
        #expect(errors == [])
        #expect(configuration.policy.genericNames == policy)
    }

    @Test("engine is libresolv unless the file says pipelined; another word is an error naming the choices",
          arguments: [
              ("", ResolverEngine.libresolv, [String]()),
              ("engine libresolv\n", .libresolv, []),
              ("engine pipelined\n", .pipelined, []),
              ("engine PIPELINED\n", .libresolv, ["\(mainFile):1: engine 'PIPELINED' must be libresolv or pipelined"]),
              ("engine pipelined\nengine libresolv\n", .pipelined,
               ["\(mainFile):2: 'engine' is already set at \(mainFile):1"]),
          ])
    func engineDirective(text: String, engine: ResolverEngine, expectedErrors: [String]) {
        let (configuration, errors) = parse([mainFile: text])
        #expect(errors == expectedErrors)
        #expect(configuration.engine == engine)
    }

    @Test("timeout, attempts, interval and fail-after accept their bounds", arguments: [
        ("timeout 1", \Configuration.timeoutSeconds, 1),
        ("timeout 1s", \Configuration.timeoutSeconds, 1),
        ("timeout 30s", \Configuration.timeoutSeconds, 30),
        ("attempts 1", \Configuration.attempts, 1),
        ("attempts 5", \Configuration.attempts, 5),
        ("interval 1s", \Configuration.intervalSeconds, 1),
        ("interval 7d", \Configuration.intervalSeconds, 604_800),
        ("interval 45", \Configuration.intervalSeconds, 45),
        ("fail-after 1", \Configuration.policy.failAfter, 1),
    ] as [(String, KeyPath<Configuration, Int> & Sendable, Int)])
    func bounds(line: String, field: KeyPath<Configuration, Int> & Sendable, value: Int) {
        let (configuration, errors) = parse([mainFile: line])
        #expect(errors == [])
        #expect(configuration[keyPath: field] == value)
    }

    @Test("the base configuration stays where the file is silent; the file overrides it")
    func base() {
        var base = Configuration()
        base.timeoutSeconds = 9
        base.attempts = 4
        base.statePath = "/base/state.json"
        let (configuration, errors) = parse([mainFile: "attempts 1\n"], base: base)
        #expect(errors == [])
        #expect(configuration.timeoutSeconds == 9)
        #expect(configuration.statePath == "/base/state.json")
        #expect(configuration.attempts == 1)
    }

    // MARK: - Lines

    @Test("comments, blank lines, indentation and tabs are ignored")
    func commentsAndBlankLines() {
        let (configuration, errors) = parse([mainFile: """
            # rdnscheck configuration
            #interval 1s

               \t
              interval 10m   # trailing comment
            \ttimeout\t3s\t
            check 203.0.113.25#no space before the comment
            attempts 3#
            """])
        #expect(errors == [])
        #expect(configuration.intervalSeconds == 600)
        #expect(configuration.timeoutSeconds == 3)
        #expect(configuration.attempts == 3)
        #expect(Array(configuration.targets) == [target("203.0.113.25")])
    }

    @Test("CRLF line endings parse like LF, and line numbers still count lines")
    func crlf() {
        let text = "interval 10m\r\n# note\r\ncheck 203.0.113.25 mail.example.com\r\nbogus 1\r\n"
            + "timeout 3s # comment\r\n"
        let (configuration, errors) = parse([mainFile: text])
        #expect(errors == ["\(mainFile):4: unknown directive 'bogus'"])
        #expect(configuration.intervalSeconds == 600)
        #expect(configuration.timeoutSeconds == 3)
        #expect(Array(configuration.targets) == [target("203.0.113.25", "mail.example.com")])
        #expect(configuration.targets.first?.expectedName?.description == "mail.example.com")
    }

    @Test("a file without a final newline still parses its last line")
    func noFinalNewline() {
        let (configuration, errors) = parse([mainFile: "interval 10m\nattempts 4"])
        #expect(errors == [])
        #expect(configuration.attempts == 4)
    }

    @Test("a line that is not valid UTF-8 is an error, and the lines after it still count")
    func invalidUTF8() {
        var source = MemorySource([:])
        source.files[mainFile] = Array("interval 10m\ncheck 203.0.113.25 caf".utf8) + [0xE9]
            + Array("\nattempts 4\n".utf8)
        let (configuration, errors) = parse(source)
        #expect(errors == ["\(mainFile):2: line is not valid UTF-8"])
        #expect(configuration.attempts == 4)
        #expect(configuration.targets.isEmpty)
    }

    @Test("a control character in a line is an error", arguments: [
        "interval 5m\u{07}", "timeout\u{0B}5s", "check 203.0.113.25\u{00}", "attempts\r2", "state /x\u{1B}[2J",
        "generic-ptr warn\u{7F}",
    ])
    func controlCharacter(line: String) {
        #expect(errors(of: line) == ["\(mainFile):1: line holds a control character"])
    }

    // MARK: - Errors

    @Test("an error reads FILE:LINE: message")
    func errorFormat() throws {
        let (_, errors) = ConfigurationParser.parse(file: mainFile, source: MemorySource([mainFile: "\n\nbogus\n"]))
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error == ConfigurationError(file: mainFile, line: 3, message: "unknown directive 'bogus'"))
        #expect(error.description == "/etc/rdnscheck/rdnscheck.conf:3: unknown directive 'bogus'")
    }

    @Test("all errors of a file come out in one pass, each with its line, and the good lines still apply")
    func allErrorsInOnePass() {
        let (configuration, errors) = parse([mainFile: """
            interval 10m
            intervall 5m
            timeout 0s
            # a comment
            attempts 6
            check 203.0.113.25

            generic-ptr warning
            state relative/state.json
            fail-after 4
            """])
        #expect(errors == [
            "\(mainFile):2: unknown directive 'intervall'",
            "\(mainFile):3: timeout '0s' is out of range: from 1s to 30s",
            "\(mainFile):5: attempts '6' is not a number from 1 to 5",
            "\(mainFile):8: generic-ptr 'warning' must be warn, fail or ignore",
            "\(mainFile):9: state 'relative/state.json' must be an absolute path",
        ])
        #expect(configuration.intervalSeconds == 600)
        #expect(configuration.policy.failAfter == 4)
        #expect(Array(configuration.targets) == [target("203.0.113.25")])
    }

    @Test("an unknown directive is named", arguments: [
        "intervall 5m", "Interval 5m", "resolver 1.2.3.4", "checks 1.2.3.4",
    ])
    func unknownDirective(line: String) {
        let directive = line.split(separator: " ")[0]
        #expect(errors(of: line) == ["\(mainFile):1: unknown directive '\(directive)'"])
    }

    @Test("a directive with the wrong number of arguments is an error", arguments: [
        ("interval", "'interval' takes one value"),
        ("interval 5m 10m", "'interval' takes one value"),
        ("timeout", "'timeout' takes one value"),
        ("attempts 2 3", "'attempts' takes one value"),
        ("fail-after", "'fail-after' takes one value"),
        ("generic-ptr warn fail", "'generic-ptr' takes one value"),
        ("state", "'state' takes one value"),
        ("textfile /a /b", "'textfile' takes one value"),
        ("on-change /usr/bin/alert --now", "'on-change' takes one value"),
        ("nameserver", "'nameserver' takes one address, IP[:PORT]"),
        ("nameserver 192.0.2.53 5300", "'nameserver' takes one address, IP[:PORT]"),
        ("include", "'include' takes one file name or glob pattern"),
        ("include a.conf b.conf", "'include' takes one file name or glob pattern"),
        ("check", "'check' takes an address or range and an optional expected PTR name"),
        ("check 203.0.113.25 a.example.com b.example.com",
         "'check' takes an address or range and an optional expected PTR name"),
    ])
    func argumentCount(line: String, message: String) {
        #expect(errors(of: line) == ["\(mainFile):1: \(message)"])
    }

    @Test("a timeout that is not whole seconds from 1 to 30 is an error that says why", arguments: [
        ("0", "'0' is out of range: from 1s to 30s"),
        ("0s", "'0s' is out of range: from 1s to 30s"),
        ("31s", "'31s' is out of range: from 1s to 30s"),
        ("1m", "'1m' is out of range: from 1s to 30s"),
        ("1.5s", "'1.5s' is not a duration: '.' is not a unit"),
        ("500ms", "'500ms' is not a duration: the unit 's' has no number before it"),
        ("5sec", "'5sec' is not a duration: 'e' is not a unit"),
        ("-1", "'-1' is not a duration: '-' is not a unit"),
        ("1s0s", "'1s0s' is not a duration: the unit 's' is given twice"),
        ("0m5m", "'0m5m' is not a duration: the unit 'm' is given twice"),
        ("5s1m", "'5s1m' is not a duration: 'm' comes after the smaller unit 's'"),
        ("5s5", "'5s5' is not a duration: the last number has no unit"),
        ("forever", "'forever' is not a duration: 'f' is not a unit"),
    ])
    func badTimeout(value: String, message: String) {
        let hint = message.contains("not a duration") ? durationHint : ""
        #expect(errors(of: "timeout \(value)") == ["\(mainFile):1: timeout \(message)\(hint)"])
    }

    @Test("attempts outside 1 to 5 are an error", arguments: ["0", "6", "-1", "two", "2.5", ""])
    func badAttempts(value: String) {
        let expected = value.isEmpty ? "'attempts' takes one value" : "attempts '\(value)' is not a number from 1 to 5"
        #expect(errors(of: "attempts \(value)") == ["\(mainFile):1: \(expected)"])
    }

    @Test("rate is a number of queries a second from 1 to 1000000, or off (no fixed rate)", arguments: [
        ("rate 1", 1), ("rate 900", 900), ("rate 1000000", 1_000_000), ("rate off", nil),
    ] as [(String, Int?)])
    func rate(line: String, rate: Int?) {
        let (configuration, errors) = parse([mainFile: line + "\n"])
        #expect(errors == [])
        #expect(configuration.rate == rate)
    }

    @Test("a rate of 0, below, above 1000000, not a whole number or not off is an error naming the value",
          arguments: ["0", "-5", "1000001", "1.5", "1e3", "01000", "fast", "OFF"])
    func badRate(value: String) {
        #expect(errors(of: "rate \(value)") == ["\(mainFile):1: rate '\(value)' is not a number of queries a second "
                                                + "from 1 to 1000000, or off"])
    }

    @Test("an interval outside 1s to 7d and a fail-after outside 1 to 10000 are errors", arguments: [
        ("interval 0s", "interval '0s' is out of range: from 1s to 7d"),
        ("interval 8d", "interval '8d' is out of range: from 1s to 7d"),
        ("interval 5x", "interval '5x' is not a duration: 'x' is not a unit\(durationHint)"),
        ("interval 1h1h", "interval '1h1h' is not a duration: the unit 'h' is given twice\(durationHint)"),
        ("fail-after 0", "fail-after '0' is not a number of runs from 1 to 10000"),
        ("fail-after 10001", "fail-after '10001' is not a number of runs from 1 to 10000"),
        ("fail-after three", "fail-after 'three' is not a number of runs from 1 to 10000"),
    ])
    func badIntervalAndFailAfter(line: String, message: String) {
        #expect(errors(of: line) == ["\(mainFile):1: \(message)"])
    }

    @Test("a fourth nameserver is an error; the first three are kept")
    func fourthNameserver() {
        let (configuration, errors) = parse([mainFile: """
            nameserver 192.0.2.1
            nameserver 192.0.2.2
            nameserver 192.0.2.3
            nameserver 192.0.2.4
            """])
        #expect(errors == ["\(mainFile):4: more than 3 nameservers (the resolver uses at most 3)"])
        #expect(configuration.nameservers.map(\.description) == ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
    }

    @Test("a nameserver that is not IP[:PORT] is an error", arguments: [
        "ns1.example.com", "192.0.2.53:0", "192.0.2.53:65536", "[2001:db8::53]:abc", "[192.0.2.53]:53",
    ])
    func badNameserver(value: String) {
        #expect(errors(of: "nameserver \(value)") == [
            "\(mainFile):1: '\(value)' is not a nameserver: use IP, IP:PORT or [IPv6]:PORT",
        ])
    }

    @Test("a nameserver that is not a unicast address is an error that says why", arguments: [
        ("0.0.0.0:53", "0.0.0.0 is the unspecified address, not a server's"),
        ("[::]:53", ":: is the unspecified address, not a server's"),
        ("224.0.0.251", "224.0.0.0/4 is multicast, not one server"),
        ("ff02::fb", "ff00::/8 is multicast, not one server"),
    ])
    func nonUnicastNameserver(value: String, reason: String) {
        #expect(errors(of: "nameserver \(value)") == ["\(mainFile):1: '\(value)' is not a nameserver: \(reason)"])
    }

    @Test("a single-value directive given twice is an error naming the earlier place; the first value stays")
    func duplicateSetting() {
        let (configuration, errors) = parse([mainFile: "interval 5m\nattempts 3\ninterval 10m\nattempts 3\n"])
        #expect(errors == [
            "\(mainFile):3: 'interval' is already set at \(mainFile):1",
            "\(mainFile):4: 'attempts' is already set at \(mainFile):2",
        ])
        #expect(configuration.intervalSeconds == 300)
    }

    @Test("a setting repeated in an included file names the file that set it first")
    func duplicateSettingAcrossInclude() {
        let (_, errors) = parse([
            mainFile: "include conf.d/*.conf\ntimeout 5s\n",
            "/etc/rdnscheck/conf.d/timeout.conf": "# tuned\ntimeout 3s\n",
        ])
        #expect(errors == ["\(mainFile):2: 'timeout' is already set at /etc/rdnscheck/conf.d/timeout.conf:2"])
    }

    @Test("generic-ptr takes warn, fail or ignore only", arguments: ["warning", "WARN", "off", "yes", "none"])
    func badGenericPolicy(value: String) {
        #expect(errors(of: "generic-ptr \(value)") == [
            "\(mainFile):1: generic-ptr '\(value)' must be warn, fail or ignore",
        ])
    }

    @Test("state, textfile and on-change must be absolute paths", arguments: [
        ("state state.json", "state 'state.json' must be an absolute path"),
        ("state ./state.json", "state './state.json' must be an absolute path"),
        ("textfile rdnscheck.prom", "textfile 'rdnscheck.prom' must be an absolute path"),
        ("textfile ~/rdnscheck.prom", "textfile '~/rdnscheck.prom' must be an absolute path"),
        ("on-change rdns-alert", "on-change 'rdns-alert' must be an absolute path to a program"),
        ("on-change bin/rdns-alert", "on-change 'bin/rdns-alert' must be an absolute path to a program"),
    ])
    func relativePaths(line: String, message: String) {
        #expect(errors(of: line) == ["\(mainFile):1: \(message)"])
    }

    // MARK: - check

    @Test("check errors: a name on a range, an invalid expected name, a malformed address or range", arguments: [
        ("check 198.51.100.0/28 mail.example.com",
         "'198.51.100.0/28': an expected name applies to one address, not to a range"),
        ("check 203.0.113.25 -mail.example.com", "expected name '-mail.example.com' is not a valid hostname"),
        ("check 203.0.113.25 mail..example.com", "expected name 'mail..example.com' is not a valid hostname"),
        ("check 203.0.113.25 1.2.3.4", "expected name '1.2.3.4' is not a valid hostname"),
        ("check 203.0.113.25 mail_$x.example.com", "expected name 'mail_$x.example.com' is not a valid hostname"),
        ("check mail.example.com", "'mail.example.com' is not an IPv4 or IPv6 address or range"),
        ("check 203.0.113.256", "'203.0.113.256' is not an IPv4 or IPv6 address or range"),
        ("check 198.51.100.1/28", "'198.51.100.1/28' has host bits set; did you mean 198.51.100.0/28?"),
        ("check 10.0.0.0/15",
         "'10.0.0.0/15' holds 131072 addresses; one range may hold at most 65536 (an IPv4 /16 or an IPv6 /112)"),
    ])
    func badCheck(line: String, message: String) {
        let (configuration, errors) = parse([mainFile: line])
        #expect(errors == ["\(mainFile):1: \(message)"])
        #expect(configuration.targets.isEmpty)
    }

    @Test("the same address with a different expected name is an error naming the earlier line")
    func conflictingExpectedName() {
        let (configuration, errors) = parse([mainFile: """
            check 203.0.113.25 mail.example.com
            check 2001:db8::25 mail.example.com
            check 203.0.113.25 mx.example.com
            check 2001:DB8:0::25 mx.example.com
            """])
        #expect(errors == [
            "\(mainFile):3: 203.0.113.25 is already checked at \(mainFile):1 with expected name mail.example.com",
            "\(mainFile):4: 2001:db8::25 is already checked at \(mainFile):2 with expected name mail.example.com",
        ])
        #expect(Array(configuration.targets)
            == [target("203.0.113.25", "mail.example.com"), target("2001:db8::25", "mail.example.com")])
    }

    @Test("the same address twice with the same expected name, or without one, is checked once without error")
    func repeatedAddress() {
        let (configuration, errors) = parse([mainFile: """
            check 203.0.113.25 mail.example.com
            check 203.0.113.25 MAIL.example.com.
            check 203.0.113.25
            check 198.51.100.0/30
            check 198.51.100.0/30
            """])
        #expect(errors == [])
        #expect(Array(configuration.targets) == [target("203.0.113.25", "mail.example.com")]
            + (0...3).map { target("198.51.100.\($0)") })
    }

    @Test("a range overlapping addresses already checked is deduplicated, keeping expected names and order")
    func overlappingRange() {
        let (configuration, errors) = parse([mainFile: """
            check 203.0.113.25 mail.example.com
            check 203.0.113.24/30
            check 203.0.113.24/31
            """])
        #expect(errors == [])
        #expect(Array(configuration.targets) == [
            target("203.0.113.25", "mail.example.com"), target("203.0.113.24"), target("203.0.113.26"),
            target("203.0.113.27"),
        ])
    }

    @Test("an address checked again without an expected name keeps the name it was given first", arguments: [
        "check 203.0.113.25 mail.example.com\ncheck 203.0.113.24/30\n",
        "check 203.0.113.25 mail.example.com\ncheck 203.0.113.25\n",
    ])
    func unnamedAfterNamed(text: String) {
        let (configuration, errors) = parse([mainFile: text])
        #expect(errors == [])
        #expect(configuration.targets.first?.expectedName == DNSName("mail.example.com"))
    }

    @Test("an expected name for an address checked earlier without one is not a conflict either", arguments: [
        "check 203.0.113.24/30\ncheck 203.0.113.25 mail.example.com\n",
        "check 203.0.113.25\ncheck 203.0.113.25 mail.example.com\n",
    ])
    func namedAfterUnnamed(text: String) {
        let (configuration, errors) = parse([mainFile: text])
        #expect(errors == [])
        #expect(configuration.targets.first { $0.address == IPAddress("203.0.113.25") }?.expectedName
            == DNSName("mail.example.com"))
    }

    // MARK: - include

    @Test("include expands a glob relative to the including file's directory, in sorted order")
    func includeGlob() {
        let (configuration, errors) = parse([
            mainFile: "check 192.0.2.1\ninclude conf.d/*.conf\ncheck 192.0.2.9\n",
            "/etc/rdnscheck/conf.d/20-web.conf": "check 192.0.2.3\n",
            "/etc/rdnscheck/conf.d/10-mail.conf": "check 192.0.2.2 mail.example.com\ninclude more/*.conf\n",
            "/etc/rdnscheck/conf.d/more/a.conf": "check 192.0.2.4\n",
            "/etc/rdnscheck/conf.d/notes.txt": "check 192.0.2.5\n",
            "/etc/rdnscheck/other/x.conf": "check 192.0.2.6\n",
            "/etc/rdnscheck/conf.d/sub/deep.conf": "check 192.0.2.7\n",
        ])
        #expect(errors == [])
        #expect(Array(configuration.targets) == [
            target("192.0.2.1"), target("192.0.2.2", "mail.example.com"), target("192.0.2.4"), target("192.0.2.3"),
            target("192.0.2.9"),
        ])
    }

    @Test("include takes an absolute path as it is")
    func includeAbsolute() {
        let (configuration, errors) = parse([
            mainFile: "include /srv/rdns/extra.conf\n",
            "/srv/rdns/extra.conf": "attempts 4\n",
        ])
        #expect(errors == [])
        #expect(configuration.attempts == 4)
    }

    @Test("a glob that matches nothing is normal; a plain file name that is missing is an error")
    func includeMatchingNothing() {
        let (_, errors) = parse([mainFile: "include conf.d/*.conf\ninclude extra.conf\n"])
        #expect(errors == ["\(mainFile):2: include 'extra.conf': no such file"])
    }

    @Test("errors in an included file name that file and its line")
    func errorInIncludedFile() {
        let (_, errors) = parse([
            mainFile: "include conf.d/*.conf\nbogus\n",
            "/etc/rdnscheck/conf.d/a.conf": "check 192.0.2.1\n\ntimeout 99s\n",
        ])
        #expect(errors == [
            "/etc/rdnscheck/conf.d/a.conf:3: timeout '99s' is out of range: from 1s to 30s",
            "\(mainFile):2: unknown directive 'bogus'",
        ])
    }

    @Test("an include cycle is an error at the include that closes it, and parsing ends")
    func includeCycle() {
        let (configuration, errors) = parse([
            mainFile: "include a.conf\ncheck 192.0.2.9\n",
            "/etc/rdnscheck/a.conf": "check 192.0.2.1\ninclude b.conf\n",
            "/etc/rdnscheck/b.conf": "check 192.0.2.2\ninclude a.conf\n",
        ])
        #expect(errors == [
            "/etc/rdnscheck/b.conf:2: include cycle: /etc/rdnscheck/a.conf includes itself (through "
                + "\(mainFile) -> /etc/rdnscheck/a.conf -> /etc/rdnscheck/b.conf)",
        ])
        #expect(Array(configuration.targets) == [target("192.0.2.1"), target("192.0.2.2"), target("192.0.2.9")])
    }

    @Test("a glob that matches the including file itself is a cycle, and the other matches still parse")
    func includeSelfThroughGlob() {
        let (configuration, errors) = parse([
            mainFile: "include *.conf\n",
            "/etc/rdnscheck/local.conf": "check 192.0.2.1\n",
        ])
        #expect(errors == ["\(mainFile):1: include cycle: \(mainFile) includes itself (through \(mainFile))"])
        #expect(Array(configuration.targets) == [target("192.0.2.1")])
    }

    @Test("includes nested deeper than the limit are an error, not a stack overflow")
    func includeDepth() {
        let depth = ConfigurationParser.maximumIncludeDepth
        func chain(_ files: Int) -> [String: String] {
            var result = [mainFile: "include f1.conf\n"]
            for index in 1..<files {
                let next = index + 1 < files ? "include f\(index + 1).conf\n" : ""
                result["/etc/rdnscheck/f\(index).conf"] = "check 192.0.2.\(index)\n" + next
            }
            return result
        }
        #expect(parse(chain(depth)).1 == [])
        #expect(parse(chain(depth)).0.targets.count == depth - 1)
        #expect(parse(chain(depth + 1)).1
            == ["/etc/rdnscheck/f\(depth - 1).conf:2: includes nested more than \(depth) deep"])
    }

    @Test("an unreadable included file is an error naming it at the include line")
    func unreadableInclude() {
        var source = MemorySource([mainFile: "check 192.0.2.1\ninclude conf.d/*.conf\n",
                                   "/etc/rdnscheck/conf.d/b.conf": "check 192.0.2.2\n"])
        source.unreadable["/etc/rdnscheck/conf.d/a.conf"] = "Permission denied"
        let (configuration, errors) = parse(source)
        #expect(errors == ["\(mainFile):2: cannot read /etc/rdnscheck/conf.d/a.conf: Permission denied"])
        #expect(Array(configuration.targets) == [target("192.0.2.1"), target("192.0.2.2")])
    }

    @Test("a directory the glob cannot read is an error at the include line")
    func unreadableDirectory() {
        var source = MemorySource([mainFile: "include conf.d/*.conf\n"])
        source.brokenDirectories = ["/etc/rdnscheck/conf.d/"]
        #expect(parse(source).1 == ["\(mainFile):1: include 'conf.d/*.conf': cannot read the directory"])
    }

    @Test("a main file that cannot be read is one error naming it, without a line number")
    func unreadableMainFile() throws {
        let (configuration, errors) = ConfigurationParser.parse(file: mainFile, source: MemorySource([:]))
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.description == "\(mainFile): cannot read \(mainFile): No such file or directory")
        #expect(configuration == Configuration())
    }
}

@Suite("ConfigurationParser: bounded work")
struct ConfigurationParserBoundsTests {
    @Test("files included four times at every level stop after 1,000 reads with one error (found by fuzzing)")
    func repeatedIncludesAreBounded() {
        var files = [mainFile: String(repeating: "include conf.d/1.conf\n", count: 4)]
        for level in 1..<8 {
            files["/etc/rdnscheck/conf.d/\(level).conf"] = String(repeating: "include \(level + 1).conf\n", count: 4)
        }
        files["/etc/rdnscheck/conf.d/8.conf"] = "check 192.0.2.1\n"
        let (configuration, errors) = parse(files)
        #expect(errors.filter { $0.contains("more than 1000 files read through includes") }.count == 1)
        #expect(configuration.targets.map(\.address) == [IPAddress("192.0.2.1")!])
    }

    @Test("sixteen files that each include *.conf give one error per include line, not thousands")
    func includeCyclesReportedOnce() {
        var files = [mainFile: "include conf.d/*.conf\n"]
        for index in 1...16 {
            files["/etc/rdnscheck/conf.d/\(index).conf"] = "include *.conf\ncheck 192.0.2.\(index)\n"
        }
        let errors = parse(files).1
        let cycles = errors.filter { $0.contains("include cycle") }
        #expect(cycles.count == 16, "\(errors.count) errors, \(cycles.count) about cycles")
        #expect(Set(cycles.map { $0.prefix { $0 != " " } }).count == 16, "one error for each file's include line")
        #expect(errors.count <= 17, "the cycles, and at most the line about files read: \(errors.count)")
    }

    @Test("the check line that passes 1,048,576 addresses is the one error, at its FILE:LINE")
    func addressLimit() {
        let sixteen = (0..<16).map { "check 10.\($0).0.0/16" }.joined(separator: "\n")
        let (configuration, errors) = parse([
            mainFile: "include big.conf\ncheck 10.0.0.1 mail.example.com\ncheck 192.0.2.0/24\ncheck 192.0.2.1\n",
            "/etc/rdnscheck/big.conf": sixteen + "\n",
        ])
        #expect(errors == ["\(mainFile):3: this line makes 1048832 addresses to check, more than the 1048576 one "
                           + "configuration may hold"])
        #expect(configuration.targets.count == 1_048_576)
        #expect(configuration.targets.first { $0.address == IPAddress("10.0.0.1") }?.expectedName
            == DNSName("mail.example.com"))
    }

    @Test("64 /16 lines are refused at the 17th without expanding a range")
    func sixtyFourRanges() {
        let lines = (0..<64).map { "check 10.\($0).0.0/16" }.joined(separator: "\n")
        let (configuration, errors) = parse([mainFile: lines])
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("\(mainFile):17: this line makes 1114112 addresses") == true)
        #expect(configuration.targets.count == 1_048_576)
    }
}

/// What every "is not a duration" message ends with.
private let durationHint = "; write one number and one unit (s, m, h, d), or distinct units largest first, as in 1h30m"
