import Foundation
import RDNSCore
import Testing

/// Renders `report` and parses it back with Foundation.
private func parsedJSON(_ report: RunReport) throws -> [String: Any] {
    let text = JSONReport.render(report)
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any])
}

private func results(_ json: [String: Any]) throws -> [[String: Any]] {
    try #require(json["results"] as? [[String: Any]])
}

@Suite("JSONReport: one object with SPEC.md's snake_case keys")
struct JSONReportTests {
    @Test("the run's keys: status, exit_code, checked_at, duration_seconds, counts")
    func runKeys() throws {
        let json = try parsedJSON(SampleReports.specExample)
        #expect(json["status"] as? String == "critical")
        #expect(json["exit_code"] as? Int == 2)
        #expect(json["checked_at"] as? String == "2026-11-23T10:00:00Z")
        #expect(json["duration_seconds"] as? Double == 0.042)
        let counts = try #require(json["counts"] as? [String: Int])
        #expect(counts == ["ok": 1, "warning": 0, "critical": 1, "unknown": 0])
        #expect(try results(json).count == 2)
    }

    @Test("an OK result: address, status, expected_name, ptr_names, forward, empty problems and changes")
    func okResult() throws {
        let result = try results(try parsedJSON(SampleReports.specExample))[0]
        #expect(result["address"] as? String == "203.0.113.25")
        #expect(result["status"] as? String == "ok")
        #expect(result["expected_name"] as? String == "mail.example.com")
        #expect(result["ptr_names"] as? [String] == ["mail.example.com"])
        #expect(result["forward"] as? [String: [String]] == ["mail.example.com": ["203.0.113.25"]])
        #expect((result["problems"] as? [Any])?.isEmpty == true)
        #expect((result["changes"] as? [Any])?.isEmpty == true)
    }

    @Test("a critical result: null expected_name and each problem's code and full message")
    func criticalResult() throws {
        let result = try results(try parsedJSON(SampleReports.specExample))[1]
        #expect(result["address"] as? String == "203.0.113.26")
        #expect(result["status"] as? String == "critical")
        #expect(result.keys.contains("expected_name"))
        #expect(result["expected_name"] is NSNull)
        #expect(result["ptr_names"] as? [String] == ["mx.example.com"])
        #expect(result["forward"] as? [String: [String]] == ["mx.example.com": ["198.51.100.9"]])
        let problems = try #require(result["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["code"] as? String == "forward-mismatch")
        #expect(problems.first?["message"] as? String
            == "203.0.113.26: PTR mx.example.com resolves to 198.51.100.9, not 203.0.113.26")
        #expect(problems.first?["fix"] is NSNull)
        #expect(result["changes"] is [Any])
    }

    @Test("ptr_count is always there: the true count, while ptr_names holds the first 32 names")
    func ptrCount() throws {
        let report = RunReport(results: [SampleReports.mailOK, SampleReports.manyNames(count: 1_850),
                                         SampleReports.result("192.0.2.1", .critical)],
                               checkedAt: 0, durationSeconds: 0)
        let results = try results(try parsedJSON(report))
        #expect(results.map { $0["ptr_count"] as? Int } == [1, 1_850, 0])
        let names = try #require(results[1]["ptr_names"] as? [String])
        #expect(names == (0..<32).map(SampleReports.numberedName))
        #expect((results[1]["forward"] as? [String: [String]])?.count == 32)
        #expect(JSONReport.render(report).utf8.count < 6_000)
    }

    @Test("forward_counts gives the true count of each cut forward answer, and is absent where nothing was cut")
    func forwardCounts() throws {
        let big = SampleReports.result("203.0.113.25", .warning, ptr: ["a.example.com", "b.example.com"],
                                       forward: [("a.example.com", manyAddresses(4_000)),
                                                 ("b.example.com", ["203.0.113.25"])])
        let results = try results(try parsedJSON(RunReport(results: [SampleReports.mailOK, big], checkedAt: 0,
                                                           durationSeconds: 0)))
        #expect(!results[0].keys.contains("forward_counts"))
        #expect(results[1]["forward_counts"] as? [String: Int] == ["a.example.com": 4_000])
        let forward = try #require(results[1]["forward"] as? [String: [String]])
        #expect(forward["a.example.com"] == Array(manyAddresses(32)))
        #expect(forward["b.example.com"] == ["203.0.113.25"])
    }

    @Test("no PTR, several PTR names, a name without addresses and IPv6 addresses in canonical form")
    func variedResults() throws {
        let noPTR = SampleReports.result("2001:DB8:0::26", .critical, problems: [
            Problem(.noPTR, .critical, "no PTR record"),
        ])
        let two = SampleReports.result("2001:db8::25", .critical, ptr: ["a.example.com", "b.example.com"],
                                       forward: [("a.example.com", ["2001:db8::25", "2001:db8::99"]),
                                                 ("b.example.com", [])],
                                       problems: [Problem(.multiplePTR, .warning, "two"),
                                                  Problem(.forwardNoAddress, .critical, "none")])
        let all = try results(try parsedJSON(RunReport(results: [noPTR, two], checkedAt: 0, durationSeconds: 0)))
        #expect(all[0]["address"] as? String == "2001:db8::26")
        #expect(all[0]["ptr_names"] as? [String] == [])
        #expect(all[0]["forward"] as? [String: [String]] == [:])
        #expect(all[1]["ptr_names"] as? [String] == ["a.example.com", "b.example.com"])
        #expect(all[1]["forward"] as? [String: [String]]
            == ["a.example.com": ["2001:db8::25", "2001:db8::99"], "b.example.com": []])
        let codes = (all[1]["problems"] as? [[String: Any]])?.map { $0["code"] as? String }
        #expect(codes == ["forward-no-address", "multiple-ptr"])
    }

    @Test("status and exit_code follow the worst result", arguments: Status.allCases)
    func statusAndExitCode(status: Status) throws {
        let report = RunReport(results: [SampleReports.mailOK, SampleReports.result("192.0.2.1", status)],
                               checkedAt: 0, durationSeconds: 0)
        let json = try parsedJSON(report)
        #expect(json["status"] as? String == status.word)
        #expect(json["exit_code"] as? Int == status.rawValue)
        #expect(json["checked_at"] as? String == "1970-01-01T00:00:00Z")
    }

    @Test("an empty run is unknown with no results")
    func emptyRun() throws {
        let json = try parsedJSON(RunReport(results: [], checkedAt: 951_782_400, durationSeconds: 1.5))
        #expect(json["status"] as? String == "unknown")
        #expect(json["exit_code"] as? Int == 3)
        #expect(json["checked_at"] as? String == "2000-02-29T00:00:00Z")
        #expect(json["duration_seconds"] as? Double == 1.5)
        #expect(try results(json).isEmpty)
    }

    @Test("a PTR name with control bytes, quotes and backslashes still gives valid JSON with no raw control byte")
    func hostileName() throws {
        let text = JSONReport.render(RunReport(results: [SampleReports.hostile], checkedAt: 0, durationSeconds: 0))
        #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F })
        let result = try results(try parsedJSON(RunReport(results: [SampleReports.hostile], checkedAt: 0,
                                                          durationSeconds: 0)))[0]
        #expect(result["ptr_names"] as? [String] == [SampleReports.hostileNameEscaped])
        let message = (result["problems"] as? [[String: Any]])?.first?["message"] as? String
        #expect(message == "192.0.2.7: PTR \(SampleReports.hostileNameEscaped) is not a valid hostname | RFC 1123")
    }

    @Test("raw control characters, quotes and backslashes in a message are escaped and come back intact")
    func rawCharactersInMessage() throws {
        let detail = "quote \" backslash \\ nul \u{0} bell \u{7} esc \u{1B} del \u{7F} tab \t cr \r lf \n "
            + "separators \u{2028}\u{2029} caf\u{E9} \u{1F600}"
        let result = SampleReports.result("192.0.2.8", .critical, problems: [Problem(.noPTR, .critical, detail)])
        let report = RunReport(results: [result], checkedAt: 0, durationSeconds: 0)
        let text = JSONReport.render(report)
        #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F })
        #expect(!text.unicodeScalars.contains { $0 == "\u{2028}" || $0 == "\u{2029}" })
        let problems = try results(try parsedJSON(report))[0]["problems"] as? [[String: Any]]
        let message = problems?.first?["message"] as? String
        #expect(message == "192.0.2.8: " + detail)
    }

    @Test("quoted escapes what JSON requires and keeps other text as it is", arguments: [
        ("plain", "\"plain\""),
        ("a\"b", "\"a\\\"b\""),
        ("a\\b", "\"a\\\\b\""),
        ("\n\r\t", "\"\\n\\r\\t\""),
        ("\u{0}\u{1}\u{1F}", "\"\\u0000\\u0001\\u001f\""),
        ("\u{7F}", "\"\\u007f\""),
        ("\u{2028}\u{2029}", "\"\\u2028\\u2029\""),
        ("caf\u{E9} /", "\"caf\u{E9} /\""),
    ])
    func quoted(text: String, literal: String) {
        #expect(Escaping.jsonString(text) == literal)
    }

    @Test("each problem has a fix: the cure's line, escaped as JSON, or null when none is known")
    func fixKey() throws {
        let cure = "add an A record: mail.example.com. IN A 192.0.2.8 (\"now\" \\ none)"
        let result = SampleReports.result("192.0.2.8", .critical, problems: [
            Problem(.forwardNoAddress, .critical, "PTR mail.example.com has no A record", fix: cure),
            Problem(.temporaryFailure, .warning, "timeout"),
        ])
        let problems = try #require(try results(try parsedJSON(RunReport(results: [result], checkedAt: 0,
                                                                           durationSeconds: 0)))[0]["problems"]
                                    as? [[String: Any]])
        #expect(problems.count == 2)
        #expect(problems[0]["fix"] as? String == cure)
        #expect(problems[1].keys.contains("fix"))
        #expect(problems[1]["fix"] is NSNull)
    }

    @Test("each result prints as it does alone, whatever names and reasons the results before it printed")
    func resultsIndependentOfEarlierOnes() throws {
        // The report keeps the last name, reason endings, status and source it wrote: a name differing only in case,
        // an escaped one, other verdicts, reasons, statuses and sources must each come out as their own.
        let upper = SampleReports.result("203.0.113.25", .ok, ptr: ["MAIL.example.com"],
                                         forward: [("MAIL.example.com", ["203.0.113.25"])])
        let noPTR = SampleReports.result("192.0.2.1", .critical, problems: [Problem(.noPTR, .critical, "none")])
        var discovered = SampleReports.mailOK
        discovered.source = .ec2
        let sequence = [SampleReports.mailOK, upper, SampleReports.hostile, SampleReports.mailOK,
                        SampleReports.mxMismatch, noPTR, SampleReports.mailOK, discovered, SampleReports.mailOK,
                        SampleReports.manyNames(count: 3)]
        func resultsText(_ results: [AddressResult]) throws -> Substring {
            let text = JSONReport.render(RunReport(results: results, checkedAt: 0, durationSeconds: 0))
            let start = try #require(text.range(of: "\"results\": [")).upperBound
            let end = try #require(text.range(of: "],\n \"status\"")).lowerBound
            return text[start..<end]
        }
        let alone = try sequence.map { try resultsText([$0]).dropFirst() }
        #expect(try resultsText(sequence) == "\n" + alone.joined(separator: ",\n"))
        #expect(try resultsText([upper]).contains("\"reason\": \"PTR MAIL.example.com forward-confirms\""))
    }

    @Test("a result that drifted lists its changes, one with AWS's record of the address has it, others have neither")
    func changesAndAWSRecord() throws {
        var recorded = SampleReports.mailOK
        recorded.aws = AWSAddressRecord(publicIP: recorded.address, allocationID: "eipalloc-0abc",
                                        ptrRecord: DNSName("mail.example.com"), update: nil)
        let drifted = SampleReports.mxMismatch
        let report = RunReport(results: [recorded, drifted, SampleReports.mailOK], checkedAt: 0, durationSeconds: 0,
                               drifts: [drifted.address: Drift(address: drifted.address, attached: true,
                                                                status: .critical)])
        let listed = try results(try parsedJSON(report))
        #expect((listed[0]["changes"] as? [Any])?.isEmpty == true)
        #expect((listed[0]["aws"] as? [String: Any])?["allocation_id"] as? String == "eipalloc-0abc")
        let change = try #require((listed[1]["changes"] as? [[String: Any]])?.first)
        #expect(change["field"] as? String == "attached")
        #expect(change["old"] as? Bool == false && change["new"] as? Bool == true)
        #expect(listed[1]["aws"] is NSNull)
        #expect((listed[2]["changes"] as? [Any])?.isEmpty == true && listed[2]["aws"] is NSNull)
    }

    @Test("a long run of passing results is handed on in chunks of about 64 KiB as it is written, not at the end")
    func chunksAsWritten() {
        var chunks: [Int] = []
        var writer = ReportWriter(.json, receivers: false, ipv6: false) { chunks.append($0.count) }
        writer.head(checkedAt: 0)
        for _ in 0..<1_000 { writer.result(SampleReports.mailOK, drift: nil) }
        #expect(chunks.count >= 5)
        #expect(chunks.allSatisfy { $0 < 70_000 })
    }

    @Test("every result says what each receiver rule does, with the reason, and SpamAssassin's rules")
    func receivers() throws {
        let listed = try results(try parsedJSON(SampleReports.specExample))
        let ok = try #require(listed[0]["receivers"] as? [String: [String: Any]])
        #expect(ok.keys.sorted() == ["gmail", "postfix-client", "postfix-reverse", "spamassassin"])
        #expect(ok.mapValues { $0["verdict"] as? String }
            == ["gmail": "accept", "postfix-client": "accept", "postfix-reverse": "accept", "spamassassin": "accept"])
        // A plain address (its receivers written from a template): each reason whole.
        #expect(ok.mapValues { $0["reason"] as? String }
            == ["gmail": "PTR mail.example.com forward-confirms", "postfix-client": "PTR mail.example.com forward-confirms",
                "postfix-reverse": "PTR mail.example.com exists", "spamassassin": "PTR mail.example.com is not generic"])
        #expect(ok["spamassassin"]?["rules"] as? [String] == [])
        #expect(ok["gmail"]?["rules"] == nil)
        let mismatch = try #require(listed[1]["receivers"] as? [String: [String: Any]])
        #expect(mismatch["gmail"]?["verdict"] as? String == "reject")
        #expect(mismatch["postfix-client"]?["reason"] as? String == "PTR mx.example.com does not forward-confirm: "
            + "unknown_client_reject_code (450 by default: the mail is deferred, then bounced when it expires; 550 "
            + "at once where the site sets it)")
        let noPTR = SampleReports.result("192.0.2.1", .critical, problems: [Problem(.noPTR, .critical, "none")])
        let json = try parsedJSON(RunReport(results: [noPTR], checkedAt: 0, durationSeconds: 0))
        let none = try #require(try results(json).first?["receivers"] as? [String: [String: Any]])
        let spamAssassin = try #require(none["spamassassin"])
        #expect(spamAssassin["verdict"] as? String == "penalise")
        #expect(spamAssassin["rules"] as? [String] == ["RDNS_NONE"])
    }
}
