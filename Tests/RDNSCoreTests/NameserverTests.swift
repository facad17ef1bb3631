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
        let nameserver = try Nameserver(parsing: text)
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
        #expect(throws: Nameserver.ParseError.malformed(text)) { try Nameserver(parsing: text) }
    }

    @Test("an address no query can be sent to is rejected with the reason", arguments: [
        ("0.0.0.0", "0.0.0.0 is the unspecified address, not a server's"),
        ("0.0.0.0:53", "0.0.0.0 is the unspecified address, not a server's"),
        ("0.1.2.3", "0.0.0.0/8 is 'this network' (RFC 1122), never a destination"),
        ("::", ":: is the unspecified address, not a server's"),
        ("[::]:5300", ":: is the unspecified address, not a server's"),
        ("224.0.0.1", "224.0.0.0/4 is multicast, not one server"),
        ("239.255.255.250:1900", "224.0.0.0/4 is multicast, not one server"),
        ("255.255.255.255", "255.255.255.255 is the broadcast address, not one server"),
        ("ff02::1", "ff00::/8 is multicast, not one server"),
        ("[ff05::1:3]:547", "ff00::/8 is multicast, not one server"),
        ("::ffff:0.0.0.0",
         "an IPv4-mapped address sends to IPv4, and 0.0.0.0 is the unspecified address, not a server's"),
        ("::ffff:224.0.0.251", "an IPv4-mapped address sends to IPv4, and 224.0.0.0/4 is multicast, not one server"),
    ])
    func notUnicast(text: String, reason: String) {
        #expect(throws: Nameserver.ParseError.notADestination(text, reason: reason)) { try Nameserver(parsing: text) }
        #expect(Nameserver.ParseError.notADestination(text, reason: reason).description
                == "'\(text)' is not a nameserver: \(reason)")
    }

    @Test("unicast addresses next to those ranges are nameservers", arguments: [
        "1.0.0.0", "223.255.255.255", "240.0.0.1", "255.255.255.254", "::1", "::2", "fe80::1", "feff::1",
        "::ffff:192.0.2.53", "127.0.0.53",
    ])
    func unicastNeighbours(text: String) throws {
        #expect(try Nameserver(parsing: text).address == IPAddress(text))
    }

    @Test("an IPv6 address with a port but no brackets is read as an address, so the port must be bracketed")
    func unbracketedIPv6Port() throws {
        let nameserver = try Nameserver(parsing: "2001:db8::53:5300")
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
        #expect(try Nameserver(parsing: text).description == printed)
    }
}
