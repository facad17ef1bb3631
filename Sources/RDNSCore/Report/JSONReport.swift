/// The JSON output: one object, snake_case keys, documented in the README. Keys may be added, never renamed.
public enum JSONReport {
    public static func render(_ report: RunReport) -> String {
        ReportFormat.json.render(report)
    }

    static func write(_ report: RunReport, to sink: @escaping (String) -> Void) {
        var out = "{"
        out += "\"status\": \(Escaping.jsonString(report.status.word)), \"exit_code\": \(report.status.rawValue), "
        out += "\"checked_at\": \(Escaping.jsonString(PlainFormat.iso8601(report.checkedAt))), "
        out += "\"duration_seconds\": \(PlainFormat.decimal(report.durationSeconds, places: 3)),\n"
        out += " \"counts\": {"
        out += Status.allCases.map { "\(Escaping.jsonString($0.word)): \(report.count($0))" }.joined(separator: ", ")
        out += "},\n \"results\": ["
        var output = ChunkedSink(sink)
        output.append(out)
        // Borrowed in place: copying each result out of the array retained and released every field of it.
        report.results.withUnsafeBufferPointer { results in
            for index in results.indices {
                if index > 0 { output.append(",") }
                output.result(results[index], drifts: report.drifts)
            }
        }
        output.append("]}\n")
        output.flush()
    }
}

/// The per-address objects, written byte by byte without building Strings: this runs 65,536 times for a /16,
/// and String building was most of its cost.
extension ChunkedSink {
    /// One result object (see the README for its keys).
    mutating func result(_ result: AddressResult, drifts: [IPAddress: Drift]) {
        literal("\n  {\"address\": ")
        quoted(result.address)
        literal(", \"status\": \"")
        append(result.status.word)
        literal("\", \"expected_name\": ")
        if let expected = result.target.expectedName { quoted(expected) } else { literal("null") }
        literal(",\n   \"ptr_names\": [")
        for (index, name) in result.ptrNames.enumerated() {
            if index > 0 { literal(", ") }
            quoted(name)
        }
        literal("], \"ptr_count\": ")
        append(String(result.ptrCount))
        literal(", \"forward\": {")
        for (index, answer) in result.forward.enumerated() {
            if index > 0 { literal(", ") }
            quoted(answer.name)
            literal(": [")
            for (position, found) in answer.addresses.enumerated() {
                if position > 0 { literal(", ") }
                quoted(found)
            }
            literal("]")
        }
        literal("}")
        if result.forward.contains(where: \.isCut) {
            // Only where an answer was cut: the other lists are whole, and most results have no such answer.
            literal(", \"forward_counts\": {")
            for (index, answer) in result.forward.filter(\.isCut).enumerated() {
                if index > 0 { literal(", ") }
                quoted(answer.name)
                literal(": ")
                append(String(answer.addressCount))
            }
            literal("}")
        }
        literal(",\n   \"problems\": [")
        for (index, problem) in result.problems.enumerated() {
            if index > 0 { literal(", ") }
            literal("{\"code\": \"")
            append(problem.code.rawValue)
            literal("\", \"message\": ")
            append(Escaping.jsonString(result.address.description + ": " + problem.detail))
            // Always there: null when no cure is known.
            literal(", \"fix\": ")
            if let fix = problem.fix { append(Escaping.jsonString(fix)) } else { literal("null") }
            literal("}")
        }
        literal("], \"changes\": ")
        if let changes = drifts.isEmpty ? nil : drifts[result.address]?.changes, !changes.isEmpty {
            append(Drift.json(changes))
        } else {
            append("[]")
        }
        literal("}")
    }

    /// Fixed text, copied without going through String.
    private mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// An address needs no escaping.
    private mutating func quoted(_ address: IPAddress) {
        bytes.append(UInt8(ascii: "\""))
        address.appendText(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func quoted(_ name: DNSName) {
        Escaping.appendJSONString(name, to: &bytes)
    }
}
