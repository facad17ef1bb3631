import RDNSCore
import Testing

private func target(_ address: String, _ expected: String? = nil) -> CheckTarget {
    CheckTarget(IPAddress(address)!, expectedName: expected.map { DNSName($0)! })
}

private func range(_ text: String) -> AddressRange {
    try! AddressRange(parsing: text)
}

/// Targets built from ranges and addresses in the order given, as the parser adds them.
private func targets(_ items: [String]) throws -> CheckTargets {
    var targets = CheckTargets()
    for item in items {
        if item.contains("/") {
            try targets.add(range(item))
        } else {
            let parts = item.split(separator: "=").map(String.init)
            try targets.add(target(parts[0], parts.count > 1 ? parts[1] : nil))
        }
    }
    return targets
}

@Suite("CheckTargets: ranges kept as ranges, each address once, in the order given")
struct CheckTargetsTests {
    @Test("a range's addresses come in order, and count and contains need no expansion")
    func rangeInOrder() throws {
        let listed = try targets(["192.0.2.252/30", "2001:db8::/127"])
        #expect(listed.map(\.address.description)
            == ["192.0.2.252", "192.0.2.253", "192.0.2.254", "192.0.2.255", "2001:db8::", "2001:db8::1"])
        #expect(listed.count == 6)
        #expect(listed.contains(IPAddress("192.0.2.254")!))
        #expect(listed.contains(IPAddress("2001:db8::1")!))
        #expect(!listed.contains(IPAddress("192.0.2.251")!))
        #expect(!listed.contains(IPAddress("2001:db8::2")!))
        #expect(!listed.contains(IPAddress("::ffff:192.0.2.252")!))
    }

    @Test("an address or range listed before is not listed again; the first mention sets the order", arguments: [
        (["192.0.2.1", "192.0.2.0/30"], ["192.0.2.1", "192.0.2.0", "192.0.2.2", "192.0.2.3"]),
        (["192.0.2.0/30", "192.0.2.1", "192.0.2.0/31"], ["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"]),
        (["192.0.2.2/31", "192.0.2.0/30", "192.0.2.0/30"], ["192.0.2.2", "192.0.2.3", "192.0.2.0", "192.0.2.1"]),
        (["192.0.2.3", "192.0.2.0", "192.0.2.0/31", "192.0.2.0/30"],
         ["192.0.2.3", "192.0.2.0", "192.0.2.1", "192.0.2.2"]),
        (["2001:db8::1", "2001:db8::1", "2001:db8::/126"], ["2001:db8::1", "2001:db8::", "2001:db8::2", "2001:db8::3"]),
    ])
    func duplicatesOnce(given: [String], listed: [String]) throws {
        let targets = try targets(given)
        #expect(targets.map(\.address.description) == listed)
        #expect(targets.count == listed.count)
        #expect(listed.allSatisfy { targets.contains(IPAddress($0)!) })
    }

    @Test("two /16s overlapping smaller ranges and addresses count each address once")
    func largeOverlaps() throws {
        let listed = try targets(["10.1.2.3", "10.1.0.0/24", "10.1.0.0/16", "10.2.0.0/16", "10.1.0.0/16",
                                  "10.2.5.0/24"])
        #expect(listed.count == 131_072)
        #expect(Set(listed.map(\.address)).count == 131_072)
        #expect(listed.prefix(2).map(\.address.description) == ["10.1.2.3", "10.1.0.0"])
    }

    @Test("an expected name applies to an address listed in a range, before or after it")
    func expectedNameOnRangeAddress() throws {
        let before = try targets(["192.0.2.1=mail.example.com", "192.0.2.0/30"])
        let after = try targets(["192.0.2.0/30", "192.0.2.1=mail.example.com"])
        #expect(Array(before) == [target("192.0.2.1", "mail.example.com"), target("192.0.2.0"), target("192.0.2.2"),
                                  target("192.0.2.3")])
        #expect(Array(after) == [target("192.0.2.0"), target("192.0.2.1", "mail.example.com"), target("192.0.2.2"),
                                 target("192.0.2.3")])
    }

    @Test("a second, different expected name is an error and changes nothing")
    func otherExpectedName() throws {
        var listed = try targets(["192.0.2.1=mail.example.com"])
        let conflict = CheckTargets.AddError.otherExpectedName(IPAddress("192.0.2.1")!, DNSName("mail.example.com")!)
        #expect(throws: conflict) {
            try listed.add(target("192.0.2.1", "mx.example.com"))
        }
        try listed.add(target("192.0.2.1", "MAIL.example.com"))
        #expect(Array(listed) == [target("192.0.2.1", "mail.example.com")])
        #expect(listed.first?.expectedName?.description == "mail.example.com")
    }

    @Test("sixteen /16s fit; one more address passes the limit and is refused whole")
    func limit() throws {
        var listed = try targets((0..<16).map { "10.\($0).0.0/16" })
        #expect(listed.count == CheckTargets.maximumCount)
        #expect(throws: CheckTargets.AddError.tooMany(total: CheckTargets.maximumCount + 1)) {
            try listed.add(target("192.0.2.1"))
        }
        #expect(throws: CheckTargets.AddError.tooMany(total: CheckTargets.maximumCount + 256)) {
            try listed.add(range("192.0.2.0/24"))
        }
        try listed.add(range("10.3.7.0/24"))
        try listed.add(target("10.15.255.255", "mail.example.com"))
        #expect(listed.count == CheckTargets.maximumCount)
        #expect(!listed.contains(IPAddress("192.0.2.1")!))
    }
}
