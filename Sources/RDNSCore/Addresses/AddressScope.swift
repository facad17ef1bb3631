extension IPAddress {
    /// Whether mail could leave from this address to the internet (SPEC.md, `discover interfaces`): not unspecified,
    /// loopback, link-local, private (RFC 1918), shared (100.64/10, RFC 6598), multicast or reserved; for IPv6, in
    /// the global unicast space 2000::/3 (RFC 4291 2.4; IANA allocates nothing else for it), which leaves out `::`,
    /// `::1`, link-local fe80::/10, ULA fc00::/7, multicast ff00::/8 and IPv4-mapped `::ffff:0:0/96`.
    ///
    /// The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) count as global on purpose:
    /// the tests, the demo and the README give a host those addresses, and a real host never has them.
    public var isGlobalUnicast: Bool {
        switch self {
        case .v4(let value):
            return !IPAddress.nonGlobalIPv4.contains { value & $0.mask == $0.network }
        case .v6(let value):
            return value >> 125 == 0b001
        }
    }

    /// IPv4 ranges that are not global unicast, as (network, mask).
    private static let nonGlobalIPv4: [(network: UInt32, mask: UInt32)] = [
        (0x0000_0000, 0xFF00_0000),  // 0/8, "this network" (the unspecified 0.0.0.0 included)
        (0x0A00_0000, 0xFF00_0000),  // 10/8, RFC 1918
        (0x6440_0000, 0xFFC0_0000),  // 100.64/10, shared address space (carrier-grade NAT)
        (0x7F00_0000, 0xFF00_0000),  // 127/8, loopback
        (0xA9FE_0000, 0xFFFF_0000),  // 169.254/16, link-local
        (0xAC10_0000, 0xFFF0_0000),  // 172.16/12, RFC 1918
        (0xC0A8_0000, 0xFFFF_0000),  // 192.168/16, RFC 1918
        (0xE000_0000, 0xF000_0000),  // 224/4, multicast
        (0xF000_0000, 0xF000_0000),  // 240/4, reserved, the limited broadcast 255.255.255.255 included
    ]
}
