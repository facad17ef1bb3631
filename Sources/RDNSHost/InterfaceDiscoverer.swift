import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// `discover interfaces`: every global unicast address (`IPAddress.isGlobalUnicast`) on the host's interfaces that
/// are up, for hosts outside EC2. An interface that is down sends nothing, so its addresses are not checked.
public struct InterfaceDiscoverer: AddressDiscoverer {
    public var source: DiscoverySource { .interfaces }

    public init() {}

    /// getifaddrs reads the kernel's tables over netlink, in microseconds: no thread of its own needed.
    public func discover() async throws(DiscoveryError) -> DiscoveredAddresses {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else {
            throw DiscoveryError("cannot list the host's interfaces (getifaddrs): \(errorText())")
        }
        defer { freeifaddrs(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard current.pointee.ifa_flags & UInt32(IFF_UP) != 0,
                  let socketAddress = current.pointee.ifa_addr,
                  let address = IPAddress(socketAddress: socketAddress), address.isGlobalUnicast else { continue }
            addresses.append(address)
        }
        return try DiscoveredAddresses.checked(source: .interfaces, addresses: addresses)
    }
}
