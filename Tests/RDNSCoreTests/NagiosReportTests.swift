import RDNSCore
import Testing

@Suite("NagiosReport: a status line with performance data, then one line per non-OK address")
struct NagiosReportTests {
    @Test("SPEC.md's example gives the status line with perfdata and one line for the critical address")
    func specExample() {
        #expect(NagiosReport.render(SampleReports.specExample) == """
            RDNS CRITICAL - 2 addresses: 1 ok, 0 warning, 1 critical, 0 unknown | ok=1;;;0;2 warning=0;;;0;2 \
            critical=1;;;0;2 unknown=0;;;0;2 time=0.042s;;;0
            CRITICAL 203.0.113.26: forward-mismatch: PTR mx.example.com resolves to 198.51.100.9, not 203.0.113.26; \
            receivers: gmail reject, postfix-client reject

            """)
    }

    @Test("an all-OK run is one line")
    func allOK() {
        let report = RunReport(results: [SampleReports.mailOK], checkedAt: 0, durationSeconds: 1.23456)
        let output = NagiosReport.render(report)
        #expect(output == "RDNS OK - 1 address: 1 ok, 0 warning, 0 critical, 0 unknown | ok=1;;;0;1 warning=0;;;0;1 "
            + "critical=0;;;0;1 unknown=0;;;0;1 time=1.235s;;;0\n")
    }

    @Test("every non-OK address gets a line with its status and all its problems, in report order")
    func nonOKLines() {
        let warning = SampleReports.result("2001:db8::25", .warning, ptr: ["ec2-1-2-3-4.compute-1.amazonaws.com"],
                                           problems: [Problem(.genericPTR, .warning, "generic"),
                                                      Problem(.multiplePTR, .warning, "two names")])
        let unknown = SampleReports.result("192.0.2.1", .unknown)
        let report = RunReport(results: [SampleReports.mxMismatch, SampleReports.mailOK, warning, unknown],
                               checkedAt: 0, durationSeconds: 0)
        let lines = NagiosReport.render(report).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines.first?.hasPrefix("RDNS UNKNOWN - 4 addresses: 1 ok, 1 warning, 1 critical, 1 unknown | "
            + "ok=1;;;0;4 warning=1;;;0;4 critical=1;;;0;4 unknown=1;;;0;4 time=0.000s;;;0") == true)
        #expect(Array(lines.dropFirst()) == [
            "CRITICAL 203.0.113.26: forward-mismatch: PTR mx.example.com resolves to 198.51.100.9, not 203.0.113.26; "
                + "receivers: gmail reject, postfix-client reject",
            "WARNING 2001:db8::25: multiple-ptr: two names; generic-ptr: generic; receivers: gmail reject, "
                + "postfix-client reject",
            "UNKNOWN 192.0.2.1: ; receivers: gmail reject, postfix-client reject, postfix-reverse reject",
        ])
    }

    @Test("no '|' appears after the status line, whatever a PTR name or problem holds")
    func noPipesInDetailLines() throws {
        let report = RunReport(results: [SampleReports.hostile, SampleReports.mxMismatch], checkedAt: 0,
                               durationSeconds: 0.5)
        let lines = NagiosReport.render(report).split(separator: "\n")
        try #require(lines.count == 3)
        #expect(lines[0].filter { $0 == "|" }.count == 1)
        #expect(!lines.dropFirst().contains { $0.contains("|") })
        #expect(lines[1].hasPrefix("CRITICAL 192.0.2.7: invalid-hostname: PTR \(SampleReports.hostileNameEscaped) "))
        #expect(lines[1].hasSuffix("is not a valid hostname / RFC 1123; receivers: gmail reject, postfix-client "
            + "reject, postfix-reverse reject"))
        #expect(!lines[1].unicodeScalars.contains { $0.value < 0x20 || $0.value >= 0x7F })
    }

    @Test("an empty run is UNKNOWN with zero totals")
    func emptyRun() {
        #expect(NagiosReport.render(RunReport(results: [], checkedAt: 0, durationSeconds: 0.042))
            == "RDNS UNKNOWN - 0 addresses: 0 ok, 0 warning, 0 critical, 0 unknown | ok=0;;;0;0 warning=0;;;0;0 "
            + "critical=0;;;0;0 unknown=0;;;0;0 time=0.042s;;;0\n")
    }

    @Test("a non-OK address lists the receivers that reject or defer, not those that accept, penalise or may refuse")
    func refusingReceivers() {
        let deferred = SampleReports.result("192.0.2.8", .warning, problems: [
            Problem(.temporaryFailure, .warning, "PTR lookup for 8.2.0.192.in-addr.arpa failed: timeout"),
        ])
        let atRisk = SampleReports.result(
            "192.0.2.9", .critical, ptr: ["a.example.com", "b.example.com"],
            forward: [("a.example.com", ["192.0.2.9"]), ("b.example.com", ["198.51.100.9"])],
            problems: [Problem(.partialConfirmation, .critical, "1 of 2 PTR names forward-confirm")])
        let lines = NagiosReport.render(RunReport(results: [deferred, atRisk], checkedAt: 0, durationSeconds: 0))
            .split(separator: "\n")
        #expect(lines.dropFirst() == [
            "WARNING 192.0.2.8: temporary-failure: PTR lookup for 8.2.0.192.in-addr.arpa failed: timeout; receivers: "
                + "gmail defer, postfix-client defer, postfix-reverse defer",
            "CRITICAL 192.0.2.9: partial-confirmation: 1 of 2 PTR names forward-confirm",
        ])
    }
}
