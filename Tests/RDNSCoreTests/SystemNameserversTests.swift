import Foundation
import Testing

import RDNSCore

/// /etc/resolv.conf and resolved's /run/systemd/resolve/resolv.conf in a temporary directory; nil: that file absent.
private func choose(resolvConf: String?, upstreams: String?) throws -> (SystemNameservers, SystemNameservers.Files) {
    let folder = NSTemporaryDirectory() + "rdnscheck-resolv-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let files = SystemNameservers.Files(resolvConf: folder + "/resolv.conf",
                                        resolvedUpstreams: folder + "/run-resolv.conf")
    if let resolvConf { try resolvConf.write(toFile: files.resolvConf, atomically: true, encoding: .utf8) }
    if let upstreams { try upstreams.write(toFile: files.resolvedUpstreams, atomically: true, encoding: .utf8) }
    return (SystemNameservers.choose(files), files)
}

/// What systemd-resolved writes in both files (Debian 12, systemd 252), with these upstream servers.
private let stubResolvConf = """
    # This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
    nameserver 127.0.0.53
    options edns0 trust-ad
    search ec2.internal
    """

private func upstreamFile(_ servers: [String]) -> String {
    "# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\n"
        + servers.map { "nameserver \($0)\n" }.joined() + "search ec2.internal\n"
}

private func nameservers(_ texts: [String]) -> [Nameserver] {
    texts.map { Nameserver(address: IPAddress($0)!) }
}

@Suite("SystemNameservers: resolved's upstream servers instead of its stub")
struct SystemNameserversTests {
    @Test("a resolv.conf naming only the stub gives resolved's upstream servers, and says so")
    func stubOnlyUsesUpstreams() throws {
        let (chosen, files) = try choose(resolvConf: stubResolvConf, upstreams: upstreamFile(["172.31.0.2"]))
        #expect(chosen.nameservers == nameservers(["172.31.0.2"]))
        #expect(chosen.notice == "\(files.resolvConf) names only systemd-resolved's stub 127.0.0.53, which makes up "
            + "PTR and A/AAAA answers for this host's own addresses: asking the upstream servers of "
            + "\(files.resolvedUpstreams) instead: 172.31.0.2")
    }

    @Test("both stubs, 127.0.0.53 and 127.0.0.54, are stubs; IPv6 upstreams are used like IPv4 ones")
    func bothStubsAndIPv6Upstreams() throws {
        let (chosen, _) = try choose(resolvConf: "nameserver 127.0.0.54\nnameserver\t127.0.0.53\n",
                                     upstreams: upstreamFile(["fd00:ec2::253", "2001:db8::53", "192.0.2.53"]))
        #expect(chosen.nameservers == nameservers(["fd00:ec2::253", "2001:db8::53", "192.0.2.53"]))
        #expect(chosen.notice?.contains("stubs 127.0.0.53 and 127.0.0.54, which make up") == true,
                "\(chosen.notice ?? "")")
        #expect(chosen.notice?.hasSuffix("instead: fd00:ec2::253, 2001:db8::53, 192.0.2.53") == true)
    }

    @Test("of more than three upstream servers the first three are used, as glibc would, and the notice says so")
    func atMostThree() throws {
        let (chosen, _) = try choose(resolvConf: stubResolvConf,
                                     upstreams: upstreamFile(["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]))
        #expect(chosen.nameservers == nameservers(["192.0.2.1", "192.0.2.2", "192.0.2.3"]))
        #expect(chosen.notice?.hasSuffix("instead: 192.0.2.1, 192.0.2.2, 192.0.2.3 (the first 3 of 4)") == true)
    }

    @Test("a link-local server with its zone is left out and named; the stub itself in the upstream list is skipped")
    func unusableUpstreams() throws {
        let (chosen, _) = try choose(resolvConf: stubResolvConf,
                                     upstreams: upstreamFile(["fe80::1%2", "127.0.0.53", "192.0.2.1"]))
        #expect(chosen.nameservers == nameservers(["192.0.2.1"]))
        #expect(chosen.notice?.hasSuffix("instead: 192.0.2.1 (not usable: fe80::1%2)") == true)
    }

    @Test("a resolv.conf with any other nameserver among its first three is used as it is, silently", arguments: [
        "nameserver 127.0.0.53\nnameserver 192.0.2.53\n",
        "nameserver 192.0.2.53\n",
        "nameserver 127.0.0.1\n",
        "# nameserver 127.0.0.53\n",
        "",
    ])
    func otherNameserversKept(resolvConf: String) throws {
        let (chosen, _) = try choose(resolvConf: resolvConf, upstreams: upstreamFile(["172.31.0.2"]))
        #expect(chosen == SystemNameservers(nameservers: [], notice: nil))
    }

    @Test("a fourth nameserver, which glibc never asks, does not save the stubs")
    func fourthIgnored() throws {
        let stubs = "nameserver 127.0.0.53\nnameserver 127.0.0.54\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n"
        let (chosen, _) = try choose(resolvConf: stubs, upstreams: upstreamFile(["172.31.0.2"]))
        #expect(chosen.nameservers == nameservers(["172.31.0.2"]))
    }

    @Test("no resolv.conf at all is left to glibc, silently")
    func missingResolvConf() throws {
        let (chosen, _) = try choose(resolvConf: nil, upstreams: upstreamFile(["172.31.0.2"]))
        #expect(chosen == SystemNameservers(nameservers: [], notice: nil))
    }

    @Test("without resolved's upstream file the stub stays, and the notice says why")
    func missingUpstreamFileKeepsStub() throws {
        let (chosen, files) = try choose(resolvConf: stubResolvConf, upstreams: nil)
        #expect(chosen.nameservers.isEmpty)
        #expect(chosen.notice?.hasSuffix(", and \(files.resolvedUpstreams) cannot be read (No such file or "
            + "directory): asking the stub; answers it made up are reported as synthesized-answer") == true,
                "\(chosen.notice ?? "")")
    }

    @Test("an upstream file with no server but the stubs keeps the stub, and the notice says why")
    func upstreamFileOfStubsKeepsStub() throws {
        let (chosen, files) = try choose(resolvConf: stubResolvConf, upstreams: upstreamFile(["127.0.0.53"]))
        #expect(chosen.nameservers.isEmpty)
        #expect(chosen.notice?.hasSuffix(", and \(files.resolvedUpstreams) lists no other nameserver: asking the "
            + "stub; answers it made up are reported as synthesized-answer") == true, "\(chosen.notice ?? "")")
    }
}
