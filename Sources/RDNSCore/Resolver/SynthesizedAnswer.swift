/// systemd-resolved's made-up answers (SPEC "No synthesized answers"): how to tell them, and where resolved listens.
///
/// When the upstream says NXDOMAIN or SERVFAIL, resolved answers a PTR query for one of the host's own addresses
/// with the local hostname, and the hostname's A/AAAA with the local addresses: records with TTL 0 in a reply with
/// AA set, and AD too when the query set AD (both engines do, as RFC 6840 5.7 lets a stub). All three marks make one:
/// a real authoritative server may answer TTL 0 with AA but never sets AD, and a validating resolver sets AD but
/// not AA.
public enum SynthesizedAnswer {
    /// resolved's stub listener and its proxy listener (`DNSStubListener`; 127.0.0.54 since systemd 250): both
    /// make answers up.
    public static let resolvedStubs: Set<IPAddress> = [IPAddress("127.0.0.53")!, IPAddress("127.0.0.54")!]

    /// Whether a reply with `flags`, whose records answering the question have at most `largestTTL`, bears every
    /// mark of an answer made up by resolved.
    public static func hasMarks(flags: ReplyFlags, largestTTL: UInt32) -> Bool {
        largestTTL == 0 && flags.isSuperset(of: [.authoritative, .authenticData])
    }

    /// How every `synthesized-answer` message ends: what the answer is, and what to do.
    public static let explanation = "was made up by the local resolver (systemd-resolved: TTL 0, AA and AD set), "
        + "it is not in DNS; set `nameserver` to a real resolver (one of /run/systemd/resolve/resolv.conf)"
}
