/// Just enough of the DNS wire format (RFC 1035 section 4) for the test servers: building queries and
/// replies, and reading the question of a query. Deliberately independent of the product's own parser,
/// so a bug there cannot hide behind the same bug here.
enum DNSWire {
    static let headerSize = 12

    // Header flag bits in the 16-bit flags word.
    static let flagQR: UInt16 = 0x8000
    static let flagAA: UInt16 = 0x0400
    static let flagTC: UInt16 = 0x0200
    static let flagRD: UInt16 = 0x0100
    static let flagAD: UInt16 = 0x0020
    static let flagCD: UInt16 = 0x0010

    static let typeA: UInt16 = 1
    static let typeCNAME: UInt16 = 5
    static let typeSOA: UInt16 = 6
    static let typePTR: UInt16 = 12
    static let typeTXT: UInt16 = 16
    static let typeAAAA: UInt16 = 28
    static let typeOPT: UInt16 = 41
    static let typeANY: UInt16 = 255
    static let classIN: UInt16 = 1

    /// The question of a query, parsed without following compression pointers (a query has no earlier
    /// name to point at, so a pointer there is malformed).
    struct Question {
        var labels: [[UInt8]]
        var type: UInt16
        var qclass: UInt16
        /// Offset of the first byte after the question.
        var end: Int
    }

    static func uint16(_ bytes: [UInt8], at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        append(UInt16(value >> 16), to: &bytes)
        append(UInt16(value & 0xFFFF), to: &bytes)
    }

    /// Appends an uncompressed name. Labels longer than 63 octets cannot be expressed in the wire format
    /// and are cut to 63 (use `FaultBehaviour.rawAnswer` to send such malformed names).
    static func append(name labels: [[UInt8]], to bytes: inout [UInt8]) {
        for label in labels where !label.isEmpty {
            let kept = label.prefix(63)
            bytes.append(UInt8(kept.count))
            bytes.append(contentsOf: kept)
        }
        bytes.append(0)
    }

    /// Splits a dotted name into labels; a trailing dot is ignored and "" or "." is the root.
    static func labels(dotted name: String) -> [[UInt8]] {
        name.split(separator: ".", omittingEmptySubsequences: true).map { Array($0.utf8) }
    }

    /// Builds a header. Counts are question, answer, authority, additional.
    static func header(id: UInt16, flags: UInt16, counts: (UInt16, UInt16, UInt16, UInt16)) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize)
        for value in [id, flags, counts.0, counts.1, counts.2, counts.3] {
            append(value, to: &bytes)
        }
        return bytes
    }

    /// A standard query (RD clear, as an authoritative-only server expects) for one name and type.
    static func query(id: UInt16, name: [[UInt8]], type: UInt16) -> [UInt8] {
        var bytes = header(id: id, flags: 0, counts: (1, 0, 0, 0))
        append(name: name, to: &bytes)
        append(type, to: &bytes)
        append(classIN, to: &bytes)
        return bytes
    }

    /// Reads the single question of a query, or nil if the message does not hold exactly one well-formed
    /// question.
    static func question(of message: [UInt8]) -> Question? {
        guard message.count >= headerSize, uint16(message, at: 4) == 1 else { return nil }
        var labels: [[UInt8]] = []
        var offset = headerSize
        var nameLength = 1
        while true {
            guard offset < message.count else { return nil }
            let length = Int(message[offset])
            offset += 1
            if length == 0 { break }
            // 0xC0 is a compression pointer and 0x40/0x80 are reserved label types: none belongs in a query.
            guard length <= 63, offset + length <= message.count else { return nil }
            nameLength += length + 1
            guard nameLength <= 255 else { return nil }
            labels.append(Array(message[offset ..< offset + length]))
            offset += length
        }
        guard offset + 4 <= message.count else { return nil }
        return Question(labels: labels, type: uint16(message, at: offset),
                        qclass: uint16(message, at: offset + 2), end: offset + 4)
    }

    /// The UDP payload size a query advertises in an EDNS0 OPT record (RFC 6891), if it has one.
    static func ednsPayloadSize(of message: [UInt8], after question: Question) -> Int? {
        let additional = Int(uint16(message, at: 10))
        // Skip the answer and authority sections too: a query normally has none, but be tolerant.
        let skipped = Int(uint16(message, at: 6)) + Int(uint16(message, at: 8))
        var offset = question.end
        for index in 0 ..< skipped + additional {
            guard let nameEnd = endOfName(in: message, from: offset), nameEnd + 10 <= message.count else {
                return nil
            }
            let type = uint16(message, at: nameEnd)
            if index >= skipped, type == typeOPT {
                return Int(uint16(message, at: nameEnd + 2))
            }
            offset = nameEnd + 10 + Int(uint16(message, at: nameEnd + 8))
        }
        return nil
    }

    /// Offset just after a possibly compressed name, without following pointers (nothing to loop on).
    static func endOfName(in message: [UInt8], from start: Int) -> Int? {
        var offset = start
        while offset < message.count {
            let length = Int(message[offset])
            if length == 0 { return offset + 1 }
            if length & 0xC0 == 0xC0 { return offset + 2 <= message.count ? offset + 2 : nil }
            guard length <= 63 else { return nil }
            offset += 1 + length
        }
        return nil
    }
}
