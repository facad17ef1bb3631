/// The JSON output: one object, snake_case keys, documented in the README. Keys may be added, never renamed.
public enum JSONReport {
    public static func render(_ report: RunReport) -> String {
        ReportFormat.json.render(report)
    }

    static func write(_ report: RunReport, to sink: @escaping (String) -> Void) {
        var output = ChunkedSink(sink)
        var out = "{"
        out += "\"status\": \(quoted(report.status.word)), \"exit_code\": \(report.status.rawValue), "
        out += "\"checked_at\": \(quoted(PlainFormat.iso8601(report.checkedAt))), "
        out += "\"duration_seconds\": \(PlainFormat.decimal(report.durationSeconds, places: 3)),\n"
        out += " \"counts\": {"
        out += Status.allCases.map { "\(quoted($0.word)): \(report.count($0))" }.joined(separator: ", ")
        out += "},\n \"results\": ["
        output.append(out)
        for (index, entry) in report.results.enumerated() {
            output.append((index == 0 ? "" : ",") + result(entry, changes: report.drifts[entry.address]?.changes ?? []))
        }
        output.append("]}\n")
        output.flush()
    }

    private static func result(_ result: AddressResult, changes: [Change]) -> String {
        var out = "\n  {\"address\": \(quoted(result.address.description)), \"status\": \(quoted(result.status.word)), "
        out += "\"expected_name\": \(result.target.expectedName.map { quoted($0.description) } ?? "null"),\n"
        out += "   \"ptr_names\": [\(result.ptrNames.map { quoted($0.description) }.joined(separator: ", "))], "
        out += "\"forward\": {"
        out += result.forward.map { answer in
            "\(quoted(answer.name.description)): [\(answer.addresses.map { quoted($0.description) }.joined(separator: ", "))]"
        }.joined(separator: ", ")
        out += "},\n   \"problems\": ["
        out += result.problems.map { problem in
            "{\"code\": \(quoted(problem.code.rawValue)), \"message\": \(quoted(problem.message(for: result.address)))}"
        }.joined(separator: ", ")
        out += "], \"changes\": \(Drift.json(changes))}"
        return out
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String {
        // Most strings (addresses, words, plain host names) need no escape at all.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f || (0x2028...0x2029).contains(scalar.value):
                out += "\\u" + String(String(scalar.value + 0x10000, radix: 16).dropFirst())
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
