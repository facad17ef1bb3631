import RDNSCore
import Testing

private func parseError(_ text: String) -> AddressRange.ParseError? {
    do {
        _ = try AddressRange(parsing: text)
        return nil
    } catch {
        return error
    }
}

@Suite("AddressRange: CIDR ranges of at most 65,536 addresses")
struct AddressRangeTests {
    @Test("a range covers every address from the network address to the broadcast address", arguments: [
        ("203.0.113.0/24", 256, "203.0.113.0", "203.0.113.255"),
        ("198.51.100.0/28", 16, "198.51.100.0", "198.51.100.15"),
        ("192.0.2.64/26", 64, "192.0.2.64", "192.0.2.127"),
        ("203.0.113.25/32", 1, "203.0.113.25", "203.0.113.25"),
        ("203.0.113.24/31", 2, "203.0.113.24", "203.0.113.25"),
        ("10.20.0.0/16", 65_536, "10.20.0.0", "10.20.255.255"),
        ("2001:db8::/120", 256, "2001:db8::", "2001:db8::ff"),
        ("2001:db8::/112", 65_536, "2001:db8::", "2001:db8::ffff"),
        ("2001:db8::25/128", 1, "2001:db8::25", "2001:db8::25"),
        ("2001:db8:1:2::100/126", 4, "2001:db8:1:2::100", "2001:db8:1:2::103"),
    ])
    func coversNetworkToBroadcast(text: String, count: Int, first: String, last: String) throws {
        let range = try AddressRange(parsing: text)
        #expect(range.count == count)
        #expect(Array(range).count == count)
        #expect(range.first == IPAddress(first))
        #expect(range.last == IPAddress(last))
        #expect(range.network == IPAddress(first))
        #expect(range.description == text)
    }

    @Test("the addresses are consecutive and in order")
    func addressesInOrder() throws {
        let range = try AddressRange(parsing: "192.0.2.252/30")
        #expect(range.map(\.description) == ["192.0.2.252", "192.0.2.253", "192.0.2.254", "192.0.2.255"])
        #expect(range.prefixLength == 30)
    }

    @Test("an IPv6 range prints in canonical form")
    func canonicalDescription() throws {
        let range = try AddressRange(parsing: "2001:0DB8:0000::/112")
        #expect(range.description == "2001:db8::/112")
        #expect(range.network == IPAddress("2001:db8::"))
    }

    @Test("host bits set is an error that suggests the network", arguments: [
        ("203.0.113.25/24", "203.0.113.0/24"),
        ("10.1.2.3/16", "10.1.0.0/16"),
        ("198.51.100.17/28", "198.51.100.16/28"),
        ("2001:db8::1/112", "2001:db8::/112"),
        ("2001:db8::1:25/120", "2001:db8::1:0/120"),
        ("10.0.0.1/8", "10.0.0.0/8"),
    ])
    func hostBitsSet(text: String, network: String) {
        let error = parseError(text)
        #expect(error == .hostBitsSet(given: text, network: network))
        #expect(error?.description == "'\(text)' has host bits set; did you mean \(network)?")
    }

    @Test("more than 65,536 addresses is an error naming the count and the limit", arguments: [
        ("10.20.0.0/15", "131072"),
        ("10.0.0.0/8", "16777216"),
        ("0.0.0.0/0", "4294967296"),
        ("2001:db8::/111", "131072"),
        ("2001:db8::/64", "2^64"),
        ("::/0", "2^128"),
    ])
    func tooLarge(text: String, count: String) throws {
        let error = try #require(parseError(text))
        #expect(error == .tooLarge(text, addresses: count))
        #expect(error.description.contains("holds \(count) addresses"))
        #expect(error.description.contains("at most 65536"))
    }

    @Test("a prefix that is not 0 to the address width, written plainly, is malformed", arguments: [
        "203.0.113.0/33", "203.0.113.0/-1", "203.0.113.0/08", "203.0.113.0/024", "203.0.113.0/", "203.0.113.0/ 24",
        "203.0.113.0/+24", "203.0.113.0/24/8", "203.0.113.0/1000", "203.0.113.0/x", "2001:db8::/129",
        "2001:db8::/0112", "2001:db8::/",
    ])
    func malformedPrefix(text: String) throws {
        let error = try #require(parseError(text))
        #expect(error == .malformedPrefix(text))
        #expect(error.description == "'\(text)' has no valid prefix length")
    }

    @Test("a malformed address before the slash is reported as such", arguments: [
        "203.0.113/24", "203.0.113.256/32", "203.000.113.0/24", "/24", "2001:db8:::/112", "mail.example.com/32",
    ])
    func malformedAddress(text: String) throws {
        let error = try #require(parseError(text))
        #expect(error == .malformedAddress(text))
        #expect(error.description == "'\(text)' is not an IPv4 or IPv6 address")
    }

    @Test("an address without a prefix is a missing prefix, not a malformed address", arguments: [
        "203.0.113.0", "2001:db8::",
    ])
    func missingPrefix(text: String) {
        #expect(parseError(text) == .malformedPrefix(text))
    }
}
