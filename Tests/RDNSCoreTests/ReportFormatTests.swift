import RDNSCore
import Testing

@Suite("ReportFormat: --format text|nagios|json")
struct ReportFormatTests {
    @Test("the format names are text, nagios and json; others are not formats")
    func names() {
        #expect(ReportFormat.allCases.map(\.rawValue) == ["text", "nagios", "json"])
        #expect(ReportFormat(rawValue: "json") == .json)
        #expect(ReportFormat(rawValue: "JSON") == nil)
        #expect(ReportFormat(rawValue: "xml") == nil)
    }

    @Test("each format renders with its own report type and ends with a newline", arguments: ReportFormat.allCases)
    func renders(format: ReportFormat) {
        let report = SampleReports.specExample
        let expected = switch format {
        case .text: TextReport.render(report)
        case .nagios: NagiosReport.render(report)
        case .json: JSONReport.render(report)
        }
        let output = format.render(report)
        #expect(output == expected)
        #expect(output.hasSuffix("\n"))
        #expect(output.contains("203.0.113.26"))
    }

    @Test("the formats differ: text starts with the first address's status, nagios with RDNS, json with {")
    func formatsDiffer() {
        let report = SampleReports.specExample
        #expect(ReportFormat.text.render(report).hasPrefix("OK        203.0.113.25"))
        #expect(ReportFormat.nagios.render(report).hasPrefix("RDNS CRITICAL - "))
        // The run's status and counts come after the results, so that each result is written once it is checked.
        let json = ReportFormat.json.render(report)
        #expect(json.hasPrefix("{\"checked_at\": \"2026-11-23T10:00:00Z\",\n \"results\": ["))
        #expect(json.hasSuffix("],\n \"status\": \"critical\", \"exit_code\": 2, \"duration_seconds\": 0.042,\n "
                               + "\"counts\": {\"ok\": 1, \"warning\": 0, \"critical\": 1, \"unknown\": 0},\n "
                               + "\"problems\": [],\n \"discovered\": null,\n \"aws\": null}\n"))
    }
}
