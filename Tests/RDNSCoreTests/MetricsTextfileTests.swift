import RDNSCore
import Testing

/// A small reader of the Prometheus text format (0.0.4), as strict as node_exporter's textfile collector on
/// the points that matter: metric and label names, label-value escapes, numeric values, HELP and TYPE before a
/// family's samples, each family in one block, no duplicate series.
private struct Exposition {
    struct Family {
        var help: String?
        var type: String?
        var samples: [(labels: [String: String], value: Double)] = []
    }

    private(set) var families: [String: Family] = [:]
    private(set) var order: [String] = []

    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw Invalid("no final newline") }
        var series: Set<String> = []
        var current: String?
        for line in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let isHelp = line.hasPrefix("# HELP ")
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                guard Exposition.isMetricName(name), rest.count > name.count + 1 else { throw Invalid(String(line)) }
                let value = String(rest.dropFirst(name.count + 1))
                try enter(name, &current)
                if isHelp {
                    guard families[name]?.help == nil, families[name]?.samples.isEmpty ?? true,
                          !value.contains("\\") else { throw Invalid(String(line)) }
                    families[name, default: Family()].help = value
                } else {
                    guard families[name]?.type == nil, families[name]?.samples.isEmpty ?? true,
                          ["counter", "gauge", "histogram", "summary", "untyped"].contains(value) else {
                        throw Invalid(String(line))
                    }
                    families[name, default: Family()].type = value
                }
            } else {
                let (name, labels, value) = try Exposition.sample(line)
                try enter(name, &current)
                let key = name + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined()
                guard series.insert(key).inserted else { throw Invalid("duplicate series: \(line)") }
                families[name, default: Family()].samples.append((labels, value))
            }
        }
    }

    /// Moves to family `name`, which must not have appeared before unless it is the current one.
    private mutating func enter(_ name: String, _ current: inout String?) throws {
        guard name != current else { return }
        guard !order.contains(name) else { throw Invalid("family \(name) split in two blocks") }
        order.append(name)
        current = name
    }

    private static func sample(_ line: Substring) throws -> (String, [String: String], Double) {
        var rest = line[...]
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        guard isMetricName(name) else { throw Invalid("bad metric name: \(line)") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0 != "=" })
                guard isLabelName(label), labels[label] == nil else { throw Invalid("bad label: \(line)") }
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw Invalid("no quoted value: \(line)") }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    guard character == "\\" else { value.append(character); continue }
                    switch rest.first {
                    case "\\": value.append("\\")
                    case "\"": value.append("\"")
                    case "n": value.append("\n")
                    default: throw Invalid("bad escape: \(line)")
                    }
                    rest = rest.dropFirst()
                }
                guard rest.first == "\"" else { throw Invalid("unterminated value: \(line)") }
                rest = rest.dropFirst()
                labels[label] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" {
                    throw Invalid("expected , or }: \(line)")
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " ", let value = Double(rest.dropFirst()), !rest.dropFirst().contains(" ") else {
            throw Invalid("bad value: \(line)")
        }
        return (name, labels, value)
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else {
            return false
        }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ name: String) -> Bool {
        isMetricName(name) && !name.contains(":") && !name.hasPrefix("__")
    }

    struct Invalid: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The value of the sample of `name` with `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        families[name]?.samples.first { $0.labels == labels }?.value
    }
}

private let mismatch = StateSamples.result("203.0.113.26", .critical, ptr: ["mx.example.com"],
                                           forward: [("mx.example.com", ["198.51.100.9"])],
                                           problems: [Problem(.forwardMismatch, .critical, "resolves elsewhere")])

/// Three addresses, given out of order: OK, CRITICAL, and WARNING on a second temporary failure.
private let sampleReport = RunReport(results: [
    StateSamples.confirmed("192.0.2.10"), StateSamples.timedOut("2001:db8::25", failures: 2), mismatch,
], checkedAt: StateSamples.start, durationSeconds: 0.042)

private let specMetrics = [
    "rdnscheck_address_status", "rdnscheck_fcrdns_ok", "rdnscheck_temporary_failures", "rdnscheck_drifted",
    "rdnscheck_receiver_accepts", "rdnscheck_addresses", "rdnscheck_last_run_timestamp_seconds",
    "rdnscheck_last_success_timestamp_seconds",
    "rdnscheck_run_duration_seconds", "rdnscheck_interval_seconds", "rdnscheck_discovered_addresses",
    "rdnscheck_discovery_ok", "rdnscheck_aws_ok",
]

@Suite("MetricsTextfile: SPEC.md's metrics in Prometheus text format")
struct MetricsTextfileTests {
    @Test("a run renders every metric, addresses sorted, with HELP and TYPE")
    func wholeFile() {
        let text = MetricsTextfile.render(sampleReport, finishedAt: 1_795_428_000.5, lastSuccessAt: 1_795_427_700)
        #expect(text == """
            # HELP rdnscheck_address_status Status of the address: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
            # TYPE rdnscheck_address_status gauge
            rdnscheck_address_status{address="192.0.2.10"} 0
            rdnscheck_address_status{address="203.0.113.26"} 2
            rdnscheck_address_status{address="2001:db8::25"} 1
            # HELP rdnscheck_fcrdns_ok 1 when every PTR name of the address forward-confirms, else 0 (also when it \
            has more than 32 PTR names: the others are not looked up).
            # TYPE rdnscheck_fcrdns_ok gauge
            rdnscheck_fcrdns_ok{address="192.0.2.10"} 1
            rdnscheck_fcrdns_ok{address="203.0.113.26"} 0
            rdnscheck_fcrdns_ok{address="2001:db8::25"} 0
            # HELP rdnscheck_temporary_failures Consecutive runs with a temporary DNS failure for the address.
            # TYPE rdnscheck_temporary_failures gauge
            rdnscheck_temporary_failures{address="192.0.2.10"} 0
            rdnscheck_temporary_failures{address="203.0.113.26"} 0
            rdnscheck_temporary_failures{address="2001:db8::25"} 2
            # HELP rdnscheck_drifted 1 when the last run found a drift of the address (its PTR names, forward \
            answers, status, or whether it is on the host changed since the run before), else 0 (also with no state \
            to compare with).
            # TYPE rdnscheck_drifted gauge
            rdnscheck_drifted{address="192.0.2.10"} 0
            rdnscheck_drifted{address="203.0.113.26"} 0
            rdnscheck_drifted{address="2001:db8::25"} 0
            # HELP rdnscheck_receiver_accepts 1 when a receiver applying the rule takes the address's mail without \
            penalty today, else 0 (receiver: gmail, postfix-client, postfix-reverse, spamassassin).
            # TYPE rdnscheck_receiver_accepts gauge
            rdnscheck_receiver_accepts{address="192.0.2.10",receiver="gmail"} 1
            rdnscheck_receiver_accepts{address="192.0.2.10",receiver="postfix-client"} 1
            rdnscheck_receiver_accepts{address="192.0.2.10",receiver="postfix-reverse"} 1
            rdnscheck_receiver_accepts{address="192.0.2.10",receiver="spamassassin"} 1
            rdnscheck_receiver_accepts{address="203.0.113.26",receiver="gmail"} 0
            rdnscheck_receiver_accepts{address="203.0.113.26",receiver="postfix-client"} 0
            rdnscheck_receiver_accepts{address="203.0.113.26",receiver="postfix-reverse"} 1
            rdnscheck_receiver_accepts{address="203.0.113.26",receiver="spamassassin"} 0
            rdnscheck_receiver_accepts{address="2001:db8::25",receiver="gmail"} 0
            rdnscheck_receiver_accepts{address="2001:db8::25",receiver="postfix-client"} 0
            rdnscheck_receiver_accepts{address="2001:db8::25",receiver="postfix-reverse"} 0
            rdnscheck_receiver_accepts{address="2001:db8::25",receiver="spamassassin"} 0
            # HELP rdnscheck_addresses Addresses checked in the last run, by status.
            # TYPE rdnscheck_addresses gauge
            rdnscheck_addresses{status="ok"} 1
            rdnscheck_addresses{status="warning"} 1
            rdnscheck_addresses{status="critical"} 1
            rdnscheck_addresses{status="unknown"} 0
            # HELP rdnscheck_last_run_timestamp_seconds End of the last completed run, in seconds since the epoch.
            # TYPE rdnscheck_last_run_timestamp_seconds gauge
            rdnscheck_last_run_timestamp_seconds 1795428000.500
            # HELP rdnscheck_last_success_timestamp_seconds End of the last run in which every address was OK, \
            in seconds since the epoch.
            # TYPE rdnscheck_last_success_timestamp_seconds gauge
            rdnscheck_last_success_timestamp_seconds 1795427700.000
            # HELP rdnscheck_run_duration_seconds Duration of the last completed run, in seconds.
            # TYPE rdnscheck_run_duration_seconds gauge
            rdnscheck_run_duration_seconds 0.042
            # HELP rdnscheck_interval_seconds The daemon's interval between runs, in seconds (no sample for --once).
            # TYPE rdnscheck_interval_seconds gauge
            # HELP rdnscheck_discovered_addresses Addresses the last run checked from discovery (the last ones found \
            when it failed).
            # TYPE rdnscheck_discovered_addresses gauge
            # HELP rdnscheck_discovery_ok 1 when the last run's discovery of the host's addresses succeeded, else 0.
            # TYPE rdnscheck_discovery_ok gauge
            # HELP rdnscheck_aws_ok 1 when the last run could read AWS's record of the Elastic IPs' PTRs, else 0.
            # TYPE rdnscheck_aws_ok gauge

            """)
    }

    @Test("the output parses as Prometheus text format, whatever the run", arguments: [
        sampleReport,
        RunReport(results: [], checkedAt: 0, durationSeconds: 0),
        RunReport(results: [mismatch, StateSamples.confirmed("203.0.113.26"), mismatch], checkedAt: 0,
                  durationSeconds: 3_600.25),
    ])
    func parsesAsExposition(report: RunReport) throws {
        for lastSuccess in [nil, 1_795_427_700.25] as [Double?] {
            let exposition = try Exposition(MetricsTextfile.render(report, finishedAt: 1_795_428_000,
                                                                   lastSuccessAt: lastSuccess))
            #expect(exposition.order == specMetrics)
            for name in specMetrics {
                #expect(exposition.families[name]?.help?.isEmpty == false, "\(name) has HELP")
                #expect(exposition.families[name]?.type == "gauge", "\(name) is a gauge")
            }
        }
    }

    @Test("the per-address and per-status values are the results'")
    func values() throws {
        let exposition = try Exposition(MetricsTextfile.render(sampleReport, finishedAt: 10, lastSuccessAt: nil))
        for (address, status, confirmed, failures) in [("192.0.2.10", 0.0, 1.0, 0.0), ("203.0.113.26", 2, 0, 0),
                                                       ("2001:db8::25", 1, 0, 2)] {
            #expect(exposition.value("rdnscheck_address_status", ["address": address]) == status)
            #expect(exposition.value("rdnscheck_fcrdns_ok", ["address": address]) == confirmed)
            #expect(exposition.value("rdnscheck_temporary_failures", ["address": address]) == failures)
        }
        #expect(Status.allCases.map { exposition.value("rdnscheck_addresses", ["status": $0.word]) } == [1, 1, 1, 0])
        #expect(exposition.value("rdnscheck_last_run_timestamp_seconds") == 10)
        #expect(exposition.value("rdnscheck_run_duration_seconds") == 0.042)
    }

    @Test("the daemon's interval is exported for stale-textfile alerts, and --once, which has none, leaves it out",
          arguments: [(300 as Int?, [300.0]), (nil, [])])
    func interval(seconds: Int?, samples: [Double]) throws {
        let exposition = try Exposition(MetricsTextfile.render(sampleReport, finishedAt: 10, lastSuccessAt: nil,
                                                               intervalSeconds: seconds))
        #expect(exposition.families["rdnscheck_interval_seconds"]?.samples.map(\.value) == samples)
    }

    @Test("an address that drifted in the run reads 1, the others 0")
    func drifted() throws {
        let previous = StateSamples.state()
        let moved = StateSamples.confirmed("192.0.2.10", "mx.example.com")
        let next = AddressState(result: moved, previous: previous, now: StateSamples.start + 60)
        let drift = try #require(Drift(address: moved.address, previous: previous, next: next))
        let report = RunReport(results: [moved, mismatch], checkedAt: 0, durationSeconds: 0,
                               drifts: [moved.address: drift])
        let exposition = try Exposition(MetricsTextfile.render(report, finishedAt: 0, lastSuccessAt: nil))
        #expect(exposition.value("rdnscheck_drifted", ["address": "192.0.2.10"]) == 1)
        #expect(exposition.value("rdnscheck_drifted", ["address": "203.0.113.26"]) == 0)
    }

    @Test("every status maps to its exit code", arguments: Status.allCases)
    func statusValue(status: Status) throws {
        let report = RunReport(results: [StateSamples.result("192.0.2.1", status)], checkedAt: 0, durationSeconds: 0)
        let exposition = try Exposition(MetricsTextfile.render(report, finishedAt: 0, lastSuccessAt: nil))
        #expect(exposition.value("rdnscheck_address_status", ["address": "192.0.2.1"]) == Double(status.rawValue))
    }

    @Test("with no success yet the last-success sample is left out, its HELP and TYPE kept")
    func noSuccessYet() throws {
        let text = MetricsTextfile.render(sampleReport, finishedAt: 10, lastSuccessAt: nil)
        let exposition = try Exposition(text)
        #expect(exposition.families["rdnscheck_last_success_timestamp_seconds"]?.samples.isEmpty == true)
        #expect(text.contains("# TYPE rdnscheck_last_success_timestamp_seconds gauge\n# HELP rdnscheck_run_duration"))
    }

    @Test("the last success moves only when every address was OK", arguments: [
        ([StateSamples.confirmed("192.0.2.10")], 5.0 as Double?, 20.0 as Double?),
        ([StateSamples.confirmed("192.0.2.10")], nil, 20),
        ([StateSamples.confirmed("192.0.2.10"), mismatch], 5, 5),
        ([StateSamples.timedOut("192.0.2.10", failures: 1)], nil, nil),
        ([], 5, 5),
    ])
    func lastSuccess(results: [AddressResult], previous: Double?, expected: Double?) {
        let report = RunReport(results: results, checkedAt: 0, durationSeconds: 1)
        #expect(MetricsTextfile.lastSuccess(after: report, finishedAt: 20, previous: previous) == expected)
    }

    @Test("label values escape backslash, double quote and line feed, and read back", arguments: [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("a\\b", "a\\\\b"),
        ("say \"hi\"", "say \\\"hi\\\""),
        ("line\nbreak", "line\\nbreak"),
        ("\\n", "\\\\n"),
        ("tab\tand é", "tab\tand é"),
    ])
    func labelEscaping(raw: String, escaped: String) throws {
        #expect(Escaping.prometheusLabelValue(raw) == escaped)
        let exposition = try Exposition("m{l=\"\(Escaping.prometheusLabelValue(raw))\"} 1\n")
        #expect(exposition.value("m", ["l": raw]) == 1)
    }

    @Test("an address checked twice gives one series, the worse result")
    func duplicateAddress() throws {
        let report = RunReport(results: [StateSamples.confirmed("203.0.113.26"), mismatch,
                                         StateSamples.confirmed("203.0.113.26")], checkedAt: 0, durationSeconds: 0)
        let exposition = try Exposition(MetricsTextfile.render(report, finishedAt: 0, lastSuccessAt: nil))
        #expect(exposition.families["rdnscheck_address_status"]?.samples.count == 1)
        #expect(exposition.value("rdnscheck_address_status", ["address": "203.0.113.26"]) == 2)
        #expect(Status.allCases.map { exposition.value("rdnscheck_addresses", ["status": $0.word]) } == [0, 0, 1, 0])
    }

    @Test("an address with more PTR names than are kept is not forward-confirmed, though every kept name confirms",
          arguments: [(32, 1.0), (33, 0.0), (1_850, 0.0)])
    func unkeptNamesAreNotConfirmed(count: Int, confirmed: Double) throws {
        let report = RunReport(results: [SampleReports.manyNames("192.0.2.50", count: count)], checkedAt: 0,
                               durationSeconds: 0)
        let exposition = try Exposition(MetricsTextfile.render(report, finishedAt: 0, lastSuccessAt: nil))
        #expect(exposition.value("rdnscheck_fcrdns_ok", ["address": "192.0.2.50"]) == confirmed)
    }

    @Test("no PTR name reaches the output")
    func noNamesInLabels() {
        let text = MetricsTextfile.render(sampleReport, finishedAt: 0, lastSuccessAt: nil)
        #expect(!text.contains("example.com"))
    }

    @Test("the checker itself rejects what node_exporter would", arguments: [
        "m 1",
        "m{l=\"a\"} 1\nm{l=\"a\"} 2\n",
        "1m 1\n",
        "m{l=\"a\\t\"} 1\n",
        "m{__l=\"a\"} 1\n",
        "m{l=a} 1\n",
        "m one\n",
        "m 1\nn 1\nm 2\n",
        "m 1\n# TYPE m gauge\n",
        "# TYPE m gauge\n# TYPE m gauge\nm 1\n",
        "# TYPE m meter\n",
    ])
    func checkerRejects(text: String) {
        #expect(throws: (any Error).self) { try Exposition(text) }
    }

    @Test("each address has one receiver series per rule: 1 only where the rule accepts without penalty")
    func receiverAccepts() throws {
        let generic = StateSamples.confirmed("203.0.113.25", "203-0-113-25.dsl.example.net")
        let report = RunReport(results: [generic, mismatch], checkedAt: 0, durationSeconds: 0)
        let exposition = try Exposition(MetricsTextfile.render(report, finishedAt: 0, lastSuccessAt: nil))
        func accepts(_ address: String, _ receiver: String) -> Double? {
            exposition.value("rdnscheck_receiver_accepts", ["address": address, "receiver": receiver])
        }
        #expect(ReceiverRule.allCases.map { accepts("203.0.113.25", $0.rawValue) } == [1, 1, 1, 0])
        #expect(ReceiverRule.allCases.map { accepts("203.0.113.26", $0.rawValue) } == [0, 0, 1, 0])
    }
}
