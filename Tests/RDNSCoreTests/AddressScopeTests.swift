import RDNSCore
import Testing

@Suite("IPAddress.isGlobalUnicast: the addresses mail can leave from")
struct AddressScopeTests {
    @Test("global unicast, the documentation ranges included", arguments: [
        "1.0.0.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
        "128.0.0.1", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
        "192.169.0.0", "223.255.255.255", "192.0.2.10", "198.51.100.7", "203.0.113.25", "52.95.110.1",
        "2001:db8::10", "2600:1f18::1", "2a00:1450:4001:80b::200e", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "2000::",
    ])
    func global(text: String) {
        #expect(IPAddress(text)!.isGlobalUnicast)
    }

    @Test("not global: unspecified, this network, loopback, private, shared, link-local, multicast, reserved",
          arguments: [
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.255", "127.0.0.1",
        "127.255.255.254", "169.254.169.254", "169.254.0.1", "172.16.0.1", "172.31.5.10", "192.168.1.1",
        "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        "::", "::1", "fe80::1", "febf:ffff::1", "fc00::1", "fd00:ec2::254", "ff02::1", "ff0e::1",
        "::ffff:203.0.113.10", "64:ff9b::192.0.2.33", "1fff:ffff::1", "4000::1", "fec0::1",
    ])
    func notGlobal(text: String) {
        #expect(!IPAddress(text)!.isGlobalUnicast)
    }
}

@Suite("IPAddress and socket addresses: one conversion, both ways")
struct SocketAddressTests {
    @Test("an address survives the round trip through sockaddr_in and sockaddr_in6", arguments: [
        "203.0.113.10", "0.0.0.0", "255.255.255.255", "2001:db8::10", "::1", "fe80::1:2:3:4",
    ])
    func roundTrip(text: String) {
        let address = IPAddress(text)!
        let back = address.withSocketAddress(port: 8111) { pointer, _ in IPAddress(socketAddress: pointer) }
        #expect(back == address)
    }
}
