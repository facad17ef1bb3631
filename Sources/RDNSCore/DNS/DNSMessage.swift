#if canImport(Glibc)
import Glibc
#endif

/// Record types rdnscheck asks for or follows.
public enum RecordType: UInt16, Sendable, CustomStringConvertible {
    case a = 1
    case cname = 5
    case ptr = 12
    case aaaa = 28

    public var description: String {
        switch self {
        case .a: "A"
        case .cname: "CNAME"
        case .ptr: "PTR"
        case .aaaa: "AAAA"
        }
    }

    /// The forward type that can confirm an address: A for IPv4, AAAA for IPv6.
    public static func forward(for address: IPAddress) -> RecordType {
        address.isIPv4 ? .a : .aaaa
    }
}

/// The data of one answer record, decoded for the types rdnscheck uses.
public enum RecordData: Hashable, Sendable {
    case address(IPAddress)
    case name(DNSName)
    case other
}

/// One answer record: owner, type, class, time to live and decoded data.
public struct ResourceRecord: Hashable, Sendable {
    public let owner: DNSName
    public let type: UInt16
    public let recordClass: UInt16
    /// Seconds a cache may keep the record; 0 on what systemd-resolved makes up (`SynthesizedAnswer`).
    public let ttl: UInt32
    public let data: RecordData

    public static let classIN: UInt16 = 1

    public init(owner: DNSName, type: UInt16, recordClass: UInt16 = ResourceRecord.classIN, ttl: UInt32 = 0,
                data: RecordData) {
        self.owner = owner
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }
}

/// The header bits of a reply that say where its answer comes from (RFC 1035 4.1.1, RFC 4035 3.2.3).
public struct ReplyFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// AA: the server says it holds the zone.
    public static let authoritative = ReplyFlags(rawValue: 1 << 0)
    /// AD: the server says it validated the answer (or, systemd-resolved, made it up itself).
    public static let authenticData = ReplyFlags(rawValue: 1 << 1)
}

/// The parts of a reply that the check needs: header fields, the question and the answer section.
/// Authority and additional sections are not read.
public struct DNSMessage: Sendable {
    public let id: UInt16
    public let isResponse: Bool
    public let isTruncated: Bool
    /// AA and AD.
    public let flags: ReplyFlags
    public let rcode: UInt8
    public let question: (name: DNSName, type: UInt16, recordClass: UInt16)?
    public let answers: [ResourceRecord]

    public static let rcodeNoError: UInt8 = 0
    public static let rcodeNXDomain: UInt8 = 3

    /// Why a reply could not be parsed; every case is a malformed reply (a temporary failure for the check).
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case truncated(String)
        case badLabel(offset: Int)
        case badPointer(offset: Int)
        case compressionLoop(offset: Int)
        case nameTooLong(offset: Int)
        case badRecordData(type: UInt16, offset: Int)
        case tooManyQuestions(Int)

        public var description: String {
            switch self {
            case .truncated(let part): "reply ends inside the \(part)"
            case .badLabel(let offset): "invalid label type at offset \(offset)"
            case .badPointer(let offset): "compression pointer at offset \(offset) points forward or outside the reply"
            case .compressionLoop(let offset): "compression loop at offset \(offset)"
            case .nameTooLong(let offset): "name at offset \(offset) is longer than 255 octets"
            case .badRecordData(let type, let offset): "type \(type) record data at offset \(offset) is malformed"
            case .tooManyQuestions(let count): "reply has \(count) questions"
            }
        }
    }

    /// Parses a reply. Never reads outside `bytes`; every malformation is a thrown `ParseError`.
    public init(parsing bytes: some RandomAccessCollection<UInt8>) throws(ParseError) {
        self = try Array(bytes).withUnsafeBufferPointer { (wire) throws(ParseError) in try DNSMessage(wire: wire) }
    }

    /// The same for a receive buffer, not generic: generic code is not specialized across modules, and the
    /// resolvers parse every reply of a range through this. A question name equal byte for byte to `asked` (the
    /// name the query asked for) is `asked` itself, sharing its storage: no allocation for it, and the answers'
    /// owners, which share the question's, compare to the name asked without reading their bytes.
    /// Read in place, not copied: the message keeps nothing of the buffer (names and addresses are copied out).
    /// `asked` is borrowed: an initializer's parameters are owned by default, which cost every reply a retain and a
    /// release of the name asked.
    public init(parsing bytes: UnsafeBufferPointer<UInt8>, asked: borrowing DNSName? = nil) throws(ParseError) {
        try self.init(wire: bytes, asked: asked)
    }

    private init(wire: UnsafeBufferPointer<UInt8>, asked: borrowing DNSName? = nil) throws(ParseError) {
        var reader = WireReader(wire)
        guard reader.bytes.count >= 12 else { throw .truncated("header") }
        id = reader.uint16(at: 0)
        let bits = reader.uint16(at: 2)
        isResponse = bits & 0x8000 != 0
        isTruncated = bits & 0x0200 != 0
        flags = ReplyFlags().union(bits & 0x0400 != 0 ? .authoritative : [])
            .union(bits & 0x0020 != 0 ? .authenticData : [])
        rcode = UInt8(bits & 0x000f)
        let questionCount = Int(reader.uint16(at: 4))
        let answerCount = Int(reader.uint16(at: 6))
        reader.offset = 12

        guard questionCount <= 1 else { throw .tooManyQuestions(questionCount) }
        // In locals until the end: reading a stored property of the message being built copied the whole message.
        var question: (name: DNSName, type: UInt16, recordClass: UInt16)? = nil
        if questionCount == 1 {
            let name = try reader.readName(like: asked)
            guard let fixed = reader.take(4) else { throw .truncated("question") }
            question = (name, WireReader.uint16(fixed, 0), WireReader.uint16(fixed, 2))
        }

        var answers: [ResourceRecord] = []
        answers.reserveCapacity(min(answerCount, 64))
        for _ in 0..<answerCount {
            // Owners are nearly always the question's name (or a CNAME target before): they share its storage.
            answers.append(try reader.readRecord(ownerLike: answers.last?.owner ?? question?.name))
        }
        self.question = question
        self.answers = answers
    }
}

/// Whether `array` holds exactly the bytes of `buffer`.
private func sameBytes(_ array: [UInt8], _ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
    array.count == buffer.count && array.withUnsafeBufferPointer { array in
        memcmp(array.baseAddress!, buffer.baseAddress!, buffer.count) == 0
    }
}

/// Bounds-checked reading of wire-format data, with name decompression that rejects loops and forward jumps.
struct WireReader {
    /// Valid while the reader is: `DNSMessage` copies out what it keeps.
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0

    /// A name read whole at `start` of this reply, with the compression pointers followed to read it.
    private struct ReadName {
        let start: Int
        let name: DNSName
        let jumps: Int
    }

    /// The last two names read whole (the question's, then the latest in record data). Nearly every other name of
    /// a reply is a bare pointer to one of them (an answer's owner to the question, the next owner in a CNAME chain
    /// to the target before): it is the same name, taken from here instead of read and compared again.
    private var recentNames: (ReadName?, ReadName?) = (nil, nil)

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    func uint16(at position: Int) -> UInt16 {
        UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    static func uint16(_ slice: Slice<UnsafeBufferPointer<UInt8>>, _ position: Int) -> UInt16 {
        let start = slice.startIndex + position
        return UInt16(slice[start]) << 8 | UInt16(slice[start + 1])
    }

    mutating func take(_ count: Int) -> Slice<UnsafeBufferPointer<UInt8>>? {
        guard count >= 0, offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    /// Reads a possibly compressed name at the current offset and moves past it.
    mutating func readName(like candidate: DNSName? = nil) throws(DNSMessage.ParseError) -> DNSName {
        let (name, end) = try readName(at: offset, limit: bytes.count, like: candidate)
        offset = end
        return name
    }

    /// Reads a name starting at `start` within `bytes[..<limit]`; returns it and the offset just after it.
    /// A pointer must point strictly backwards (RFC 1035 pointers refer to earlier names), which also makes
    /// loops impossible; the jump count is bounded anyway. A name equal byte for byte to `candidate` is returned
    /// as `candidate`, sharing its storage (no allocation), and so is a bare pointer to a recent name.
    mutating func readName(at start: Int, limit: Int,
                           like candidate: DNSName? = nil) throws(DNSMessage.ParseError) -> (DNSName, Int) {
        if let recent = recentName(pointedToAt: start, limit: limit) { return (recent, start + 2) }
        if let end = end(ofCopyOf: candidate, at: start, limit: limit) {
            recentNames = (recentNames.1, ReadName(start: start, name: candidate!, jumps: 0))
            return (candidate!, end)
        }
        // Collected on the stack, then copied once into a name of exactly its size.
        let read = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DNSName.maximumWireLength) { wire in
            Result { () throws(DNSMessage.ParseError) -> (DNSName, end: Int, jumps: Int) in
                let (length, end, jumps) = try collectName(at: start, limit: limit, into: wire.baseAddress!)
                let collected = UnsafeBufferPointer(start: wire.baseAddress!, count: length)
                if let candidate, sameBytes(candidate.wire, collected) { return (candidate, end, jumps) }
                return (DNSName(uncheckedWire: Array(collected)), end, jumps)
            }
        }
        let (name, end, jumps) = try read.get()
        recentNames = (recentNames.1, ReadName(start: start, name: name, jumps: jumps))
        return (name, end)
    }

    /// Where the name at `start` ends when it is `candidate` written out in full, byte for byte (a question
    /// nearly always echoes the name asked so): reading it would copy those same bytes, and `candidate`, a valid
    /// name, holds no pointer and no label or length out of bounds. Nil otherwise (or without a candidate), the name
    /// to be read in full. The candidate is unwrapped here: unwrapped by the caller, it was retained and released
    /// around the comparison (Swift 6.3).
    private func end(ofCopyOf candidate: DNSName?, at start: Int, limit: Int) -> Int? {
        guard let candidate else { return nil }
        let count = candidate.wire.count
        guard start + count <= limit, let base = bytes.baseAddress else { return nil }
        let same = candidate.wire.withUnsafeBufferPointer { memcmp($0.baseAddress!, base + start, count) == 0 }
        return same ? start + count : nil
    }

    /// The recent name that the name at `start` is, when it is only a pointer to where that name was read. Reading
    /// the pointer would give the same bytes: the target was read whole before with no more room than now (a
    /// pointer lifts the limit to the whole reply), and the one check that could differ, the jump count, is
    /// repeated. Nil when the name is anything else, to be read (and any malformation reported) in full.
    private func recentName(pointedToAt start: Int, limit: Int) -> DNSName? {
        guard start + 1 < limit, let base = bytes.baseAddress, base[start] & 0xc0 == 0xc0 else { return nil }
        let target = Int(base[start] & 0x3f) << 8 | Int(base[start + 1])
        guard target < start else { return nil }
        let recent = recentNames.1?.start == target ? recentNames.1 : recentNames.0
        guard let recent, recent.start == target, recent.jumps < WireReader.maximumJumps else { return nil }
        return recent.name
    }

    /// The most pointers one name may follow: pointing strictly backwards already rules out loops, this bounds
    /// the work.
    private static let maximumJumps = 127

    /// Copies the uncompressed name at `start` into `wire` (room for 255 octets); returns its length there, the
    /// offset just after the name in the reply, and how many pointers it followed.
    private func collectName(at start: Int, limit: Int,
                             into wire: UnsafeMutablePointer<UInt8>) throws(DNSMessage.ParseError) -> (Int, Int, Int) {
        // Read through the base pointer: every index is checked against `currentLimit` below before it is read,
        // and a buffer's subscript would check it again at every byte.
        guard let bytes = bytes.baseAddress else { throw .truncated("name at offset \(start)") }
        let count = self.bytes.count
        var length = 0
        var position = start
        var end: Int? = nil
        var jumps = 0
        var lowestPointerSource = start
        while true {
            // Bytes in place must stay within `limit`; a pointer may reach any earlier part of the reply.
            let currentLimit = end == nil ? limit : count
            guard position < currentLimit else { throw .truncated("name at offset \(start)") }
            let labelLength = bytes[position]
            switch labelLength & 0xc0 {
            case 0x00:
                if labelLength == 0 {
                    guard length < DNSName.maximumWireLength else { throw .nameTooLong(offset: start) }
                    wire[length] = 0
                    return (length + 1, end ?? position + 1, jumps)
                }
                let labelEnd = position + 1 + Int(labelLength)
                guard labelEnd <= currentLimit else { throw .truncated("name at offset \(start)") }
                // Checked before writing: the label and the root's zero byte must fit in 255 octets.
                guard length + 1 + Int(labelLength) < DNSName.maximumWireLength else {
                    throw .nameTooLong(offset: start)
                }
                // The length byte and the label, copied at once (both ranges were checked above).
                (wire + length).initialize(from: bytes + position, count: labelEnd - position)
                length += labelEnd - position
                position = labelEnd
            case 0xc0:
                guard position + 1 < currentLimit else { throw .truncated("name at offset \(start)") }
                let target = Int(bytes[position] & 0x3f) << 8 | Int(bytes[position + 1])
                if end == nil { end = position + 2 }
                jumps += 1
                guard jumps <= WireReader.maximumJumps else { throw .compressionLoop(offset: position) }
                guard target < lowestPointerSource else {
                    throw target == position ? .compressionLoop(offset: position) : .badPointer(offset: position)
                }
                lowestPointerSource = target
                position = target
            default:
                throw .badLabel(offset: position)
            }
        }
    }

    /// Reads one resource record and decodes the data of A, AAAA, PTR and CNAME records.
    mutating func readRecord(ownerLike candidate: DNSName? = nil) throws(DNSMessage.ParseError) -> ResourceRecord {
        let owner = try readName(like: candidate)
        guard let fixed = take(10) else { throw .truncated("record header") }
        let type = WireReader.uint16(fixed, 0)
        let recordClass = WireReader.uint16(fixed, 2)
        let ttl = UInt32(WireReader.uint16(fixed, 4)) << 16 | UInt32(WireReader.uint16(fixed, 6))
        let dataLength = Int(WireReader.uint16(fixed, 8))
        let dataStart = offset
        guard take(dataLength) != nil else { throw .truncated("record data") }
        let dataEnd = offset
        let data: RecordData
        switch RecordType(rawValue: type) {
        case .a, .aaaa:
            let expected = type == RecordType.a.rawValue ? 4 : 16
            guard dataLength == expected, let address = IPAddress(bytes: bytes[dataStart..<dataEnd]) else {
                throw .badRecordData(type: type, offset: dataStart)
            }
            data = .address(address)
        case .ptr, .cname:
            // The name must end exactly at the end of the record data.
            let (name, nameEnd) = try readName(at: dataStart, limit: dataEnd)
            guard nameEnd == dataEnd else { throw .badRecordData(type: type, offset: dataStart) }
            data = .name(name)
        case nil:
            data = .other
        }
        return ResourceRecord(owner: owner, type: type, recordClass: recordClass, ttl: ttl, data: data)
    }
}
