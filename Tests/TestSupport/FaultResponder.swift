/// What a `FaultServer` does with one query.
indirect enum FaultAction: Equatable {
    /// Send these bytes (over TCP the server adds the 2-octet length prefix).
    case reply([UInt8])
    /// Send nothing; over TCP keep the connection open.
    case silence
    /// TCP: close the connection with a reset. UDP: nothing.
    case reset
    /// Do the inner action after a delay in seconds.
    case later(Double, FaultAction)
    /// UDP: send these bytes from another source than the queried address and port. TCP: like `.reply`.
    case replyFrom(FaultSource, [UInt8])
    /// Do every action, in order.
    case all([FaultAction])
}

/// Turns a query and a behaviour into an action. Pure (no sockets), so the reply logic stays readable.
enum FaultResponder {
    /// The largest UDP reply without EDNS0 (RFC 1035 section 4.2.1).
    static let classicUDPLimit = 512

    static func action(query: [UInt8], question: DNSWire.Question, behaviour: FaultBehaviour,
                       transport: FaultTransport, index: Int) -> FaultAction {
        let udp = transport == .udp
        switch behaviour {
        case .answer(let records):
            return .reply(sized(query, question, matching(records, question.type), transport))
        case .answerAll(let records):
            return .reply(sized(query, question, records, transport))
        case .nxdomain:
            return .reply(reply(query, question, rcode: 3))
        case .rcode(let rcode):
            return .reply(reply(query, question, rcode: rcode & 0x0F))
        case .drop:
            return .silence
        case .truncatedThenTCP(let records):
            return udp ? .reply(reply(query, question, truncated: true))
                : .reply(sized(query, question, matching(records, question.type), transport))
        case .truncatedThenTCPStall:
            return udp ? .reply(reply(query, question, truncated: true)) : .silence
        case .truncatedThenTCPReset:
            return udp ? .reply(reply(query, question, truncated: true)) : .reset
        case .rawAnswer(let count, let bytes):
            var message = reply(query, question, answerCount: count)
            message.append(contentsOf: bytes)
            return .reply(message)
        case .wrongID(let records):
            var message = sized(query, question, matching(records, question.type), transport)
            message[0] ^= 0xFF  // any ID but the query's
            return .reply(message)
        case .shortReply:
            return .reply(Array(reply(query, question).prefix(5)))
        case .garbage:
            return .reply(garbage(id: DNSWire.uint16(query, at: 0)))
        case .delayed(let seconds, let inner):
            let action = action(query: query, question: question, behaviour: inner, transport: transport,
                                index: index)
            return .later(seconds, action)
        case .sequence(let steps):
            guard let step = steps.isEmpty ? nil : steps[min(index, steps.count - 1)] else { return .silence }
            return action(query: query, question: question, behaviour: step, transport: transport, index: index)
        case .fromOtherSource(let source, let inner):
            let action = action(query: query, question: question, behaviour: inner, transport: transport,
                                index: index)
            return udp ? fromSource(source, action) : action
        case .replies(let behaviours):
            guard !behaviours.isEmpty else { return .silence }
            return .all(behaviours.map {
                action(query: query, question: question, behaviour: $0, transport: transport, index: index)
            })
        case .withWrongID(let inner):
            // Any ID but the query's.
            return changingReplies(action(query: query, question: question, behaviour: inner, transport: transport,
                                          index: index)) { $0[0] ^= 0xFF }
        case .authenticData(let inner):
            let action = action(query: query, question: question, behaviour: inner, transport: transport,
                                index: index)
            guard DNSWire.uint16(query, at: 2) & DNSWire.flagAD != 0 else { return action }
            return changingReplies(action) { $0[3] |= UInt8(DNSWire.flagAD) }
        case .validationFails(let inner):
            guard DNSWire.uint16(query, at: 2) & DNSWire.flagCD != 0 else {
                return .reply(reply(query, question, rcode: 2))
            }
            return action(query: query, question: question, behaviour: inner, transport: transport, index: index)
        case .forType(let type, let matching, let otherwise):
            return action(query: query, question: question, behaviour: question.type == type ? matching : otherwise,
                          transport: transport, index: index)
        case .otherQuestion(let name, let type, let records):
            // Rebuild the query as if it had asked the other question, then answer that.
            var other = Array(query[0 ..< DNSWire.headerSize])
            DNSWire.append(name: name?.labels ?? question.labels, to: &other)
            DNSWire.append(type ?? question.type, to: &other)
            DNSWire.append(question.qclass, to: &other)
            other.append(contentsOf: query[question.end...])
            guard let otherQuestion = DNSWire.question(of: other) else { return .silence }
            return .reply(sized(other, otherQuestion, matching(records, otherQuestion.type), transport))
        }
    }

    /// Moves every reply in `action` to another source (UDP only).
    private static func fromSource(_ source: FaultSource, _ action: FaultAction) -> FaultAction {
        switch action {
        case .reply(let bytes), .replyFrom(_, let bytes): return .replyFrom(source, bytes)
        case .later(let seconds, let inner): return .later(seconds, fromSource(source, inner))
        case .all(let actions): return .all(actions.map { fromSource(source, $0) })
        case .silence, .reset: return action
        }
    }

    /// Applies `change` to every reply in `action` (another ID, a header bit).
    private static func changingReplies(_ action: FaultAction, _ change: (inout [UInt8]) -> Void) -> FaultAction {
        switch action {
        case .reply(var bytes):
            change(&bytes)
            return .reply(bytes)
        case .replyFrom(let source, var bytes):
            change(&bytes)
            return .replyFrom(source, bytes)
        case .later(let seconds, let inner): return .later(seconds, changingReplies(inner, change))
        case .all(let actions): return .all(actions.map { changingReplies($0, change) })
        case .silence, .reset: return action
        }
    }

    /// FORMERR with a bare header, for a query whose question cannot be read.
    static func formatError(for query: [UInt8]) -> [UInt8] {
        let flags = DNSWire.flagQR | (DNSWire.uint16(query, at: 2) & 0x7900) | 1
        return DNSWire.header(id: DNSWire.uint16(query, at: 0), flags: flags, counts: (0, 0, 0, 0))
    }

    /// What a real server sends for that type: matching records, CNAMEs, or everything for ANY.
    static func matching(_ records: [FaultRecord], _ type: UInt16) -> [FaultRecord] {
        guard type != DNSWire.typeANY else { return records }
        return records.filter { $0.type == type || $0.type == DNSWire.typeCNAME }
    }

    /// The answer, or an empty truncated reply if it does not fit the transport.
    private static func sized(_ query: [UInt8], _ question: DNSWire.Question, _ records: [FaultRecord],
                              _ transport: FaultTransport) -> [UInt8] {
        let message = reply(query, question, records: records)
        var limit = 65_535
        if transport == .udp {
            let advertised = DNSWire.ednsPayloadSize(of: query, after: question) ?? classicUDPLimit
            limit = max(classicUDPLimit, advertised)
        }
        return message.count <= limit ? message : reply(query, question, truncated: true)
    }

    /// Header and echoed question, then the records (owner nil = the question's name, byte for byte).
    private static func reply(_ query: [UInt8], _ question: DNSWire.Question, rcode: UInt8 = 0,
                              records: [FaultRecord] = [], truncated: Bool = false,
                              answerCount: UInt16? = nil) -> [UInt8] {
        // Keep the query's opcode, RD and CD bits; QR and AA always, TC on request.
        var flags = DNSWire.flagQR | DNSWire.flagAA | (DNSWire.uint16(query, at: 2) & (0x7900 | DNSWire.flagCD))
            | UInt16(rcode)
        if truncated { flags |= DNSWire.flagTC }
        let kept = truncated ? [] : records
        let count = answerCount ?? UInt16(clamping: kept.count)
        var message = DNSWire.header(id: DNSWire.uint16(query, at: 0), flags: flags, counts: (1, count, 0, 0))
        let questionBytes = query[DNSWire.headerSize ..< question.end]
        message.append(contentsOf: questionBytes)
        for record in kept {
            if let owner = record.owner {
                DNSWire.append(name: owner.labels, to: &message)
            } else {
                message.append(contentsOf: questionBytes.dropLast(4))  // the name without type and class
            }
            DNSWire.append(record.type, to: &message)
            DNSWire.append(DNSWire.classIN, to: &message)
            DNSWire.append(record.ttl, to: &message)
            DNSWire.append(UInt16(clamping: record.rdata.count), to: &message)
            message.append(contentsOf: record.rdata)
        }
        return message
    }

    /// 40 octets: the ID, QR set, the rest from SplitMix64 seeded by the ID (reproducible).
    private static func garbage(id: UInt16) -> [UInt8] {
        var state = UInt64(id) &+ 0x9E37_79B9_7F4A_7C15
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF)]
        while bytes.count < 40 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            mixed ^= mixed >> 31
            withUnsafeBytes(of: mixed) { bytes.append(contentsOf: $0) }
        }
        bytes = Array(bytes.prefix(40))
        bytes[2] |= 0x80
        return bytes
    }
}
