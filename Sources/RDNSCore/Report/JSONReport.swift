/// The JSON output: one object, snake_case keys, documented in the README. Keys may be added, never renamed.
public enum JSONReport {
    public static func render(_ report: RunReport) -> String {
        ReportFormat.json.render(report)
    }

    /// `{"checked_at": …, "results": [`: the results come before the run's status and counts, so each is written
    /// as soon as it is checked.
    static func head(checkedAt: Int, to output: inout ChunkedSink) {
        output.append("{\"checked_at\": \(Escaping.jsonString(PlainFormat.iso8601(checkedAt))),\n \"results\": [")
    }

    /// The end of `"results"`, then the run's keys: status, exit code, duration, counts, and `"problems"`,
    /// `"discovered"` (null without `discover`) and `"aws"` (null without `aws-ptr on`); addresses that disappeared
    /// from the host are listed in `"detached"` with their changes.
    static func tail(_ tail: ReportTail, to output: inout ChunkedSink) {
        var out = "],\n \"status\": \(Escaping.jsonString(tail.status.word)), \"exit_code\": \(tail.status.rawValue), "
        out += "\"duration_seconds\": \(PlainFormat.decimal(tail.durationSeconds, places: 3)),\n"
        out += " \"counts\": {"
        out += Status.allCases.map { "\(Escaping.jsonString($0.word)): \(tail.counts[$0])" }.joined(separator: ", ")
        out += "},\n"
        let problems = tail.problems.map { problem in
            JSONValue.object([JSONValue.Member("code", .string(problem.code.rawValue)),
                              JSONValue.Member("message", .string(problem.message))])
        }
        out += " \"problems\": \(JSONValue.array(problems).jsonText),\n"
        let discovered = tail.discovery.map { discovery in
            JSONValue.object([
                JSONValue.Member("source", .string(discovery.source.rawValue)),
                JSONValue.Member("ok", .bool(discovery.ok)),
                JSONValue.Member("addresses", .array(discovery.addresses.map { .string($0.description) })),
            ])
        } ?? .null
        out += " \"discovered\": \(discovered.jsonText),\n"
        let aws = tail.aws.map { aws in
            JSONValue.object([JSONValue.Member("ok", .bool(aws.ok)),
                              JSONValue.Member("error", aws.error.map(JSONValue.string) ?? .null)])
        } ?? .null
        out += " \"aws\": \(aws.jsonText)"
        let detached = tail.detached.map { drift in
            JSONValue.object([JSONValue.Member("address", .string(drift.address.description)),
                              JSONValue.Member("changes", .array(drift.changes.map(\.json)))])
        }
        if !detached.isEmpty { out += ",\n \"detached\": \(JSONValue.array(detached).jsonText)" }
        output.append(out + "}\n")
    }

    /// A result's `"aws"`: AWS's record of the address's PTR, or null.
    static func aws(_ record: AWSAddressRecord?) -> JSONValue {
        guard let record else { return .null }
        let update = record.update.map { update in
            JSONValue.object([
                JSONValue.Member("value", update.value.map { .string($0.description) } ?? .null),
                JSONValue.Member("status", .string(update.status)),
                JSONValue.Member("reason", update.reason.map(JSONValue.string) ?? .null),
            ])
        } ?? .null
        return .object([
            JSONValue.Member("allocation_id", .string(record.allocationID)),
            JSONValue.Member("ptr_record", record.ptrRecord.map { .string($0.description) } ?? .null),
            JSONValue.Member("update", update),
        ])
    }
}

/// The per-address objects, written byte by byte without building Strings: this runs 65,536 times for a /16,
/// and String building was most of its cost.
extension ChunkedSink {
    /// One result object (see the README for its keys), with `changes` from its drift; `first`: no comma before.
    mutating func result(_ result: AddressResult, drift: Drift?, first: Bool) {
        // Most results are written without `append`, which hands a full chunk on.
        defer { flushIfFull() }
        literal(first ? "\n  {\"address\": " : ",\n  {\"address\": ")
        quoted(result.address)
        statusAndSource(result)
        // Fixed text runs merged where the common case allows: each append costs about as much as its bytes.
        if let expected = result.target.expectedName {
            literal("\", \"expected_name\": ")
            quoted(expected)
        } else {
            literal("\", \"expected_name\": null")
        }
        literal(",\n   \"ptr_names\": [")
        // By index, here and below: an enumeration retained and released each array.
        for index in result.ptrNames.indices {
            if index > 0 { literal(", ") }
            quoted(result.ptrNames[index])
        }
        literal("], \"ptr_count\": ")
        decimal(result.ptrCount)
        literal(", \"forward\": {")
        for index in result.forward.indices {
            if index > 0 { literal(", ") }
            quoted(result.forward[index].name)
            literal(": [")
            for position in result.forward[index].addresses.indices {
                if position > 0 { literal(", ") }
                quoted(result.forward[index].addresses[position])
            }
            literal("]")
        }
        literal("}")
        if result.forward.contains(where: { $0.isCut }) {
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
        literal(result.problems.isEmpty ? ",\n   \"problems\": [],\n   \"receivers\": {" : ",\n   \"problems\": [")
        for index in result.problems.indices {
            let problem = result.problems[index]
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
        if !result.problems.isEmpty { literal("],\n   \"receivers\": {") }
        receivers(result)
        // Asked with `if case`, which copies nothing: `== nil` compared two copies of the AWS record, and reading the
        // changes copied the drift.
        let hasAWS = if case .some = result.aws { true } else { false }
        if case .none = drift, !hasAWS {
            literal("}, \"changes\": [], \"aws\": null}")
            return
        }
        let changes = drift?.changes ?? []
        literal("}, \"changes\": ")
        if !changes.isEmpty {
            append(Drift.json(changes))
        } else {
            append("[]")
        }
        if hasAWS {
            literal(", \"aws\": ")
            append(JSONReport.aws(result.aws).jsonText)
        } else {
            literal(", \"aws\": null")
        }
        literal("}")
    }

    /// `"gmail": {"verdict": …, "reason": …}, …`; SpamAssassin's with `"rules"`. Each rule in three copies: its
    /// opening, its PTR name and the rest of its reason, which most addresses of a range share.
    private mutating func receivers(_ result: AddressResult) {
        if let name = ReceiverVerdicts.plainName(result) {
            // The template's pieces, with the name between them.
            ChunkedSink.plainReceivers.text.withUnsafeBufferPointer { text in
                var start = 0
                for end in ChunkedSink.plainReceivers.names {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<end]))
                    nameContent(name)
                    start = end
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
            }
            return
        }
        for (index, outcome) in ReceiverVerdicts.byEachRule(result).enumerated() {
            bytes.append(contentsOf: ChunkedSink.receiverOpening(outcome, first: index == 0))
            if let name = outcome.subject { nameContent(name) }
            let rule = ChunkedSink.ruleOrder.firstIndex(of: outcome.rule)!
            if reasonEnds[rule]?.matches(outcome) != true {
                reasonEnds[rule] = ReasonEnd(outcome)
            }
            bytes.append(contentsOf: reasonEnds[rule]!.text)
        }
    }

    /// The receivers of an address whose verdicts are `ReceiverVerdicts.plainOutcomes`, made by the general code
    /// above from the same outcomes: the text without the PTR name, and where the name goes in it.
    private static let plainReceivers: (text: [UInt8], names: [Int]) = {
        let name = DNSName("plain.invalid")!
        var text: [UInt8] = []
        var names: [Int] = []
        for (index, outcome) in ReceiverVerdicts.plainOutcomes(name).enumerated() {
            text += receiverOpening(outcome, first: index == 0)
            names.append(text.count)
            text += ReasonEnd(outcome).text
        }
        return (text, names)
    }()

    /// `"gmail": {"verdict": "accept", "reason": "` for each rule and verdict, with the `, ` between rules and the
    /// `PTR ` a reason may start with, made once: one copy for what was up to seven appends.
    private static let receiverOpenings: [[UInt8]] = [false, true].flatMap { first in
        [false, true].flatMap { ptr in
            ruleOrder.flatMap { rule in
                verdictOrder.map { verdict in
                    Array(((first ? "" : ", ") + "\"\(rule.rawValue)\": {\"verdict\": \"\(verdict.rawValue)\", "
                        + "\"reason\": \"" + (ptr ? "PTR " : "")).utf8)
                }
            }
        }
    }
    // Kept: `allCases` builds a new array at each use.
    private static let ruleOrder = ReceiverRule.allCases
    private static let verdictOrder = ReceiverVerdict.allCases

    private static func receiverOpening(_ outcome: ReceiverOutcome, first: Bool) -> [UInt8] {
        let kind = (first ? 2 : 0) + (outcome.subject == nil ? 0 : 1)
        let rule = ruleOrder.firstIndex(of: outcome.rule)!
        return receiverOpenings[(kind * ruleOrder.count + rule) * verdictOrder.count
            + verdictOrder.firstIndex(of: outcome.verdict)!]
    }

    /// `, "status": "ok", "source": "command-line`, made again only when they change: most results of a range share
    /// them (looking the pair up in a table of all of them searched two arrays, every address).
    private mutating func statusAndSource(_ result: AddressResult) {
        if lastStatusAndSource?.status != result.status || lastStatusAndSource?.source != result.source {
            lastStatusAndSource = (result.status, result.source)
            lastStatusAndSourceText = Array(
                ", \"status\": \"\(result.status.word)\", \"source\": \"\(result.source.rawValue)".utf8)
        }
        bytes.append(contentsOf: lastStatusAndSourceText)
    }

    /// A count: most are a single digit.
    private mutating func decimal(_ value: Int) {
        if (0...9).contains(value) {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            append(String(value))
        }
    }

    /// Fixed text, copied without going through String (nor a closure, which retained the sink at every call).
    /// Inlined: its length is then known where it is written, and a call cost about 40 instructions more than the
    /// copy (a range's JSON writes eight literals an address).
    @inline(__always)
    private mutating func literal(_ text: StaticString) {
        guard text.hasPointerRepresentation else { return text.withUTF8Buffer { bytes.append(contentsOf: $0) } }
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// An address needs no escaping.
    private mutating func quoted(_ address: IPAddress) {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(address)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func quoted(_ name: DNSName) {
        bytes.append(UInt8(ascii: "\""))
        nameContent(name)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `name` escaped as inside a JSON string, escaped once for as long as the same name comes again: most addresses
    /// write their PTR name three times and more (`ptr_names`, `forward`, the receivers' reasons). Compared byte for
    /// byte, not as names are (ignoring case).
    private mutating func nameContent(_ name: DNSName) {
        if lastNameWire != name.wire {
            lastNameWire = name.wire
            lastNameText.removeAll(keepingCapacity: true)
            Escaping.appendJSONContent(name, to: &lastNameText)
        }
        bytes.append(contentsOf: lastNameText)
    }
}
