/// An address to check and, optionally, the PTR name it must have.
public struct CheckTarget: Hashable, Sendable {
    public let address: IPAddress
    public let expectedName: DNSName?

    public init(_ address: IPAddress, expectedName: DNSName? = nil) {
        self.address = address
        self.expectedName = expectedName
    }
}

/// The forward answer for one PTR name.
public struct ForwardAnswer: Hashable, Sendable {
    public let name: DNSName
    /// At most `AddressResult.maximumPTRNames` of the addresses found for the name (after CNAMEs), sorted; empty
    /// when the name has none. Of a longer answer it keeps the checked address if the answer holds it, so a cut
    /// answer confirms as the whole one does, and the smallest others: the first 32 in sorted order, or the first
    /// 31 and the checked address when that sorts later. What is kept is what is printed, stored and compared for
    /// drift, so a change among the addresses left out is not seen.
    public let addresses: [IPAddress]
    /// How many addresses the name has, those beyond `addresses` included.
    public let addressCount: Int

    /// `addresses` is every address found, sorted, without duplicates; `checked` is the address whose PTR name
    /// this is, kept if it is among them.
    public init(name: DNSName, addresses: [IPAddress], checked: IPAddress? = nil) {
        self.name = name
        let kept = AddressResult.maximumPTRNames
        if addresses.count > kept, let checked, addresses[kept...].contains(checked) {
            // Still sorted: the checked address sorts after every other address kept.
            self.addresses = Array(addresses.prefix(kept - 1)) + [checked]
        } else {
            self.addresses = Array(addresses.prefix(kept))
        }
        addressCount = addresses.count
    }

    /// Whether the name has addresses beyond `addresses`.
    public var isCut: Bool { addressCount > addresses.count }
}

/// Everything the check found out about one address.
public struct AddressResult: Sendable, Equatable {
    public let target: CheckTarget
    public private(set) var status: Status
    /// The first `maximumPTRNames` PTR names, deduplicated case-insensitively and sorted; empty when there is none
    /// or the lookup failed.
    public let ptrNames: [DNSName]
    /// How many PTR names the address has, those beyond `ptrNames` included.
    public let ptrCount: Int
    /// What receivers make of each of `ptrNames` (Postfix takes it, it looks generic), worked out once.
    public let nameTraits: PTRNameTraits
    /// One entry per PTR name whose forward lookup got an answer (invalid names are not looked up, and
    /// names whose lookup failed temporarily are left out), in `ptrNames` order.
    public let forward: [ForwardAnswer]
    /// The PTR names, in `ptrNames` order, whose forward lookup failed temporarily: neither confirmed nor
    /// refuted. What a receiver does with such a name depends on its resolver (`ReceiverVerdicts`).
    public internal(set) var forwardFailures: [DNSName]
    /// The PTR names, in `ptrNames` order, whose forward lookup meets a CNAME loop or fails DNSSEC validation:
    /// refuted, and answered with SERVFAIL by receivers' resolvers (`ReceiverVerdicts`).
    public internal(set) var forwardUnresolvable: [DNSName]
    /// Sorted by code; a passing address has none.
    public internal(set) var problems: [Problem]
    /// Consecutive runs with a temporary failure, this one included (0 when this run had none).
    public let temporaryFailures: Int
    /// Where the address came from: a `check` line, the command line, or a discovery.
    public var source: TargetSource = .config
    /// AWS's record of the address's PTR, when `aws-ptr on` read one for it.
    public var aws: AWSAddressRecord? {
        get { awsRecord?.record }
        set { awsRecord = newValue.map(AWSRecordBox.init) }
    }
    /// Boxed: a record is a hundred bytes or more, and a range of 65,536 addresses has none (8 bytes each instead).
    private var awsRecord: AWSRecordBox? = nil

    public var address: IPAddress { target.address }

    /// The PTR names kept (and forward-checked) per address, and the addresses kept per forward answer, at most.
    /// One 64 KiB answer over TCP carries about 1,850 names or 4,000 A records, and every one of them was printed,
    /// stored and exported: one such address made a /24's text report 10.7 MB. The rest are only counted
    /// (`ptrCount`, `ForwardAnswer.addressCount`).
    public static let maximumPTRNames = 32

    /// True when there are PTR names and every one of them forward-confirms. False when there are more names than
    /// were kept: the others were never looked up, so nothing says they confirm.
    public var isForwardConfirmed: Bool {
        !ptrNames.isEmpty && ptrCount == ptrNames.count && ptrNames.allSatisfy { name in
            forward.contains { $0.name == name && $0.addresses.contains(address) }
        }
    }

    /// `ptrNames` is every PTR name, sorted: the first `maximumPTRNames` are kept, and all are counted.
    /// `nameTraits`, when the caller has them, are those of the names kept; without them they are worked out here.
    public init(target: CheckTarget, status: Status, ptrNames: [DNSName], nameTraits: PTRNameTraits? = nil,
                forward: [ForwardAnswer], forwardFailures: [DNSName] = [], forwardUnresolvable: [DNSName] = [],
                problems: [Problem], temporaryFailures: Int) {
        self.target = target
        self.status = status
        self.ptrNames = Array(ptrNames.prefix(AddressResult.maximumPTRNames))
        ptrCount = ptrNames.count
        self.nameTraits = nameTraits ?? PTRNameTraits(self.ptrNames, of: target.address)
        self.forward = forward
        self.forwardFailures = forwardFailures
        self.forwardUnresolvable = forwardUnresolvable
        self.problems = AddressResult.sorted(problems)
        self.temporaryFailures = temporaryFailures
    }

    /// The status `problems` add up to: the worst of their severities, OK when there is none.
    public static func status(of problems: [Problem]) -> Status {
        problems.map(\.severity).max() ?? .ok
    }

    /// This result with `problems` instead of its own, and the status they add up to (AWS's record of the PTR
    /// changes what DNS found: `AWSPTRAssessment`).
    public func replacingProblems(_ problems: [Problem]) -> AddressResult {
        var result = self
        result.problems = AddressResult.sorted(problems)
        result.status = AddressResult.status(of: problems)
        return result
    }

    private static func sorted(_ problems: [Problem]) -> [Problem] {
        // Most results have none: sorting an empty array still made a new one.
        problems.count < 2 ? problems : problems.sorted { ($0.code, $0.detail) < ($1.code, $1.detail) }
    }
}

extension AddressResult {
    /// `items` joined by `separator`, then ` … and 1,818 more` for the rest of `count`: how a list of PTR names
    /// (or addresses) too long to print whole is printed.
    public static func listing(_ items: some Collection<some CustomStringConvertible>, of count: Int,
                               separator: String = ", ") -> String {
        items.map(\.description).joined(separator: separator) + andMore(count - items.count)
    }

    /// ` … and 1,818 more`, or nothing when `count` is not positive.
    public static func andMore(_ count: Int) -> String {
        count > 0 ? " … and \(PlainFormat.grouped(count)) more" : ""
    }
}

/// AWS's record of one address's PTR, behind a reference (see `AddressResult.aws`).
private final class AWSRecordBox: Sendable, Equatable {
    let record: AWSAddressRecord

    init(_ record: AWSAddressRecord) {
        self.record = record
    }

    static func == (lhs: AWSRecordBox, rhs: AWSRecordBox) -> Bool { lhs.record == rhs.record }
}
