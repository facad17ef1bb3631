import Glibc

/// One resource record a `FaultServer` puts in an answer (class IN). Names are encoded without
/// compression.
///
///     .ptr("mail.example.test")                        // owner: the query name
///     .cname("real.example.test", owner: "alias.example.test")
///     .ptr(FaultName(labels: [Array("$(reboot)".utf8), Array("test".utf8)]))
public struct FaultRecord: Sendable, Hashable {
    /// The record's owner; nil means "the name in the question", echoed byte for byte.
    public var owner: FaultName?
    /// The record type (1 = A, 5 = CNAME, 12 = PTR, 16 = TXT, 28 = AAAA, ...).
    public var type: UInt16
    /// Time to live in seconds.
    public var ttl: UInt32
    /// The RDATA exactly as it goes on the wire.
    public var rdata: [UInt8]

    /// Any record from raw RDATA, for types without a helper or for deliberately malformed RDATA.
    public init(owner: FaultName? = nil, type: UInt16, ttl: UInt32 = 300, rdata: [UInt8]) {
        self.owner = owner
        self.type = type
        self.ttl = ttl
        self.rdata = rdata
    }

    /// A PTR record pointing at `target`.
    public static func ptr(_ target: FaultName, owner: FaultName? = nil, ttl: UInt32 = 300) -> FaultRecord {
        FaultRecord(owner: owner, type: DNSWire.typePTR, ttl: ttl, rdata: encoded(target))
    }

    /// A CNAME record pointing at `target`.
    public static func cname(_ target: FaultName, owner: FaultName? = nil, ttl: UInt32 = 300) -> FaultRecord {
        FaultRecord(owner: owner, type: DNSWire.typeCNAME, ttl: ttl, rdata: encoded(target))
    }

    /// An A record. The address must be a valid dotted quad: a typo is a bug in the test, so it traps.
    public static func a(_ address: String, owner: FaultName? = nil, ttl: UInt32 = 300) -> FaultRecord {
        FaultRecord(owner: owner, type: DNSWire.typeA, ttl: ttl, rdata: addressBytes(address, family: AF_INET))
    }

    /// An AAAA record. The address must be valid IPv6 text: a typo is a bug in the test, so it traps.
    public static func aaaa(_ address: String, owner: FaultName? = nil, ttl: UInt32 = 300) -> FaultRecord {
        FaultRecord(owner: owner, type: DNSWire.typeAAAA, ttl: ttl, rdata: addressBytes(address, family: AF_INET6))
    }

    /// A TXT record; the UTF-8 text is split into character-strings of at most 255 octets.
    public static func txt(_ text: String, owner: FaultName? = nil, ttl: UInt32 = 300) -> FaultRecord {
        var rdata: [UInt8] = []
        var rest = Array(text.utf8)[...]
        repeat {
            let chunk = rest.prefix(255)
            rdata.append(UInt8(chunk.count))
            rdata.append(contentsOf: chunk)
            rest = rest.dropFirst(chunk.count)
        } while !rest.isEmpty
        return FaultRecord(owner: owner, type: DNSWire.typeTXT, ttl: ttl, rdata: rdata)
    }

    private static func encoded(_ name: FaultName) -> [UInt8] {
        var bytes: [UInt8] = []
        DNSWire.append(name: name.labels, to: &bytes)
        return bytes
    }

    private static func addressBytes(_ text: String, family: Int32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: family == AF_INET ? 4 : 16)
        let parsed = bytes.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
        precondition(parsed == 1, "FaultRecord: '\(text)' is not a valid address literal")
        return bytes
    }
}
