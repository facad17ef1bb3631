/// The result of looking up a name and type with CNAMEs followed.
public struct ChainedLookup: Sendable, Equatable {
    /// The CNAME targets passed through, in order (empty when the name held the records itself).
    public let chain: [DNSName]
    public let outcome: Outcome
    /// The reply holding the records bears every mark of an answer systemd-resolved made up (`SynthesizedAnswer`).
    public private(set) var isSynthesized = false
    /// The outcome is what the diagnosis of a SERVFAIL found (`ServerFailureDiagnosis`), not what a reply said.
    public private(set) var isDiagnosed = false

    public enum Outcome: Sendable, Equatable {
        /// Records of the asked type at the end of the chain (addresses for A/AAAA, names for PTR).
        case records(AnswerRecords)
        /// The final name does not exist.
        case nxdomain
        /// The final name exists but has no record of the type.
        case noData
        /// The chain revisits a name or is longer than `maximumCNAMEs`.
        case cnameLoop(at: DNSName)
        /// The resolver answers SERVFAIL for this name, and an answer with checking disabled: DNSSEC validation
        /// fails, so a validating resolver never gives its records.
        case dnssecBogus(at: DNSName)
        case failure(LookupFailure)
    }

    init(chain: [DNSName], outcome: Outcome, isSynthesized: Bool = false, isDiagnosed: Bool = false) {
        self.chain = chain
        self.outcome = outcome
        self.isSynthesized = isSynthesized
        self.isDiagnosed = isDiagnosed
    }

    /// The most CNAMEs followed (SPEC step 4): a seventeenth is a misconfiguration, or a loop.
    public static let maximumCNAMEs = 16
    /// RFC 2317 delegations need one CNAME; a chain longer than this is legal, but some resolvers give up on it
    /// (`long-cname-chain`).
    public static let longChain = 8

    /// The name whose records were asked for last (the final CNAME target, or the name itself).
    public func finalName(from start: DNSName) -> DNSName {
        chain.last ?? start
    }

    /// What a `cnameLoop(at: target)` outcome of a lookup of `start` means, for a problem's detail: `meets a CNAME
    /// loop at …` or `meets a 17th CNAME at …`, and how it was found when the resolver hid it behind SERVFAIL.
    public func loopDetail(from start: DNSName, at target: DNSName) -> String {
        let loops = target == start || chain.contains(target)
        return (loops ? "meets a CNAME loop at \(target)"
                    : "meets a CNAME beyond the \(Self.maximumCNAMEs) followed, at \(target)")
            + (isDiagnosed ? " (the resolver answers SERVFAIL; each name asked for its CNAME shows it)" : "")
    }

    /// What a `dnssecBogus(at: name)` outcome means, for a problem's detail.
    public static func bogusDetail(_ name: DNSName) -> String {
        "DNSSEC validation of \(name) fails (SERVFAIL, but an answer with checking disabled): validating receivers "
            + "cannot resolve it until its DS/DNSKEY records are fixed"
    }

    /// Asks for `name`/`type`, follows CNAMEs within each answer (only records whose owner is the current name
    /// and whose class is IN count), and asks again for the target when an answer holds only the CNAME.
    public static func resolve(_ name: DNSName, type: RecordType, using resolver: any DNSResolver) async
        -> ChainedLookup {
        var chain: [DNSName] = []
        var current = name
        var diagnosed = false
        while true {
            let answers: [ResourceRecord]
            let rcode: UInt8
            let flags: ReplyFlags
            var outcome = await resolver.query(current, type: type)
            if case .failure(.serverFailure) = outcome {
                switch await ServerFailureDiagnosis.diagnose(current, type: type, start: name, chain: chain,
                                                             using: resolver) {
                case .found(let lookup): return lookup
                case .asked(let again): outcome = again
                case .followed(let end, let followed):
                    // Asked once: the end's own SERVFAIL finds no CNAME, so no chain to follow again.
                    chain = followed
                    current = end
                    diagnosed = true
                    continue
                }
            }
            // Consumed: the answers move out of the outcome (switched over as it is, they were retained for the
            // rest of the loop and released with the outcome).
            switch consume outcome {
            case .failure(let failure):
                return ChainedLookup(chain: chain, outcome: .failure(failure))
            case .reply(let replyCode, let replyAnswers, let replyFlags):
                rcode = replyCode
                answers = replyAnswers
                flags = replyFlags
            }
            let hopsBefore = chain.count
            // Follow the chain inside this answer.
            while let target = cnameTarget(of: current, in: answers) {
                // At most sixteen names: a linear search is cheaper than hashing them.
                guard chain.count < maximumCNAMEs, target != name, !chain.contains(target) else {
                    return ChainedLookup(chain: chain, outcome: .cnameLoop(at: target))
                }
                chain.append(target)
                current = target
            }
            let records = AnswerRecords(answers, type: type, owner: current)
            var largestTTL: UInt32 = 0
            for index in records.records.indices { largestTTL = max(largestTTL, records.records[index].ttl) }
            if !records.isEmpty {
                return ChainedLookup(chain: chain, outcome: .records(records),
                                     isSynthesized: SynthesizedAnswer.hasMarks(flags: flags, largestTTL: largestTTL),
                                     isDiagnosed: diagnosed)
            }
            if rcode == DNSMessage.rcodeNXDomain {
                return ChainedLookup(chain: chain, outcome: .nxdomain)
            }
            // The answer stopped at a CNAME target without its records: ask for the target itself.
            if chain.count == hopsBefore {
                return ChainedLookup(chain: chain, outcome: .noData)
            }
        }
    }

    static func cnameTarget(of owner: DNSName, in answers: [ResourceRecord]) -> DNSName? {
        for record in answers where record.type == RecordType.cname.rawValue
            && record.recordClass == ResourceRecord.classIN && record.owner == owner {
            if case .name(let target) = record.data { return target }
        }
        return nil
    }
}

/// The data of the records a lookup found, in the order of the answer. It keeps the reply's records themselves: in
/// a plain answer every record is one of them, and the parsed array is kept as it is, where copying out each
/// record's data allocated a second array for every reply (two a check).
public struct AnswerRecords: RandomAccessCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    /// Only records of the type asked, class IN, owned by the name asked.
    let records: [ResourceRecord]

    /// The records of `answers` that answer `type` for `owner`. The array is consumed and the owner borrowed: owned
    /// and borrowed by default, each was retained and released again for every lookup.
    init(_ answers: consuming [ResourceRecord], type: RecordType, owner: borrowing DNSName) {
        // By index, each record read in place: a `for` or `allSatisfy` copied each (owner and data retained).
        var index = answers.startIndex
        while index < answers.endIndex, Self.answers(answers[index], type, owner) { index += 1 }
        if index == answers.endIndex {
            records = answers
            return
        }
        var kept: [ResourceRecord] = []
        for index in answers.indices where Self.answers(answers[index], type, owner) { kept.append(answers[index]) }
        records = kept
    }

    private static func answers(_ record: borrowing ResourceRecord, _ type: RecordType,
                                _ owner: borrowing DNSName) -> Bool {
        record.type == type.rawValue && record.recordClass == ResourceRecord.classIN && record.owner == owner
    }

    /// Data written as a literal (tests): each record owned by the root, TTL 0.
    public init(arrayLiteral data: RecordData...) {
        records = data.map { ResourceRecord(owner: DNSName(uncheckedWire: [0]), type: 0, data: $0) }
    }

    public var startIndex: Int { records.startIndex }
    public var endIndex: Int { records.endIndex }
    public subscript(position: Int) -> RecordData { records[position].data }

    /// Equal when the data is, in order (owners and TTLs are not what the lookup found).
    public static func == (lhs: AnswerRecords, rhs: AnswerRecords) -> Bool {
        lhs.elementsEqual(rhs)
    }
}
