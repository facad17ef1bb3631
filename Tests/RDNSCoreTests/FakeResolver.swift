import RDNSPOSIX
import RDNSCore

/// A table-driven `DNSResolver`: each (name, type) has a fixed outcome; anything else is NXDOMAIN. A question with
/// CD (checking disabled) set gets its outcome from `checkingDisabled` when that has one, else the same as without,
/// as a resolver that does not validate answers. Counts the questions asked, so tests can prove a lookup did or did
/// not happen.
final class FakeResolver: DNSResolver {
    private let table: [Key: QueryOutcome]
    private let checkingDisabled: [Key: QueryOutcome]
    private let asked = Locked<[(Key, QueryOptions)]>([])

    struct Key: Hashable {
        let name: String
        let type: RecordType
    }

    init(_ entries: [(String, RecordType, QueryOutcome)],
         checkingDisabled: [(String, RecordType, QueryOutcome)] = []) {
        table = Self.keyed(entries)
        self.checkingDisabled = Self.keyed(checkingDisabled)
    }

    private static func keyed(_ entries: [(String, RecordType, QueryOutcome)]) -> [Key: QueryOutcome] {
        var table: [Key: QueryOutcome] = [:]
        for (name, type, outcome) in entries { table[Key(name: name.lowercased(), type: type)] = outcome }
        return table
    }

    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        let key = Key(name: name.description.lowercased(), type: type)
        asked.withLock { $0.append((key, options)) }
        if options.contains(.checkingDisabled), let outcome = checkingDisabled[key] { return outcome }
        return table[key] ?? .reply(rcode: DNSMessage.rcodeNXDomain, answers: [])
    }

    /// The questions asked, as `name TYPE`, and `name TYPE +cd` for those with CD set.
    var questions: [String] {
        asked.withLock {
            $0.map { "\($0.0.name) \($0.0.type)" + ($0.1.contains(.checkingDisabled) ? " +cd" : "") }
        }
    }
}

// MARK: - Building answers

func name(_ text: String) -> DNSName {
    DNSName(text)!
}

func ptr(_ owner: String, _ target: String) -> ResourceRecord {
    ResourceRecord(owner: name(owner), type: RecordType.ptr.rawValue, data: .name(name(target)))
}

func cname(_ owner: String, _ target: String) -> ResourceRecord {
    ResourceRecord(owner: name(owner), type: RecordType.cname.rawValue, data: .name(name(target)))
}

func address(_ owner: String, _ text: String) -> ResourceRecord {
    let address = IPAddress(text)!
    let type: RecordType = address.isIPv4 ? .a : .aaaa
    return ResourceRecord(owner: name(owner), type: type.rawValue, data: .address(address))
}

func answer(_ records: ResourceRecord...) -> QueryOutcome {
    .reply(rcode: DNSMessage.rcodeNoError, answers: records)
}

let noData = QueryOutcome.reply(rcode: DNSMessage.rcodeNoError, answers: [])
let nxdomain = QueryOutcome.reply(rcode: DNSMessage.rcodeNXDomain, answers: [])

/// The reverse name of an address as text, for table keys.
func reverse(_ text: String) -> String {
    DNSName.reverse(of: IPAddress(text)!).description
}
