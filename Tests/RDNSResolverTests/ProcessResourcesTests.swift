import Glibc
import Testing
import TestSupport

/// The leak checks' own instrument: a socket left open towards a server must show, and only while it is open.
@Suite("ProcessResources: the sockets connected to a port")
struct ProcessResourcesTests {
    @Test("a connected UDP socket shows with both ends while it is open, and not once it is closed")
    func connectedSocketShows() throws {
        let server = try FaultServer(rules: [:])
        defer { server.stop() }
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0)
        let open = ProcessResources.sockets(connectedToPort: server.port)
        #expect(open.count == 1)
        #expect(open.first?.hasPrefix("udp 127.0.0.1:") == true)
        #expect(open.first?.hasSuffix(" -> 127.0.0.1:\(server.port)") == true)
        close(descriptor)
        #expect(ProcessResources.sockets(connectedToPort: server.port).isEmpty)
    }
}
