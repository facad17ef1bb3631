import RDNSCore
import Testing

@Suite("Nameserver: IP[:PORT] and [IPv6]:PORT")
struct NameserverTests {
    @Test("nameserver addresses parse with port 53 unless one is given", arguments: [
        ("192.0.2.53", "192.0.2.53", UInt16(53)),
        ("192.0.2.53:5300", "192.0.2.53", 5300),
        ("127.0.0.53:53", "127.0.0.53", 53),
        ("192.0.2.53:1", "192.0.2.53", 1),
        ("192.0.2.53:65535", "192.0.2.53", 65_535),
        ("2001:db8::53", "2001:db8::53", 53),
        ("::1", "::1", 53),
        ("[2001:db8::53]:5300", "2001:db8::53", 5300),
        ("[::1]:5301", "::1", 5301),
        ("[2001:DB8::53]", "2001:db8::53", 53),
    ])
    func valid(text: String, address: String, port: UInt16) throws {
        let nameserver = try #require(Nameserver(parsing: text))
        #expect(nameserver.address == IPAddress(address))
        #expect(nameserver.port == port)
    }

    @Test("bad ports, bad addresses, names and bracket mistakes are rejected", arguments: [
        "192.0.2.53:0", "192.0.2.53:65536", "192.0.2.53:abc", "192.0.2.53:", "192.0.2.53:-1", "192.0.2.53:+53",
        "192.0.2.53:123456", "192.0.2.53: 53", ":53", "", "localhost", "ns1.example.com:53", "192.0.2.256",
        "[2001:db8::53]:0", "[2001:db8::53]:65536", "[2001:db8::53]:abc", "[2001:db8::53]:", "[2001:db8::53]5300",
        "[2001:db8::53", "2001:db8::53]", "[192.0.2.53]:53", "[192.0.2.53]", "[]:53", "[fe80::1%eth0]:53",
        "2001:db8:0:0:0:0:0:53:5300",
    ])
    func invalid(text: String) {
        #expect(Nameserver(parsing: text) == nil)
    }

    @Test("an IPv6 address with a port but no brackets is read as an address, so the port must be bracketed")
    func unbracketedIPv6Port() throws {
        let nameserver = try #require(Nameserver(parsing: "2001:db8::53:5300"))
        #expect(nameserver.address == IPAddress("2001:db8::53:5300"))
        #expect(nameserver.port == 53)
    }

    @Test("a nameserver prints as it would be written, brackets only for IPv6 with a port", arguments: [
        ("192.0.2.53", "192.0.2.53"),
        ("192.0.2.53:53", "192.0.2.53"),
        ("192.0.2.53:5300", "192.0.2.53:5300"),
        ("2001:DB8:0::53", "2001:db8::53"),
        ("[2001:db8::53]:5300", "[2001:db8::53]:5300"),
        ("[::1]:53", "::1"),
    ])
    func description(text: String, printed: String) throws {
        #expect(try #require(Nameserver(parsing: text)).description == printed)
    }
}
