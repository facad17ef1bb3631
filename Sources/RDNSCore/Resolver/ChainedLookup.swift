/// The result of looking up a name and type with CNAMEs followed.
public struct ChainedLookup: Sendable, Equatable {
    /// The CNAME targets passed through, in order (empty when the name held the records itself).
    public let chain: [DNSName]
    public let outcome: Outcome
    /// The reply holding the records bears every mark of an answer systemd-resolved made up (`SynthesizedAnswer`).
    public private(set) var isSynthesized = false

    public enum Outcome: Sendable, Equatable {
        /// Records of the asked type at the end of the chain (addresses for A/AAAA, names for PTR).
        case records([RecordData])
        /// The final name does not exist.
        case nxdomain
        /// The final name exists but has no record of the type.
        case noData
        /// The chain revisits a name or is longer than `maximumCNAMEs`.
        case cnameLoop(at: DNSName)
        case failure(LookupFailure)
    }

    /// RFC 2317 delegations need one CNAME; more than eight is a misconfiguration or a loop.
    public static let maximumCNAMEs = 8

    /// The name whose records were asked for last (the final CNAME target, or the name itself).
    public func finalName(from start: DNSName) -> DNSName {
        chain.last ?? start
    }

    /// Asks for `name`/`type`, follows CNAMEs within each answer (only records whose owner is the current name
    /// and whose class is IN count), and asks again for the target when an answer holds only the CNAME.
    public static func resolve(_ name: DNSName, type: RecordType, using resolver: any DNSResolver) async
        -> ChainedLookup {
        var chain: [DNSName] = []
        var current = name
        while true {
            let answers: [ResourceRecord]
            let rcode: UInt8
            let flags: ReplyFlags
            switch await resolver.query(current, type: type) {
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
                // At most eight names: a linear search is cheaper than hashing them.
                guard chain.count < maximumCNAMEs, target != name, !chain.contains(target) else {
                    return ChainedLookup(chain: chain, outcome: .cnameLoop(at: target))
                }
                chain.append(target)
                current = target
            }
            var records: [RecordData] = []
            records.reserveCapacity(answers.count)
            var largestTTL: UInt32 = 0
            for answer in answers
            where answer.type == type.rawValue && answer.recordClass == ResourceRecord.classIN
                && answer.owner == current {
                records.append(answer.data)
                largestTTL = max(largestTTL, answer.ttl)
            }
            if !records.isEmpty {
                return ChainedLookup(chain: chain, outcome: .records(records),
                                     isSynthesized: SynthesizedAnswer.hasMarks(flags: flags, largestTTL: largestTTL))
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

    private static func cnameTarget(of owner: DNSName, in answers: [ResourceRecord]) -> DNSName? {
        for record in answers where record.type == RecordType.cname.rawValue
            && record.recordClass == ResourceRecord.classIN && record.owner == owner {
            if case .name(let target) = record.data { return target }
        }
        return nil
    }
}
