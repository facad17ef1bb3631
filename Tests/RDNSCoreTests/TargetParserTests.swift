import RDNSCore
import Testing

private func target(_ address: String, _ expected: String? = nil) -> CheckTarget {
    CheckTarget(IPAddress(address)!, expectedName: expected.map { DNSName($0)! })
}

@Suite("TargetParser: addresses, ranges and ADDRESS=NAME")
struct TargetParserTests {
    @Test("one address gives one target, in canonical form")
    func singleAddress() throws {
        let targets = try TargetParser.parse("2001:DB8:0::25").get()
        #expect(Array(targets) == [target("2001:db8::25")])
        #expect(targets.first?.expectedName == nil)
    }

    @Test("an address with an expected name keeps the name")
    func addressWithName() throws {
        let expected = DNSName("mail.example.com")
        #expect(Array(try TargetParser.parse("203.0.113.25", expectedName: expected).get())
            == [target("203.0.113.25", "mail.example.com")])
    }

    @Test("a range gives every address in it, network and broadcast included")
    func range() throws {
        let targets = try TargetParser.parse("198.51.100.0/30").get()
        #expect(targets.map(\.address.description) == ["198.51.100.0", "198.51.100.1", "198.51.100.2",
                                                       "198.51.100.3"])
        #expect(targets.allSatisfy { $0.expectedName == nil })
        #expect(try TargetParser.parse("2001:db8::/112").get().count == 65_536)
    }

    @Test("an expected name on a range is an error")
    func nameOnRange() {
        let result = TargetParser.parse("198.51.100.0/28", expectedName: DNSName("mail.example.com"))
        #expect(result == .failure(.nameOnRange("198.51.100.0/28")))
        #expect(TargetParser.ParseError.nameOnRange("198.51.100.0/28").description
            == "'198.51.100.0/28': an expected name applies to one address, not to a range")
    }

    @Test("malformed addresses and ranges are errors with the range's own reason", arguments: [
        ("mail.example.com", TargetParser.ParseError.malformed("mail.example.com")),
        ("203.0.113.256", .malformed("203.0.113.256")),
        ("", .malformed("")),
        ("203.0.113.25/24", .range(.hostBitsSet(given: "203.0.113.25/24", network: "203.0.113.0/24"))),
        ("10.0.0.0/8", .range(.tooLarge("10.0.0.0/8", addresses: "16777216"))),
        ("203.0.113.0/33", .range(.malformedPrefix("203.0.113.0/33"))),
    ])
    func malformed(text: String, error: TargetParser.ParseError) {
        #expect(TargetParser.parse(text) == .failure(error))
    }

    @Test("the error texts say what is wrong")
    func errorDescriptions() {
        #expect(TargetParser.ParseError.malformed("x").description == "'x' is not an IPv4 or IPv6 address or range")
        #expect(TargetParser.ParseError.invalidName("-x").description == "expected name '-x' is not a valid hostname")
        #expect(TargetParser.ParseError.range(.malformedPrefix("1.2.3.4/33")).description
            == "'1.2.3.4/33' has no valid prefix length")
    }

    @Test("a command-line argument may be ADDRESS, ADDRESS=NAME or CIDR", arguments: [
        ("203.0.113.25", [target("203.0.113.25")]),
        ("203.0.113.25=mail.example.com", [target("203.0.113.25", "mail.example.com")]),
        ("203.0.113.25=Mail.Example.COM.", [target("203.0.113.25", "mail.example.com")]),
        ("2001:db8::25=mail.example.com", [target("2001:db8::25", "mail.example.com")]),
        ("203.0.113.24/31", [target("203.0.113.24"), target("203.0.113.25")]),
    ])
    func argument(text: String, targets: [CheckTarget]) {
        #expect(TargetParser.parseArgument(text).map(Array.init) == .success(targets))
    }

    @Test("ADDRESS=NAME with a name that is not a valid hostname is an error naming it", arguments: [
        ("203.0.113.25=", ""),
        ("203.0.113.25=-mail.example.com", "-mail.example.com"),
        ("203.0.113.25=mail..example.com", "mail..example.com"),
        ("203.0.113.25=1.2.3.4", "1.2.3.4"),
        ("203.0.113.25=mail.example.com=x", "mail.example.com=x"),
        ("203.0.113.25=$(reboot)", "$(reboot)"),
    ])
    func invalidName(text: String, name: String) {
        #expect(TargetParser.parseArgument(text) == .failure(.invalidName(name)))
    }

    @Test("a name on a range and a name on a malformed address are errors")
    func argumentErrors() {
        #expect(TargetParser.parseArgument("198.51.100.0/28=mail.example.com")
            == .failure(.nameOnRange("198.51.100.0/28")))
        #expect(TargetParser.parseArgument("=mail.example.com") == .failure(.malformed("")))
        #expect(TargetParser.parseArgument("mail.example.com=mail.example.com")
            == .failure(.malformed("mail.example.com")))
    }
}
