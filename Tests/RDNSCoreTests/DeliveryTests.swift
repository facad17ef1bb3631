import RDNSCore
import Testing

private let address = IPAddress("192.0.2.10")!

private func status(_ old: Status, _ new: Status) -> Change {
    Change(field: .status, old: .string(old.word), new: .string(new.word))
}

private func names(_ old: [String], _ new: [String]) -> Change {
    Change(field: .ptrNames, old: .array(old.map(JSONValue.string)), new: .array(new.map(JSONValue.string)))
}

private func delivery(_ old: Status, _ new: Status, ptr: [String], changes: [Change], tries: Int = 0) -> Delivery {
    Delivery(address: address, oldStatus: old, newStatus: new, problems: new == .ok ? [] : [.forwardMismatch],
             ptrNames: ptr, changes: changes, tries: tries)
}

@Suite("Delivery: one on-change run owed per address")
struct DeliveryTests {
    @Test("a drift's delivery carries its statuses, changes and the result's problems and names")
    func fromDrift() throws {
        let previous = StateSamples.state()
        let result = StateSamples.result("192.0.2.10", .critical, ptr: ["MX.example.com"],
                                         forward: [("MX.example.com", ["198.51.100.9"])],
                                         problems: [Problem(.forwardMismatch, .critical, "resolves elsewhere")])
        let next = AddressState(result: result, previous: previous, now: StateSamples.start + 60)
        let drift = try #require(Drift(address: address, previous: previous, next: next))
        let made = Delivery(drift, result: result)
        #expect(made == Delivery(address: address, oldStatus: .ok, newStatus: .critical, problems: [.forwardMismatch],
                                 ptrNames: ["MX.example.com"], changes: drift.changes, drifts: 1, tries: 0))
    }

    @Test("merged deliveries span from the first's old values to the last's new values, field by field")
    func mergeSpans() {
        let first = delivery(.ok, .critical, ptr: ["b.example.com"],
                             changes: [names(["a.example.com"], ["b.example.com"]), status(.ok, .critical)], tries: 2)
        let second = delivery(.critical, .critical, ptr: ["c.example.com"],
                              changes: [names(["b.example.com"], ["c.example.com"])])
        let merged = first.merged(with: second)
        #expect(merged == Delivery(address: address, oldStatus: .ok, newStatus: .critical,
                                   problems: [.forwardMismatch], ptrNames: ["c.example.com"],
                                   changes: [names(["a.example.com"], ["c.example.com"]), status(.ok, .critical)],
                                   drifts: 2, tries: 0))
    }

    @Test("a field that changed and changed back stays listed, so the program hears the address moved")
    func flapStaysListed() {
        let worse = delivery(.ok, .critical, ptr: ["a.example.com"], changes: [status(.ok, .critical)])
        let better = delivery(.critical, .ok, ptr: ["a.example.com"], changes: [status(.critical, .ok)])
        let merged = worse.merged(with: better).merged(with: worse).merged(with: better)
        #expect(merged.changes == [status(.ok, .ok)])
        #expect(merged.oldStatus == .ok && merged.newStatus == .ok)
        #expect(merged.drifts == 4)
    }
}
