import RDNSCore
import Testing

@Suite("IPAddress: parsing, RFC 5952 output, binary equality and order")
struct IPAddressTests {
    @Test("dotted-quad IPv4 parses to its 32-bit value", arguments: [
        ("0.0.0.0", UInt32(0)),
        ("203.0.113.25", 0xCB00_7119),
        ("255.255.255.255", 0xFFFF_FFFF),
        ("10.0.1.2", 0x0A00_0102),
        ("192.0.2.100", 0xC000_0264),
    ])
    func validIPv4(text: String, value: UInt32) {
        #expect(IPAddress(text) == .v4(value))
        #expect(IPAddress(text)?.description == text)
        #expect(IPAddress(text)?.isIPv4 == true)
        #expect(IPAddress(text)?.bitWidth == 32)
    }

    @Test("malformed IPv4 text is rejected, leading zeros included (some parsers read them as octal)", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3.00", "1..3.4",
        "1.2.3.", ".1.2.3", "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4", "1.2.3.-4", "1.2.3.a", "1234.1.1.1", "0x1.2.3.4",
        "1.2.3.4/32", "localhost",
    ])
    func invalidIPv4(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("IPv6 text parses, with every form of :: and an embedded IPv4 tail", arguments: [
        ("::", UInt128(0)),
        ("::1", 1),
        ("1::", 0x0001_0000_0000_0000_0000_0000_0000_0000),
        ("2001:db8::1", 0x2001_0DB8_0000_0000_0000_0000_0000_0001),
        ("2001:DB8:0::1", 0x2001_0DB8_0000_0000_0000_0000_0000_0001),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", 0x2001_0DB8_0000_0000_0000_0000_0000_0001),
        ("1:2:3:4:5:6:7:8", 0x0001_0002_0003_0004_0005_0006_0007_0008),
        ("1:2:3:4:5:6:7::", 0x0001_0002_0003_0004_0005_0006_0007_0000),
        ("::2:3:4:5:6:7:8", 0x0000_0002_0003_0004_0005_0006_0007_0008),
        ("1:2::7:8", 0x0001_0002_0000_0000_0000_0000_0007_0008),
        ("::ffff:192.0.2.1", 0x0000_0000_0000_0000_0000_FFFF_C000_0201),
        ("::192.0.2.1", 0xC000_0201),
        ("64:ff9b::203.0.113.25", 0x0064_FF9B_0000_0000_0000_0000_CB00_7119),
        ("1:2:3:4:5:6:192.0.2.1", 0x0001_0002_0003_0004_0005_0006_C000_0201),
        ("0000:0000:0000:0000:0000:ffff:255.255.255.255", 0xFFFF_FFFF_FFFF),
        ("FFFF:ffff:FfFf:ffff:ffff:ffff:ffff:ffff", UInt128.max),
    ])
    func validIPv6(text: String, value: UInt128) {
        #expect(IPAddress(text) == .v6(value))
        #expect(IPAddress(text)?.isIPv4 == false)
        #expect(IPAddress(text)?.bitWidth == 128)
    }

    @Test("malformed IPv6 text is rejected: bad groups, counts, colons, zone ids and brackets", arguments: [
        ":", ":::", "1:::2", "1::2::3", ":1::", "::1:", "1:2:3:4:5:6:7:", ":1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::",
        "12345::", "00001::1", "g::1", "2001:db8::x", "1:2:3:4:5:6:7:192.0.2.1", "::ffff:01.2.3.4",
        "::ffff:192.0.2", "::192.0.2.1:5", "192.0.2.1::", "fe80::1%eth0", "fe80::1%1", "[::1]", "::1 ",
        " ::1", "2001:db8::/32", "0000:0000:0000:0000:0000:0000:ffff:255.255.255.255",
    ])
    func invalidIPv6(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("IPv6 prints as RFC 5952: lowercase, no leading zeros, the longest zero run as ::, the first on a tie",
          arguments: [
              ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
              ("2001:DB8:0::1", "2001:db8::1"),
              ("0:0:0:0:0:0:0:0", "::"),
              ("0:0:0:0:0:0:0:1", "::1"),
              ("1:0:0:0:0:0:0:0", "1::"),
              ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
              ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
              ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
              ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
              ("0:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
              ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"),
              ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
              ("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"),
              ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
              ("2001:db8::0:1", "2001:db8::1"),
              ("fe80:0000:0000:0000:0204:61ff:fe9d:f156", "fe80::204:61ff:fe9d:f156"),
          ])
    func canonicalIPv6(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test("an address whose prefix says an IPv4 address fills its last 32 bits ends in dotted decimal (RFC 5952 §5)",
          arguments: [
              ("::ffff:a00:1", "::ffff:10.0.0.1"),
              ("0:0:0:0:0:FFFF:C000:0201", "::ffff:192.0.2.1"),
              ("::ffff:0:0", "::ffff:0.0.0.0"),
              ("::ffff:255.255.255.255", "::ffff:255.255.255.255"),
              ("::ffff:0:a00:1", "::ffff:0:10.0.0.1"),
              ("64:ff9b::c000:221", "64:ff9b::192.0.2.33"),
              ("64:ff9b::", "64:ff9b::0.0.0.0"),
          ])
    func embeddedIPv4(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test("other addresses with IPv4-like tails stay hexadecimal: the prefix alone does not say so", arguments: [
        ("::10.0.0.1", "::a00:1"),
        ("::1", "::1"),
        ("::", "::"),
        ("1::ffff:a00:1", "1::ffff:a00:1"),
        ("::fffe:a00:1", "::fffe:a00:1"),
        ("::1:ffff:a00:1", "::1:ffff:a00:1"),
        ("64:ff9b:1::a00:1", "64:ff9b:1::a00:1"),
        ("2001:db8::5efe:a00:1", "2001:db8::5efe:a00:1"),
    ])
    func hexadecimalTails(text: String, canonical: String) throws {
        #expect(try #require(IPAddress(text)).description == canonical)
    }

    @Test("canonical text is what rdnscheck prints, or 0.1's hexadecimal form of an IPv4 tail", arguments: [
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"), ("::ffff:a00:1", "::ffff:10.0.0.1"), ("2001:db8::1", "2001:db8::1"),
        ("192.0.2.1", "192.0.2.1"), ("64:ff9b::c000:221", "64:ff9b::192.0.2.33"),
    ])
    func canonicalText(text: String, address: String) throws {
        #expect(IPAddress(canonical: text) == IPAddress(address))
    }

    @Test("text in another form than those two is not canonical", arguments: [
        "::FFFF:10.0.0.1", "0:0:0:0:0:ffff:a00:1", "::ffff:0a00:1", "2001:DB8::1", "2001:db8:0::1", "::0.0.0.1",
        "1.2.3.04", "",
    ])
    func notCanonicalText(text: String) {
        #expect(IPAddress(canonical: text) == nil)
    }

    @Test("the reverse name of an IPv4-mapped address stays in nibbles under ip6.arpa")
    func mappedReverseName() throws {
        let name = DNSName.reverse(of: try #require(IPAddress("::ffff:10.0.0.1")))
        #expect(name.description == "1.0.0.0.0.0.a.0.f.f.f.f." + String(repeating: "0.", count: 20) + "ip6.arpa")
    }

    @Test("addresses compare as binary, not as text")
    func binaryEquality() {
        #expect(IPAddress("2001:DB8:0::1") == IPAddress("2001:db8::1"))
        #expect(IPAddress("2001:db8:0:0:0:0:0:1") == IPAddress("2001:db8::1"))
        #expect(IPAddress("2001:db8::1") != IPAddress("2001:db8::2"))
        #expect(Set([IPAddress("2001:DB8::1")!, IPAddress("2001:db8:0::0:1")!]).count == 1)
    }

    @Test("an IPv4 address and its IPv4-mapped IPv6 form are different addresses")
    func familiesDiffer() throws {
        let v4 = try #require(IPAddress("192.0.2.1"))
        let mapped = try #require(IPAddress("::ffff:192.0.2.1"))
        #expect(v4 != mapped)
        #expect(v4.isIPv4 && !mapped.isIPv4)
    }

    @Test("addresses order numerically, every IPv4 address before every IPv6 address")
    func ordering() {
        let texts = ["2001:db8::10", "10.0.0.2", "::1", "9.255.255.255", "2001:db8::9", "10.0.0.10", "255.0.0.0"]
        let sorted = texts.compactMap { IPAddress($0) }.sorted().map(\.description)
        #expect(sorted == ["9.255.255.255", "10.0.0.2", "10.0.0.10", "255.0.0.0", "::1", "2001:db8::9",
                           "2001:db8::10"])
        #expect(IPAddress("255.255.255.255")! < IPAddress("::")!)
        #expect(!(IPAddress("::")! < IPAddress("0.0.0.0")!))
    }

    @Test("4 or 16 network-order bytes make an address; other lengths do not")
    func fromBytes() {
        #expect(IPAddress(bytes: [203, 0, 113, 25]) == IPAddress("203.0.113.25"))
        #expect(IPAddress(bytes: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [0x25])
            == IPAddress("2001:db8::25"))
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [UInt8](repeating: 0, count: 5)) == nil)
        #expect(IPAddress(bytes: [UInt8]()) == nil)
    }
}
