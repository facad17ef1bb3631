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

    /// One result object. Built with plain appends: this runs 65,536 times for a /16.
    private static func result(_ result: AddressResult, changes: [Change]) -> String {
        let address = result.address.description
        var out = "\n  {\"address\": "
        appendQuoted(address, to: &out)
        out += ", \"status\": \""
        out += result.status.word
        out += "\", \"expected_name\": "
        if let expected = result.target.expectedName { appendQuoted(expected.description, to: &out) } else { out += "null" }
        out += ",\n   \"ptr_names\": ["
        for (index, name) in result.ptrNames.enumerated() {
            if index > 0 { out += ", " }
            appendQuoted(name.description, to: &out)
        }
        out += "], \"forward\": {"
        for (index, answer) in result.forward.enumerated() {
            if index > 0 { out += ", " }
            appendQuoted(answer.name.description, to: &out)
            out += ": ["
            for (position, found) in answer.addresses.enumerated() {
                if position > 0 { out += ", " }
                appendQuoted(found.description, to: &out)
            }
            out += "]"
        }
        out += "},\n   \"problems\": ["
        for (index, problem) in result.problems.enumerated() {
            if index > 0 { out += ", " }
            out += "{\"code\": \""
            out += problem.code.rawValue
            out += "\", \"message\": "
            appendQuoted(address + ": " + problem.detail, to: &out)
            out += "}"
        }
        out += "], \"changes\": "
        out += changes.isEmpty ? "[]" : Drift.json(changes)
        out += "}"
        return out
    }

    private static func appendQuoted(_ text: String, to out: inout String) {
        out += quoted(text)
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
