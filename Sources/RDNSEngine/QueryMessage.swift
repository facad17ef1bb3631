import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// A DNS query as sent by the pipelined engine: header with RD and AD (and CD when asked), one question (class IN)
/// and, unless the server refused it, an EDNS0 OPT record offering 1,232-byte UDP replies (the DNS Flag Day 2020
/// size), so fewer replies come back truncated. AD asks for the AD bit in the reply (RFC 6840 5.7), as glibc does
/// with `trust-ad`: without it systemd-resolved leaves AD out, and its made-up answers lose a mark
/// (`SynthesizedAnswer`).
struct QueryMessage {
    /// The whole message; bytes 0 and 1 are the ID, set per attempt.
    private(set) var bytes: [UInt8]
    /// Bytes 12..<questionEnd are the question (name, type, class) a reply must echo.
    private(set) var questionEnd = 0
    private(set) var usesEDNS = true

    static let ednsPayloadSize: UInt16 = 1232

    init(name: DNSName, type: RecordType, options: QueryOptions = [], edns: Bool = true) {
        bytes = []
        reset(name: name, type: type, options: options, edns: edns)
    }

    /// The CD bit (checking disabled) of the header's second flags byte.
    private static let checkingDisabledBit: UInt8 = 0x10

    /// Makes this the query for `name`/`type`, in the storage it already has: the engine reuses its slots'
    /// messages, so a range's queries cost no allocation each.
    mutating func reset(name: DNSName, type: RecordType, options: QueryOptions = [], edns: Bool = true) {
        usesEDNS = edns
        let questionEnd = 12 + name.wire.count + 4
        self.questionEnd = questionEnd
        let cd = options.contains(.checkingDisabled) ? QueryMessage.checkingDisabledBit : 0
        // Written in place, in the storage the message has: appending array literals and the name part by part cost
        // about 900 instructions a query, more than the rest of sending it.
        let count = questionEnd + (edns ? 11 : 0)
        if bytes.count < count {
            bytes.append(contentsOf: repeatElement(0, count: count - bytes.count))
        } else if bytes.count > count {
            bytes.removeLast(bytes.count - count)
        }
        bytes.withUnsafeMutableBufferPointer { message in
            // Header: ID 0 (set per attempt), RD and AD (and CD), one question, an additional record with EDNS.
            for index in 0..<12 { message[index] = 0 }
            message[2] = 0x01
            message[3] = 0x20 | cd
            message[5] = 1
            message[11] = edns ? 1 : 0
            // From the name borrowed (`initialize(from:)` takes its sequence owned: a retain and release a query).
            _ = UnsafeMutableBufferPointer(rebasing: message[12..<(questionEnd - 4)])
                .initialize(fromContentsOf: name.wire)
            message[questionEnd - 4] = UInt8(type.rawValue >> 8)
            message[questionEnd - 3] = UInt8(type.rawValue & 0xff)
            message[questionEnd - 2] = 0
            message[questionEnd - 1] = 1
            guard edns else { return }
            // OPT: root owner, type 41, class = payload size, TTL 0 (no extended RCODE, version 0, no DO), no data.
            for index in questionEnd..<count { message[index] = 0 }
            message[questionEnd + 2] = 41
            message[questionEnd + 3] = UInt8(QueryMessage.ednsPayloadSize >> 8)
            message[questionEnd + 4] = UInt8(QueryMessage.ednsPayloadSize & 0xff)
        }
    }

    /// Copies the message to `destination` (room for `maximumLength` bytes); returns its length. Copied in place,
    /// not handed out: handing out `bytes` retained and released them for every datagram sent.
    func copyBytes(to destination: UnsafeMutableRawPointer) -> Int {
        bytes.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return bytes.count
    }

    /// The longest message: header, the longest name, type and class, OPT.
    static let maximumLength = 12 + DNSName.maximumWireLength + 4 + 11

    var id: UInt16 {
        get { UInt16(bytes[0]) << 8 | UInt16(bytes[1]) }
        set {
            // Both bytes in one access: each subscript set checked the array's uniqueness.
            bytes.withUnsafeMutableBufferPointer { bytes in
                bytes[0] = UInt8(newValue >> 8)
                bytes[1] = UInt8(newValue & 0xff)
            }
        }
    }

    /// Whether `reply` answers this query: a response with our ID and exactly our question (the name compared
    /// ASCII case-insensitively, as servers may change its case). Anything else is ignored, as glibc does. A reply
    /// with CD set never answers a query without it: servers copy CD from the query (RFC 4035 3.2.2), so it is a late
    /// reply to a CD query for the same question whose ID was drawn again, and it may hold what validation refused.
    /// (A CD query takes a reply without CD: a server that does not copy the bit still answered it.)
    func isAnswered(by reply: UnsafeRawBufferPointer) -> Bool {
        guard reply.count >= questionEnd, reply[0] == bytes[0], reply[1] == bytes[1], reply[2] & 0x80 != 0,
              reply[4] == 0, reply[5] == 1,
              reply[3] & ~bytes[3] & QueryMessage.checkingDisabledBit == 0 else { return false }
        return bytes.withUnsafeBytes { query in
            // Byte for byte first (servers nearly always echo the question unchanged), then ignoring case.
            if memcmp(query.baseAddress! + 12, reply.baseAddress! + 12, questionEnd - 12) == 0 { return true }
            for index in 12..<questionEnd where asciiFolded(reply[index]) != asciiFolded(query[index]) {
                return false
            }
            return true
        }
    }
}

@inline(__always)
private func asciiFolded(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte
}
