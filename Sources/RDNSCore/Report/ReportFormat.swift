/// The output formats of `--once`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, nagios, json

    /// The whole output for a run, ending with a newline. `receivers`: the text format's `--receivers` (JSON always
    /// has them, and nagios lists the receivers that refuse).
    public func render(_ report: RunReport, receivers: Bool = false) -> String {
        let output = StringBox()
        write(report, receivers: receivers) { output.text += $0 }
        return output.text
    }

    /// The output in pieces of a few hundred addresses each, so a /16 is never held as one string.
    public func write(_ report: RunReport, receivers: Bool = false, to sink: @escaping (String) -> Void) {
        var writer = ReportWriter(self, receivers: receivers, ipv6: report.results.contains { !$0.address.isIPv4 }) {
            sink(String(decoding: $0, as: UTF8.self))
        }
        let tail = report.tail
        if tailComesFirst { writer.tail(tail) } else { writer.head(checkedAt: report.checkedAt) }
        // Borrowed in place: copying each result out of the array retained and released every field of it.
        report.results.withUnsafeBufferPointer { results in
            for index in results.indices {
                let drift = report.drifts.isEmpty ? nil : report.drifts[results[index].address]
                writer.result(results[index], drift: drift)
            }
        }
        if !tailComesFirst { writer.tail(tail) }
        writer.flush()
    }

    /// Whether the tail (`ReportWriter.tail`) is written before the results: nagios's first line carries the
    /// counts.
    public var tailComesFirst: Bool { self == .nagios }
}

/// What a report says after its results: known once the last address is checked.
public struct ReportTail: Sendable {
    public let counts: StatusCounts
    public let durationSeconds: Double
    /// The drifts of the addresses checked, in result order.
    public let drifts: [Drift]
    /// See `RunReport`.
    public let detached: [Drift]
    public let problems: [RunProblem]
    public let discovery: DiscoveryOutcome?
    public let aws: AWSOutcome?

    public init(counts: StatusCounts, durationSeconds: Double, drifts: [Drift] = [], detached: [Drift] = [],
                problems: [RunProblem] = [], discovery: DiscoveryOutcome? = nil, aws: AWSOutcome? = nil) {
        self.counts = counts
        self.durationSeconds = durationSeconds
        self.drifts = drifts
        self.detached = detached
        self.problems = problems
        self.discovery = discovery
        self.aws = aws
    }

    /// The run's status: see `StatusCounts.status(with:)`.
    public var status: Status { counts.status(with: problems) }
}

/// The one writer of each format, in three pieces: a head, one piece per result, a tail with the summary. A whole
/// report (`ReportFormat.write`) and `--once` writing results as they come (`StreamedReport`) both go through it,
/// the head first and the tail last, but for nagios (`ReportFormat.tailComesFirst`).
public struct ReportWriter {
    private let format: ReportFormat
    private let receivers: Bool
    private let addressWidth: Int
    private var output: ChunkedSink
    private var resultsWritten = 0

    /// `ipv6`: whether any address checked is IPv6, for the text format's address column (`TextReport`). `sink`
    /// gets the output, UTF-8, in chunks of about 64 KiB, each for as long as it runs.
    public init(_ format: ReportFormat, receivers: Bool, ipv6: Bool,
                to sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.format = format
        self.receivers = receivers
        addressWidth = TextReport.addressWidth(ipv6: ipv6)
        output = ChunkedSink(sink)
    }

    /// What comes before the results: JSON's opening, with the run's start (seconds since the epoch).
    public mutating func head(checkedAt: Int) {
        if format == .json { JSONReport.head(checkedAt: checkedAt, to: &output) }
    }

    /// One result, with its drift since the last run when it has one.
    public mutating func result(_ result: AddressResult, drift: Drift?) {
        switch format {
        case .text: TextReport.line(result, receivers: receivers, addressWidth: addressWidth, to: &output)
        case .nagios: NagiosReport.line(result, to: &output)
        case .json: output.result(result, drift: drift, first: resultsWritten == 0)
        }
        resultsWritten += 1
    }

    /// What comes after the results (before them for nagios): the summary, the counts, the run's problems.
    public mutating func tail(_ tail: ReportTail) {
        switch format {
        case .text: TextReport.tail(tail, to: &output)
        case .nagios: NagiosReport.statusLines(tail, to: &output)
        case .json: JSONReport.tail(tail, to: &output)
        }
    }

    /// Hands on what is collected.
    public mutating func flush() {
        output.flush()
    }
}

private final class StringBox {
    var text = ""
}

/// Collects output as bytes and hands it on in chunks of about 64 KiB. Collecting bytes lets the JSON report write
/// addresses and names without building a String for each (see `JSONReport`); the chunks go on as bytes, to be
/// written as they are (what is collected is UTF-8: Strings, and names escaped to ASCII).
struct ChunkedSink {
    let bytes = OutputBytes(capacity: 70_000)
    /// The last name the JSON report wrote and its escaped text (`JSONReport`'s `nameContent`).
    var lastNameWire: [UInt8] = []
    var lastNameText: [UInt8] = []
    /// The status and source of the last result the JSON report wrote, and their text (`JSONReport`'s
    /// `statusAndSource`).
    var lastStatusAndSource: (status: Status, source: TargetSource)?
    var lastStatusAndSourceText: [UInt8] = []
    /// Per receiver rule, the end of the last reason the JSON report wrote (`JSONReport`'s `receivers`).
    var reasonEnds = [ReasonEnd?](repeating: nil, count: ReceiverRule.allCases.count)
    private let sink: (UnsafeRawBufferPointer) -> Void

    init(_ sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.sink = sink
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        flushIfFull()
    }

    /// Hands on what is collected once it reaches 64 KiB: for what is written to `bytes` directly.
    mutating func flushIfFull() {
        if bytes.count >= 65_536 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        bytes.withBytes(sink)
        bytes.removeAll()
    }
}

/// Bytes of output being collected, in one buffer that grows only for a result bigger than it: each piece is
/// appended with one capacity check and one copy (an array's `append(contentsOf:)` took about 90 instructions a call,
/// and a range's JSON makes 15 calls an address). A reference, owned by one `ChunkedSink`, which is never copied.
final class OutputBytes {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        base.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    func append(contentsOf piece: UnsafeBufferPointer<UInt8>) {
        guard let source = piece.baseAddress, !piece.isEmpty else { return }
        reserve(piece.count)
        (base + count).update(from: source, count: piece.count)
        count += piece.count
    }

    func append(contentsOf piece: [UInt8]) {
        piece.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// `address`'s text (`IPAddress.withText`), an IPv4 address's written in place: a report writes one or more for
    /// every address of a range, and going through `withText`'s buffer and closure took twice the instructions.
    func append(_ address: IPAddress) {
        guard case .v4(let value) = address else { return address.withText { append(contentsOf: $0) } }
        reserve(IPAddress.maximumIPv4TextLength)
        count += IPAddress.writeIPv4Text(
            value, to: UnsafeMutableBufferPointer(start: base + count, count: IPAddress.maximumIPv4TextLength))
    }

    /// What is collected, for as long as `body` runs.
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        body(UnsafeRawBufferPointer(start: base, count: count))
    }

    func removeAll() {
        count = 0
    }

    /// Inlined: the room is there for all but a result bigger than the buffer.
    @inline(__always)
    private func reserve(_ more: Int) {
        if count + more > capacity { grow(toHold: more) }
    }

    private func grow(toHold more: Int) {
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity * 2, count + more))
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = max(capacity * 2, count + more)
    }
}

/// What a receiver's reason ends with in the JSON report: after its PTR name, if it names one, a space, then the
/// rest escaped, the string's closing quote and SpamAssassin's `"rules"`. Most addresses of a range share it, so it
/// is escaped once for as long as it comes again.
struct ReasonEnd {
    let namesPTR: Bool
    let predicate: String
    let rules: [String]
    let text: [UInt8]

    init(_ outcome: ReceiverOutcome) {
        namesPTR = outcome.subject != nil
        predicate = outcome.predicate
        rules = outcome.rules
        var text: [UInt8] = namesPTR ? [UInt8(ascii: " ")] : []
        Escaping.appendJSONContent(predicate, to: &text)
        if outcome.rule == .spamassassin {
            text += Array("\", \"rules\": [".utf8)
            text += Array(rules.map { "\"\($0)\"" }.joined(separator: ", ").utf8)
            text += Array("]}".utf8)
        } else {
            text += Array("\"}".utf8)
        }
        self.text = text
    }

    /// Whether `outcome`'s reason ends so (its rule is the caller's).
    func matches(_ outcome: ReceiverOutcome) -> Bool {
        namesPTR == (outcome.subject != nil) && predicate == outcome.predicate && rules == outcome.rules
    }
}

/// One line per address in fixed-width columns (status, address, PTR names, what is wrong) and under it a `  fix:`
/// line per known cure and, with `--receivers`, a line per receiver rule (`  gmail: reject (PTR … does not
/// forward-confirm)`), then a `changed:` line per address that drifted since the last run, then a summary line.
public enum TextReport {
    public static func render(_ report: RunReport, receivers: Bool = false) -> String {
        ReportFormat.text.render(report, receivers: receivers)
    }

    /// The names column is never wider than this: a longer cell is cut (see `namesCell`), so one address with many
    /// or long names never widens every other line. Wide enough for two typical names, or one cloud default name
    /// (`ec2-203-0-113-255.ap-southeast-1.compute.amazonaws.com` is 54 characters).
    public static let maximumNamesWidth = 64

    /// The columns have fixed widths, so a line is written as soon as its address is checked: the widest status
    /// (`CRITICAL`), the widest address of the families checked, and `maximumNamesWidth`.
    static let statusWidth = 8

    /// The widest IPv4 address (15 characters), or the widest IPv6 one (39) when any address is IPv6.
    static func addressWidth(ipv6: Bool) -> Int { ipv6 ? 39 : 15 }

    /// One result's line, its `  fix:` lines and, with `receivers`, its receivers' lines.
    static func line(_ result: AddressResult, receivers: Bool, addressWidth: Int, to output: inout ChunkedSink) {
        let problems = result.problems.map { "\($0.code.rawValue): \($0.detail)" }.joined(separator: "; ")
        let names = namesCell(result)
        var line = padded(result.status.description, statusWidth) + padded(result.address.description, addressWidth)
        line += problems.isEmpty ? names : padded(names, maximumNamesWidth) + problems
        output.append(line + "\n")
        // Two problems with one cure (generic-ptr and expected-name-mismatch: the PTR to ask for) print it once.
        var fixes: [String] = []
        for problem in result.problems {
            if let fix = problem.fix, !fixes.contains(fix) { fixes.append(fix) }
        }
        for fix in fixes { output.append("  fix: \(fix)\n") }
        if receivers {
            for outcome in ReceiverVerdicts.all(for: result) {
                let rules = outcome.rules.map { " " + $0 }.joined()
                output.append("  \(outcome.rule.rawValue): \(outcome.verdict.rawValue)\(rules) (\(outcome.reason))\n")
            }
        }
    }

    /// A `changed:` line per drift, the run's problems, and the summary line.
    static func tail(_ tail: ReportTail, to output: inout ChunkedSink) {
        for drift in tail.drifts { output.append("changed: \(drift.description)\n") }
        for drift in tail.detached { output.append("changed: \(drift.description)\n") }
        for problem in tail.problems {
            // Escaped: the message quotes what a metadata service or the aws command said.
            output.append("\(problem.severity): \(problem.code.rawValue): \(Escaping.oneLine(problem.message))\n")
        }
        let seconds = PlainFormat.decimal(tail.durationSeconds, places: 3)
        output.append("\(tail.status): \(tail.counts.summary) in \(seconds)s\n")
    }

    /// The PTR names that fit in `maximumNamesWidth`, whole and comma-separated, then ` … and N more` for the ones
    /// left out (N counts every name not shown, those the result did not keep included); `-` for none. A first
    /// name too long for the column alone is cut and ends in `…`.
    static func namesCell(_ result: AddressResult) -> String {
        guard let first = result.ptrNames.first?.description else { return "-" }
        var cell = ""
        var shown = 0
        for name in result.ptrNames {
            let next = (shown == 0 ? "" : cell + ",") + name.description
            guard next.count + AddressResult.andMore(result.ptrCount - shown - 1).count <= maximumNamesWidth else {
                break
            }
            cell = next
            shown += 1
        }
        guard shown == 0 else { return cell + AddressResult.andMore(result.ptrCount - shown) }
        let rest = result.ptrCount - 1
        let tail = "…" + (rest > 0 ? " and \(PlainFormat.grouped(rest)) more" : "")
        var cut = first.prefix(maximumNamesWidth - tail.count)
        // Never half a `\DDD` escape: a backslash among the last three characters starts one that was cut.
        if let backslash = cut.suffix(3).lastIndex(of: "\\") { cut = cut[..<backslash] }
        return cut + tail
    }

    /// The cell and two spaces past the column's width.
    private static func padded(_ cell: String, _ width: Int) -> String {
        cell + String(repeating: " ", count: width - cell.count + 2)
    }
}

/// The monitoring-plugins format: a status line with performance data, then one line per non-OK address, ending
/// with the receiver rules that reject or defer its mail (`; receivers: gmail reject, postfix-client defer`).
public enum NagiosReport {
    public static func render(_ report: RunReport) -> String {
        ReportFormat.nagios.render(report)
    }

    /// The status line, with the counts, then a line per problem of the run.
    static func statusLines(_ tail: ReportTail, to output: inout ChunkedSink) {
        let total = tail.counts.total
        let perfdata = Status.allCases.map { "\($0.word)=\(tail.counts[$0]);;;0;\(total)" }.joined(separator: " ")
            + " time=\(PlainFormat.decimal(tail.durationSeconds, places: 3))s;;;0"
        let runProblems = tail.problems.map { "; \($0.code.rawValue)" }.joined()
        output.append(Escaping.withoutPipes("RDNS \(tail.status) - \(tail.counts.summary)\(runProblems)")
                      + " | \(perfdata)\n")
        for problem in tail.problems {
            output.append(Escaping.withoutPipes("\(problem.severity) \(problem.code.rawValue): "
                                                + Escaping.oneLine(problem.message)) + "\n")
        }
    }

    /// A non-OK address's line; nothing for an OK one.
    static func line(_ result: AddressResult, to output: inout ChunkedSink) {
        guard result.status != .ok else { return }
        let problems = result.problems.map { "\($0.code.rawValue): \($0.detail)" }.joined(separator: "; ")
        let refusing = ReceiverVerdicts.all(for: result).filter { $0.verdict == .reject || $0.verdict == .defer }
        let receivers = refusing.isEmpty ? ""
            : "; receivers: " + refusing.map { "\($0.rule.rawValue) \($0.verdict.rawValue)" }.joined(separator: ", ")
        // '|' would start performance data in the plugin output; DNS names are already escaped.
        output.append(Escaping.withoutPipes("\(result.status) \(result.address): \(problems)\(receivers)") + "\n")
    }
}
