import Foundation
import Glibc
import RDNSCore
import RDNSHost
import Testing
import TestSupport

@Suite("InterfaceDiscoverer: the global unicast addresses of the interfaces that are up")
struct InterfaceDiscovererTests {
    /// `unshare -n` needs root (CAP_SYS_ADMIN); `ip` builds the namespace's interfaces.
    static let canMakeNetworkNamespace = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: unshare)
        && FileManager.default.isExecutableFile(atPath: ip)
    static let unshare = "/usr/bin/unshare"
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first(where: FileManager.default.isExecutableFile)
        ?? "/usr/sbin/ip"

    @Test("in a network namespace of its own, only the global addresses of an up interface come back",
          .enabled(if: canMakeNetworkNamespace, "needs root, unshare and ip to make a network namespace"))
    func namespace() async throws {
        let probe = ProcessRunner.builtProduct("interface-discovery-probe")
        // A dummy interface where the kernel has the module, else a bridge without ports (containers often lack
        // the dummy module); either way an interface that is up. d1 stays down.
        let script = """
            set -e
            ip() { \(Self.ip) "$@"; }
            for name in d0 d1; do ip link add $name type dummy 2>/dev/null || ip link add $name type bridge; done
            ip link set lo up
            ip link set d0 up
            for a in 192.0.2.10/24 198.51.100.7/24 203.0.113.25/24 10.1.2.3/8 172.16.5.5/12 192.168.1.1/24 \
                     100.64.1.1/10 169.254.7.7/16; do ip addr add $a dev d0; done
            for a in 2001:db8::10/64 fd00:ec2::5/64 fe80::9/64; do ip addr add $a dev d0 nodad; done
            ip addr add 198.51.100.99/32 dev d1
            ip addr add 2001:db8::99/128 dev d1 nodad
            exec "$0"
            """
        let result = try await offThePool {
            try ProcessRunner.run(Self.unshare, arguments: ["-n", "/bin/sh", "-c", script, probe], timeout: 60)
        }
        #expect(result.stderrText == "")
        #expect(result.exitStatus == 0)
        #expect(result.stdoutText == "192.0.2.10\n198.51.100.7\n203.0.113.25\n2001:db8::10\n")
    }

    /// What the filter keeps is the namespace test's; this one checks the walk of getifaddrs against what `ip`
    /// reads over netlink, on whatever interfaces this host has.
    @Test("on this host, the addresses found are the global unicast ones `ip -o addr show up` lists",
          .enabled(if: FileManager.default.isExecutableFile(atPath: ip), "needs ip"))
    func host() async throws {
        let listing = try await offThePool {
            try ProcessRunner.run(Self.ip, arguments: ["-o", "addr", "show", "up"], timeout: 30)
        }
        #expect(listing.exitStatus == 0)
        // `4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\ ...`: the word after inet or inet6.
        let listed = listing.stdoutText.split(separator: "\n").compactMap { line -> IPAddress? in
            let words = line.split(separator: " ")
            guard let family = words.firstIndex(where: { $0 == "inet" || $0 == "inet6" }),
                  family + 1 < words.count else { return nil }
            return IPAddress(String(words[family + 1].prefix { $0 != "/" }))
        }
        let found = try await InterfaceDiscoverer().discover()
        #expect(found.source == .interfaces)
        #expect(found.region == nil)
        #expect(Set(found.addresses) == Set(listed.filter(\.isGlobalUnicast)))
    }
}
