/// How a `FaultServer` treats a query for one name. Every reply echoes the query's ID (except
/// `.wrongID`) and its question, and sets QR and AA; RD and CD are copied from the query, RA is never set.
public indirect enum FaultBehaviour: Sendable, Hashable {
    /// NOERROR with these records in the answer section; an empty list is NODATA. Only records of the
    /// question's type (and CNAMEs, and everything for type ANY) are sent, as a real server would, so one
    /// rule can serve both the A and the AAAA query for a name. Over UDP an answer larger than 512 octets
    /// (or the query's EDNS0 payload size) is replaced by an empty reply with TC set.
    case answer([FaultRecord])
    /// Like `.answer` but sends every record whatever the question type (a misbehaving server).
    case answerAll([FaultRecord])
    /// NXDOMAIN (RCODE 3), no records.
    case nxdomain
    /// Any RCODE with no records: FORMERR = 1, SERVFAIL = 2, NOTIMP = 4, REFUSED = 5.
    case rcode(UInt8)
    /// Never reply (over TCP: read the query, then hold the connection open until stop or client close).
    case drop
    /// UDP: TC set and no records; TCP: the full `.answer`.
    case truncatedThenTCP([FaultRecord])
    /// UDP: TC set; TCP: read the query, never answer, keep the connection open until stop.
    case truncatedThenTCPStall
    /// UDP: TC set; TCP: read the query, then close with a reset (SO_LINGER 0).
    case truncatedThenTCPReset
    /// A header with ANCOUNT = `count`, the echoed question, then `bytes` verbatim (never truncated).
    /// The question name starts at offset 12 (right after the header), so `[0xC0, 0x0C]` is a valid
    /// compression pointer to it and, for example, a pointer to its own offset is a compression loop.
    /// The answer bytes start at offset 12 + (question name length) + 4.
    case rawAnswer(count: UInt16, bytes: [UInt8])
    /// Like `.answer`, but the reply carries a different ID than the query (a spoofing attempt).
    case wrongID([FaultRecord])
    /// Five octets: the ID, the flags and one octet of QDCOUNT. Too short to be a DNS header.
    case shortReply
    /// 40 octets: the query's ID, a flags octet with QR set, then pseudo-random bytes seeded by the ID,
    /// so a failing test sees the same garbage again.
    case garbage
    /// The given behaviour, applied after a delay (without blocking other queries).
    case delayed(seconds: Double, FaultBehaviour)
    /// The n-th query for the name (counting from 0, over UDP and TCP together) gets element n; the last
    /// element repeats. For example `.sequence([.rcode(2), .answer(records)])` fails once, then answers.
    /// Remember that `.truncatedThenTCP` costs two queries (one UDP, one TCP). An empty list is `.drop`.
    case sequence([FaultBehaviour])
    /// UDP: the inner behaviour's reply is sent from another source than the address and port queried (a
    /// spoofing attempt, or a multi-homed server answering from the wrong address); a resolver must ignore it.
    /// TCP: the inner behaviour as is (a connection has only one source).
    case fromOtherSource(FaultSource, FaultBehaviour)
    /// Every behaviour's reply to the one query, in order: for example
    /// `.replies([.fromOtherSource(.otherPort, .answer(spoofed)), .delayed(seconds: 0.2, .answer(real))])`
    /// sends a spoofed answer first and the real one 0.2 s later. An empty list is `.drop`.
    case replies([FaultBehaviour])
    /// The inner behaviour's replies with an ID other than the query's: junk a resolver must throw away, whatever
    /// it says (`.withWrongID(.rcode(2))` is a SERVFAIL to no query of the resolver's).
    case withWrongID(FaultBehaviour)
    /// A reply with the query's ID that answers another question: the question section names `name` (nil: the
    /// query's name) with type `type` (nil: the query's type), and the records (owner nil = that name) follow.
    /// A resolver must not take it as the answer to the question it asked.
    case otherQuestion(name: FaultName?, type: UInt16?, [FaultRecord])
    /// The inner behaviour's replies with AD set when the query set AD, as a validating resolver answers a client
    /// that asks (RFC 6840 5.7), and as systemd-resolved marks the answers it makes up for the host's own addresses:
    /// `.authenticData(.answer([.ptr("ip-192-0-2-40", ttl: 0)]))` is one of those (AA is always set).
    case authenticData(FaultBehaviour)
    /// As a validating resolver answers a name whose DNSSEC validation fails: SERVFAIL, unless the query sets CD
    /// (checking disabled, RFC 4035 3.2.2); then the inner behaviour.
    case validationFails(FaultBehaviour)
    /// Queries of type `type` get `behaviour`, the others `otherwise`: `.forType(5, .answer([.cname("b.test")]),
    /// otherwise: .rcode(2))` is a resolver that hides a CNAME loop behind SERVFAIL but gives a name's CNAME record
    /// when asked for it, as Unbound does.
    case forType(UInt16, FaultBehaviour, otherwise: FaultBehaviour)
}

/// Where a `.fromOtherSource` reply comes from. Both are on loopback, so the reply does reach the resolver's
/// socket unless the kernel or the resolver filters it.
public enum FaultSource: Sendable, Hashable {
    /// The server's address, another (ephemeral) port.
    case otherPort
    /// Another loopback address (127.0.0.2 for IPv4; IPv6 has only ::1, so over IPv6 this is `.otherPort`),
    /// the server's port.
    case otherAddress
}

/// The transport a query arrived on.
public enum FaultTransport: String, Sendable, Hashable {
    case udp
    case tcp
}

/// One query a `FaultServer` received (only well-formed queries are logged).
public struct FaultQuery: Sendable, Hashable {
    /// The query name, ASCII-lowercased, dotted, without a trailing dot (the rule key).
    public var name: String
    /// The question type (1 = A, 12 = PTR, 28 = AAAA, ...).
    public var type: UInt16
    /// Whether it came over UDP or TCP.
    public var transport: FaultTransport
    /// When the server read it (`monotonicSeconds()`): the spacing of queries shows a resolver's timers on the
    /// server's own threads, without the waits of the test's task on a busy machine.
    public var receivedAt: Double
    /// Whether the query set CD (checking disabled).
    public var checkingDisabled = false
}
