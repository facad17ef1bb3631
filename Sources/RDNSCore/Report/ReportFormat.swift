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
        switch self {
        case .text: TextReport.write(report, receivers: receivers, to: sink)
        case .nagios: sink(NagiosReport.render(report))
        case .json: JSONReport.write(report, to: sink)
        }
    }
}

private final class StringBox {
    var text = ""
}

/// Collects output as bytes and hands it on as text in chunks of about 64 KiB. Collecting bytes lets the JSON
/// report write addresses and names without building a String for each (see `JSONReport`).
struct ChunkedSink {
    var bytes: [UInt8] = []
    private let sink: (String) -> Void

    init(_ sink: @escaping (String) -> Void) {
        self.sink = sink
        bytes.reserveCapacity(70_000)
    }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= 65_536 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        sink(String(decoding: bytes, as: UTF8.self))
        bytes.removeAll(keepingCapacity: true)
    }
}

/// One aligned line per address (status, address, PTR names, what is wrong) and under it a `  fix:` line per known
/// cure and, with `--receivers`, a line per receiver rule (`  gmail: reject (PTR … does not forward-confirm)`),
/// then a `changed:` line per address that drifted since the last run, then a summary line.
public enum TextReport {
    public static func render(_ report: RunReport, receivers: Bool = false) -> String {
        ReportFormat.text.render(report, receivers: receivers)
    }

    /// The names column is never wider than this: a longer cell is cut (see `namesCell`), so one address with many
    /// or long names never widens every other line. Wide enough for two typical names, or one cloud default name
    /// (`ec2-203-0-113-255.ap-southeast-1.compute.amazonaws.com` is 54 characters).
    public static let maximumNamesWidth = 64

    /// Two passes over the results (column widths, then lines), so no table of rows is kept.
    static func write(_ report: RunReport, receivers: Bool, to sink: @escaping (String) -> Void) {
        var widths = (status: 0, address: 0, names: 0)
        for result in report.results {
            widths.status = max(widths.status, result.status.description.count)
            widths.address = max(widths.address, result.address.description.count)
            widths.names = max(widths.names, namesCell(result).count)
        }
        var output = ChunkedSink(sink)
        for result in report.results {
            let problems = result.problems.map { "\($0.code.rawValue): \($0.detail)" }.joined(separator: "; ")
            let names = namesCell(result)
            var line = padded(result.status.description, widths.status)
                + padded(result.address.description, widths.address)
            line += problems.isEmpty ? names : padded(names, widths.names) + problems
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
                    output.append("  \(outcome.rule.rawValue): \(outcome.verdict.rawValue)\(rules) "
                                  + "(\(outcome.reason))\n")
                }
            }
        }
        for result in report.results {
            if let drift = report.drifts[result.address] { output.append("changed: \(drift.description)\n") }
        }
        for drift in report.detached { output.append("changed: \(drift.description)\n") }
        for problem in report.problems {
            // Escaped: the message quotes what a metadata service or the aws command said.
            output.append("\(problem.severity): \(problem.code.rawValue): \(Escaping.oneLine(problem.message))\n")
        }
        let seconds = PlainFormat.decimal(report.durationSeconds, places: 3)
        output.append("\(report.status): \(report.summary) in \(seconds)s\n")
        output.flush()
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
        let total = report.results.count
        let perfdata = Status.allCases.map { "\($0.word)=\(report.count($0));;;0;\(total)" }.joined(separator: " ")
            + " time=\(PlainFormat.decimal(report.durationSeconds, places: 3))s;;;0"
        let runProblems = report.problems.map { "; \($0.code.rawValue)" }.joined()
        var output = Escaping.withoutPipes("RDNS \(report.status) - \(report.summary)\(runProblems)")
            + " | \(perfdata)\n"
        for problem in report.problems {
            output += Escaping.withoutPipes("\(problem.severity) \(problem.code.rawValue): "
                                            + Escaping.oneLine(problem.message)) + "\n"
        }
        for result in report.results where result.status != .ok {
            let problems = result.problems.map { "\($0.code.rawValue): \($0.detail)" }.joined(separator: "; ")
            let refusing = ReceiverVerdicts.all(for: result).filter { $0.verdict == .reject || $0.verdict == .defer }
            let receivers = refusing.isEmpty ? ""
                : "; receivers: "
                    + refusing.map { "\($0.rule.rawValue) \($0.verdict.rawValue)" }.joined(separator: ", ")
            // '|' would start performance data in the plugin output; DNS names are already escaped.
            output += Escaping.withoutPipes("\(result.status) \(result.address): \(problems)\(receivers)") + "\n"
        }
        return output
    }
}
