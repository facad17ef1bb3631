import Foundation
import RDNSCore
import Testing

private let mailAddress = IPAddress("203.0.113.26")!

/// SPEC.md's example: `mail.example.com` confirmed yesterday, `mx.example.com` pointing elsewhere today.
private let yesterday = StateSamples.state(ptr: ["mail.example.com"], forward: ["mail.example.com": ["203.0.113.26"]])
private let today = StateSamples.state(.critical, ptr: ["mx.example.com"],
                                       forward: ["mx.example.com": ["198.51.100.9"]],
                                       since: StateSamples.start + 300, checkedAt: StateSamples.start + 300)

@Suite("Drift: what changed since the last run, for the log, on-change and the JSON report")
struct DriftTests {
    @Test("the first run of an address sets the baseline and is not a drift")
    func firstRunIsNotDrift() {
        #expect(Drift(address: mailAddress, previous: nil, next: today) == nil)
        #expect(Drift.changes(from: nil, to: today).isEmpty)
    }

    @Test("a run that changes only the check time or the failure count is not a drift")
    func timesAndCountsAreNotDrift() {
        var next = yesterday
        next.checkedAt += 300
        next.temporaryFailures = 2
        #expect(Drift(address: mailAddress, previous: yesterday, next: next) == nil)
    }

    @Test("a status change is one change with the lowercase words")
    func statusChange() {
        var next = yesterday
        next.status = .warning
        let drift = Drift(address: mailAddress, previous: yesterday, next: next)
        #expect(drift?.changes == [Change(field: .status, old: .string("ok"), new: .string("warning"))])
        #expect(drift?.oldStatus == .ok)
        #expect(drift?.newStatus == .warning)
    }

    @Test("changed PTR names are a change of arrays")
    func namesChange() {
        var next = yesterday
        next.ptrNames = ["a.example.com", "b.example.com"]
        #expect(Drift.changes(from: yesterday, to: next) == [
            Change(field: .ptrNames, old: .array([.string("mail.example.com")]),
                   new: .array([.string("a.example.com"), .string("b.example.com")])),
        ])
    }

    @Test("changed forward answers are a change of objects, names in DNS order")
    func forwardChange() {
        var next = yesterday
        next.forward = ["mail.example.com": ["203.0.113.26", "203.0.113.27"], "B.example.com": []]
        let change = Drift.changes(from: yesterday, to: next)
        #expect(change == [
            Change(field: .forward,
                   old: .object([JSONValue.Member("mail.example.com", .array([.string("203.0.113.26")]))]),
                   new: .object([
                       JSONValue.Member("B.example.com", .array([])),
                       JSONValue.Member("mail.example.com", .array([.string("203.0.113.26"), .string("203.0.113.27")])),
                   ])),
        ])
    }

    @Test("changes come in the order ptr_names, forward, status")
    func changeOrder() {
        #expect(Drift.changes(from: yesterday, to: today).map(\.field) == [.ptrNames, .forward, .status])
    }

    @Test("a temporary failure after an OK run drifts in status only")
    func temporaryFailureDriftsInStatusOnly() {
        let next = AddressState(result: StateSamples.timedOut("203.0.113.26", failures: 1), previous: yesterday,
                                now: StateSamples.start + 300)
        #expect(Drift.changes(from: yesterday, to: next).map(\.field) == [.status])
    }

    @Test("a higher status is worse, a lower one better, the same one a sideways change", arguments: [
        (Status.ok, Status.warning, Drift.Direction.worse),
        (.ok, .critical, .worse),
        (.critical, .unknown, .worse),
        (.warning, .critical, .worse),
        (.critical, .ok, .better),
        (.unknown, .critical, .better),
        (.warning, .ok, .better),
        (.ok, .ok, .sameStatus),
        (.critical, .critical, .sameStatus),
    ])
    func direction(old: Status, new: Status, expected: Drift.Direction) throws {
        let next = StateSamples.state(new, ptr: ["other.example.com"])
        let drift = try #require(Drift(address: mailAddress, previous: StateSamples.state(old), next: next))
        #expect(drift.direction == expected)
    }

    @Test("the log line lists status, names and answers with old and new values")
    func logLine() throws {
        let drift = try #require(Drift(address: mailAddress, previous: yesterday, next: today))
        #expect(drift.description == "203.0.113.26: status ok -> critical; "
            + "ptr_names [mail.example.com] -> [mx.example.com]; "
            + "forward {mail.example.com: [203.0.113.26]} -> {mx.example.com: [198.51.100.9]}")
    }

    @Test("the log line stays one line whatever strings a state holds")
    func logLineEscapesEverything() throws {
        let hostile = StateSamples.state(ptr: ["evil\nname", "a b", "é"], forward: ["x\r\u{1b}[2J": []])
        let drift = try #require(Drift(address: IPAddress("2001:db8::25")!, previous: yesterday, next: hostile))
        #expect(drift.description == "2001:db8::25: ptr_names [mail.example.com] -> [evil\\010name, a\\032b, "
            + "\\195\\169]; forward {mail.example.com: [203.0.113.26]} -> {x\\013\\027[2J: []}")
        #expect(drift.description.utf8.allSatisfy { (0x20...0x7e).contains($0) })
    }

    @Test("the changes array is SPEC.md's JSON, byte for byte")
    func changesJSONMatchesSpec() throws {
        var next = today
        next.forward = yesterday.forward
        let drift = try #require(Drift(address: mailAddress, previous: yesterday, next: next))
        #expect(Drift.json(drift.changes) == """
            [{"field": "ptr_names", "old": ["mail.example.com"], "new": ["mx.example.com"]}, \
            {"field": "status", "old": "ok", "new": "critical"}]
            """)
    }

    @Test("the changes array parses with JSONSerialization into field, old and new")
    func changesJSONParsesWithFoundation() throws {
        let text = Drift.json(Drift.changes(from: yesterday, to: today))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.map { $0["field"] as? String } == ["ptr_names", "forward", "status"])
        #expect(parsed.allSatisfy { Set($0.keys) == ["field", "old", "new"] })
        #expect(parsed[0]["old"] as? [String] == ["mail.example.com"])
        #expect(parsed[0]["new"] as? [String] == ["mx.example.com"])
        #expect(parsed[1]["old"] as? [String: [String]] == ["mail.example.com": ["203.0.113.26"]])
        #expect(parsed[1]["new"] as? [String: [String]] == ["mx.example.com": ["198.51.100.9"]])
        #expect(parsed[2]["old"] as? String == "ok")
        #expect(parsed[2]["new"] as? String == "critical")
    }

    @Test("no changes is an empty JSON array")
    func noChangesIsEmptyArray() {
        #expect(Drift.json([]) == "[]")
    }

    @Test("a hostile name in the changes array is still valid JSON that reads back the same")
    func hostileNamesInJSON() throws {
        let next = StateSamples.state(ptr: ["\"quoted\"\\", "line\nbreak", "\u{2028}"])
        let text = Drift.json(Drift.changes(from: yesterday, to: next))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed[0]["new"] as? [String] == ["\"quoted\"\\", "line\nbreak", "\u{2028}"])
        #expect(!text.contains("\n"))
    }
}

@Suite("Drift: names compare case-insensitively")
struct CaseOnlyDriftTests {
    @Test("a drift line lists at most 32 names or addresses and counts the rest")
    func logLineIsBounded() throws {
        // A state written before names were capped, and a forward answer of 300 addresses.
        let names = (0..<1_850).map { "h\($0).example.test" }
        let addresses = (0..<300).map { "198.51.100.\($0 % 256)" }
        let previous = StateSamples.state(.warning, ptr: names, forward: ["h0.example.test": addresses])
        let next = StateSamples.state(.critical, ptr: ["mx.example.com"], forward: [:])
        let line = try #require(Drift(address: mailAddress, previous: previous, next: next)).description
        #expect(line.contains(", h31.example.test … and 1,818 more] -> [mx.example.com]"))
        #expect(line.contains("198.51.100.31 … and 268 more]} -> {}"))
        #expect(line.utf8.count < 2_000)
    }

    @Test("a PTR name that only changes case is no drift")
    func caseOnlyChangeIsNoDrift() {
        let first = AddressState(result: StateSamples.confirmed("192.0.2.10", "Mail.Example.COM"), previous: nil,
                                 now: StateSamples.start)
        let second = AddressState(result: StateSamples.confirmed("192.0.2.10", "mail.example.com"), previous: first,
                                  now: StateSamples.start + 60)
        #expect(Drift(address: IPAddress("192.0.2.10")!, previous: first, next: second) == nil)
    }

    @Test("names keep the case DNS gave them in the state and in the changes (RDNSCHECK_CHANGES lowercased them)")
    func changesKeepTheCase() throws {
        let first = AddressState(result: StateSamples.confirmed("192.0.2.10", "mail.example.com"), previous: nil,
                                 now: StateSamples.start)
        let second = AddressState(result: StateSamples.confirmed("192.0.2.10", "MX.Example.COM"), previous: first,
                                  now: StateSamples.start + 60)
        #expect(second.ptrNames == ["MX.Example.COM"])
        #expect(second.forward == ["MX.Example.COM": ["192.0.2.10"]])
        let drift = try #require(Drift(address: IPAddress("192.0.2.10")!, previous: first, next: second))
        #expect(Drift.json(drift.changes) == """
            [{"field": "ptr_names", "old": ["mail.example.com"], "new": ["MX.Example.COM"]}, \
            {"field": "forward", "old": {"mail.example.com": ["192.0.2.10"]}, \
            "new": {"MX.Example.COM": ["192.0.2.10"]}}]
            """)
    }

    @Test("a stored lowercase name and the same name from DNS in another case are no drift (older state files)")
    func lowercaseStateMatchesAnyCase() {
        let stored = StateSamples.state(ptr: ["mail.example.com"], forward: ["mail.example.com": ["192.0.2.10"]])
        let next = AddressState(result: StateSamples.confirmed("192.0.2.10", "Mail.Example.Com"), previous: stored,
                                now: StateSamples.start + 60)
        #expect(Drift(address: IPAddress("192.0.2.10")!, previous: stored, next: next) == nil)
    }
}
