/// The output formats of `--once`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, nagios, json

    /// The whole output for a run, ending with a newline.
    public func render(_ report: RunReport) -> String {
        switch self {
        case .text: TextReport.render(report)
        case .nagios: NagiosReport.render(report)
        case .json: JSONReport.render(report)
        }
    }
}

/// One aligned line per address (status, address, PTR names, what is wrong), then a `changed:` line per address
/// that drifted since the last run, then a summary line.
public enum TextReport {
    public static func render(_ report: RunReport) -> String {
        let rows = report.results.map { result -> [String] in
            let names = result.ptrNames.isEmpty ? "-" : result.ptrNames.map(\.description).joined(separator: ",")
            let problems = result.problems.map { "\($0.code.rawValue): \($0.detail)" }.joined(separator: "; ")
            return [result.status.description, result.address.description, names, problems]
        }
        var widths = [0, 0, 0]
        for row in rows {
            for column in 0..<3 { widths[column] = max(widths[column], row[column].count) }
        }
        var output = ""
        for row in rows {
            var line = ""
            for column in 0..<3 {
                let cell = row[column]
                line += column == 2 && row[3].isEmpty ? cell : cell + String(repeating: " ", count: widths[column] - cell.count + 2)
            }
            output += line + row[3] + "\n"
        }
        for result in report.results {
            if let drift = report.drifts[result.address] { output += "changed: \(drift.description)\n" }
        }
        let seconds = PlainFormat.decimal(report.durationSeconds, places: 3)
        output += "\(report.status): \(report.summary) in \(seconds)s\n"
        return output
    }
}

/// The monitoring-plugins format: a status line with performance data, then one line per non-OK address.
public enum NagiosReport {
    public static func render(_ report: RunReport) -> String {
        let total = report.results.count
        let perfdata = Status.allCases.map { "\($0.word)=\(report.count($0));;;0;\(total)" }.joined(separator: " ")
            + " time=\(PlainFormat.decimal(report.durationSeconds, places: 3))s;;;0"
        var output = "RDNS \(report.status) - \(report.summary) | \(perfdata)\n"
        for result in report.results where result.status != .ok {
            let problems = result.problems.map { "\($0.code.rawValue): \($0.detail)" }.joined(separator: "; ")
            // '|' would start performance data in the plugin output; DNS names are already escaped.
            output += "\(result.status) \(result.address): \(problems)".replacingPipes() + "\n"
        }
        return output
    }
}

extension String {
    func replacingPipes() -> String {
        split(separator: "|", omittingEmptySubsequences: false).joined(separator: "/")
    }
}
