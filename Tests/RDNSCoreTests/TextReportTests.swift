import Foundation
import RDNSCore
import Testing

/// A line as the text report writes it: the status column 8 wide, the address column 15 (39 with IPv6 addresses),
/// the names column 64 when problems follow, each and two spaces.
private func row(_ status: String, _ address: String, _ names: String, _ problems: String? = nil,
                 ipv6: Bool = false) -> String {
    func padded(_ cell: String, _ width: Int) -> String { cell + String(repeating: " ", count: width + 2 - cell.count) }
    return padded(status, 8) + padded(address, ipv6 ? 39 : 15) + (problems.map { padded(names, 64) + $0 } ?? names)
}

/// Where `text` starts in `line`, in characters.
private func offset(of text: String, in line: Substring) -> Int? {
    guard let range = line.range(of: text) else { return nil }
    return line.distance(from: line.startIndex, to: range.lowerBound)
}

@Suite("TextReport: one aligned line per address, then a summary")
struct TextReportTests {
    @Test("SPEC.md's example renders as columns of fixed widths and a summary line")
    func specExample() {
        #expect(TextReport.render(SampleReports.specExample) == """
            OK        203.0.113.25     mail.example.com
            CRITICAL  203.0.113.26     mx.example.com                                                    \
            forward-mismatch: PTR mx.example.com resolves to 198.51.100.9, not 203.0.113.26
            CRITICAL: 2 addresses: 1 ok, 0 warning, 1 critical, 0 unknown in 0.042s

            """)
    }

    @Test("status, address, names and problems start at fixed columns on every line, wider with an IPv6 address")
    func columnsAlign() throws {
        let results = [
            SampleReports.mailOK,
            SampleReports.result("2001:db8:1234::25", .warning, ptr: ["a.example.com", "b.example.com"],
                                 forward: [("a.example.com", ["2001:db8:1234::25"]),
                                           ("b.example.com", ["2001:db8:1234::25"])],
                                 problems: [
                                     Problem(.multiplePTR, .warning, "2 PTR names: a.example.com, b.example.com"),
                                 ]),
            SampleReports.mxMismatch,
            SampleReports.result("192.0.2.1", .critical, problems: [
                Problem(.noPTR, .critical, "no PTR record"),
                Problem(.cnameLoop, .critical, "CNAME loop"),
            ]),
        ]
        let output = TextReport.render(RunReport(results: results, checkedAt: 0, durationSeconds: 1.5))
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count == 6)
        #expect(lines[5] == "")
        let addresses = ["203.0.113.25", "2001:db8:1234::25", "203.0.113.26", "192.0.2.1"]
        let names = ["mail.example.com", "a.example.com,b.example.com", "mx.example.com", "-"]
        let statuses = ["OK", "WARNING", "CRITICAL", "CRITICAL"]
        for (index, line) in lines.prefix(4).enumerated() {
            #expect(line.hasPrefix(statuses[index] + " "))
            #expect(offset(of: addresses[index], in: line) == "CRITICAL".count + 2)
            #expect(offset(of: names[index], in: line) == "CRITICAL".count + 2 + 39 + 2)
        }
        let problemColumn = "CRITICAL".count + 2 + 39 + 2 + TextReport.maximumNamesWidth + 2
        #expect(offset(of: "multiple-ptr: 2 PTR names", in: lines[1]) == problemColumn)
        #expect(offset(of: "forward-mismatch: PTR mx", in: lines[2]) == problemColumn)
        #expect(lines[3].dropFirst(problemColumn) == "no-ptr: no PTR record; cname-loop: CNAME loop")
        #expect(!lines[0].hasSuffix(" "))
        #expect(lines[4] == "CRITICAL: 4 addresses: 1 ok, 1 warning, 2 critical, 0 unknown in 1.500s")
    }

    @Test("one address says 'address'; the summary carries the worst status")
    func singleAddress() {
        let report = RunReport(results: [SampleReports.mailOK], checkedAt: 0, durationSeconds: 0.0004)
        let output = TextReport.render(report)
        #expect(output == "OK        203.0.113.25     mail.example.com\nOK: 1 address: 1 ok, 0 warning, 0 critical, "
            + "0 unknown in 0.000s\n")
    }

    @Test("a run with nothing to check is UNKNOWN")
    func emptyRun() {
        #expect(TextReport.render(RunReport(results: [], checkedAt: 0, durationSeconds: 0))
            == "UNKNOWN: 0 addresses: 0 ok, 0 warning, 0 critical, 0 unknown in 0.000s\n")
    }

    @Test("a hostile PTR name is printed escaped, with no control byte, and cut to the names column's width")
    func hostileName() {
        let report = RunReport(results: [SampleReports.hostile], checkedAt: 0, durationSeconds: 0)
        let output = TextReport.render(report)
        let cell = String(SampleReports.hostileNameEscaped.prefix(63)) + "…"
        #expect(output.contains("192.0.2.7        " + cell + "  invalid-hostname: PTR "
                                + SampleReports.hostileNameEscaped))
        #expect(SampleReports.hostileName.description == SampleReports.hostileNameEscaped)
        // The marker of a cut cell is the only character outside printable ASCII.
        #expect(!output.unicodeScalars.contains {
            ($0.value < 0x20 && $0 != "\n") || ($0.value >= 0x7F && $0 != "…")
        })
    }

    @Test("the names column is at most 64 wide: the names that fit, then how many more; other lines keep it")
    func namesColumnIsBounded() throws {
        let report = RunReport(results: [SampleReports.manyNames(count: 1_850), SampleReports.mxMismatch],
                               checkedAt: 0, durationSeconds: 0)
        let lines = TextReport.render(report).split(separator: "\n")
        // A third name would make the cell 69 characters.
        let cell = "n000.example.test,n001.example.test … and 1,848 more"
        #expect(TextReport.maximumNamesWidth == 64)
        #expect(lines[0] == row("WARNING", "192.0.2.50", cell, "multiple-ptr: 1850 PTR names; receivers use one"))
        let problemColumn = "WARNING   192.0.2.50       ".count + 64 + 2
        #expect(try #require(lines[1].range(of: "forward-mismatch")).lowerBound.utf16Offset(in: lines[1])
            == problemColumn)
    }

    @Test("names that all fit are shown whole, with no count", arguments: [1, 2, 3])
    func fewNamesFit(count: Int) {
        let names = (0..<count).map(SampleReports.numberedName)
        let report = RunReport(results: [SampleReports.manyNames(count: count)], checkedAt: 0, durationSeconds: 0)
        #expect(TextReport.render(report).contains(row("WARNING", "192.0.2.50", names.joined(separator: ","),
                                                       "multiple-ptr")))
    }

    @Test("a cut never splits a \\DDD escape")
    func cutKeepsEscapesWhole() throws {
        let name = try #require(DNSName(labels: [Array(repeating: UInt8(ascii: "a"), count: 61) + [0x20],
                                                 Array("example".utf8)]))
        let result = AddressResult(target: CheckTarget(IPAddress("192.0.2.9")!), status: .critical, ptrNames: [name],
                                   forward: [], problems: [Problem(.invalidHostname, .critical, "x")],
                                   temporaryFailures: 0)
        let output = TextReport.render(RunReport(results: [result], checkedAt: 0, durationSeconds: 0))
        #expect(output.hasPrefix(row("CRITICAL", "192.0.2.9", String(repeating: "a", count: 61) + "…",
                                     "invalid-hostname")))
    }

    @Test("a name longer than the column is cut with a marker, and the names after it are counted", arguments: [
        (1, "…"), (3, "… and 2 more"),
    ])
    func longNameIsCut(count: Int, tail: String) {
        let long = String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 63) + ".example"
        let names = [long] + (1..<count).map { "z\($0).example" }
        let result = SampleReports.result("192.0.2.9", .critical, ptr: names,
                                          problems: [Problem(.noPTR, .critical, "x")])
        let output = TextReport.render(RunReport(results: [result], checkedAt: 0, durationSeconds: 0))
        let cell = String(long.prefix(64 - tail.count)) + tail
        #expect(cell.count == 64)
        #expect(output.hasPrefix(row("CRITICAL", "192.0.2.9", cell, "no-ptr: x\n")))
    }

    @Test("each known cure prints once, as '  fix: …' on its own line under the address's line")
    func fixLinesUnderTheAddress() {
        let cure = "make sure mail.example.com. IN A 203.0.113.25 exists, then run: aws ec2 modify-address-attribute"
        let result = SampleReports.result("203.0.113.25", .critical, expected: "mail.example.com", ptr: ["x.example"],
                                          problems: [
                                              Problem(.expectedNameMismatch, .critical, "PTR x.example", fix: cure),
                                              Problem(.genericPTR, .warning, "PTR x.example is generic", fix: cure),
                                              Problem(.temporaryFailure, .warning, "timeout"),
                                          ])
        let lines = TextReport.render(RunReport(results: [result, SampleReports.mailOK], checkedAt: 0,
                                                durationSeconds: 0)).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("CRITICAL  203.0.113.25     x.example"))
        #expect(lines[1] == "  fix: " + cure)
        #expect(lines[2].hasPrefix("OK        203.0.113.25     mail.example.com"))
    }

    @Test("with --receivers each address gets one line per receiver rule, after its fix lines")
    func receiverLines() {
        let text = TextReport.render(SampleReports.specExample, receivers: true)
        #expect(text == """
            OK        203.0.113.25     mail.example.com
              gmail: accept (PTR mail.example.com forward-confirms)
              postfix-client: accept (PTR mail.example.com forward-confirms)
              postfix-reverse: accept (PTR mail.example.com exists)
              spamassassin: accept (PTR mail.example.com is not generic)
            CRITICAL  203.0.113.26     mx.example.com                                                    \
            forward-mismatch: PTR mx.example.com resolves to 198.51.100.9, not 203.0.113.26
              gmail: reject (PTR mx.example.com does not forward-confirm)
              postfix-client: reject (PTR mx.example.com does not forward-confirm: unknown_client_reject_code (450 by \
            default: the mail is deferred, then bounced when it expires; 550 at once where the site sets it))
              postfix-reverse: accept (PTR mx.example.com exists)
              spamassassin: penalise RDNS_NONE (no PTR name forward-confirms, so the receiving MTA (Postfix, Exim) \
            records the client as unknown: no name for SpamAssassin)
            CRITICAL: 2 addresses: 1 ok, 0 warning, 1 critical, 0 unknown in 0.042s

            """)
        #expect(TextReport.render(SampleReports.specExample) == TextReport.render(SampleReports.specExample,
                                                                                 receivers: false))
        #expect(!TextReport.render(SampleReports.specExample).contains("gmail"))
    }

    @Test("SpamAssassin's line names the rules that fire")
    func spamAssassinRules() {
        let generic = SampleReports.result("203.0.113.25", .warning, ptr: ["203-0-113-25.dsl.example.net"],
                                           forward: [("203-0-113-25.dsl.example.net", ["203.0.113.25"])])
        let text = TextReport.render(RunReport(results: [generic], checkedAt: 0, durationSeconds: 0), receivers: true)
        #expect(text.contains("\n  spamassassin: penalise RDNS_DYNAMIC (PTR 203-0-113-25.dsl.example.net looks "
                              + "dynamic: "))
    }
}
