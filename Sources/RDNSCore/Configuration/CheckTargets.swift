/// The addresses a configuration checks: ranges kept as ranges, each address once, in the order first given.
///
/// A /16 costs one entry, not 65,536 targets (64 expanded /16s took 900 MB to parse): addresses are made as the
/// checks take them. CIDR ranges either nest or do not meet, and that keeps every question cheap without
/// expanding anything: an address is listed when one of the given ranges that could hold it (one per prefix length
/// in use) was given; a range adds nothing when a range given before holds it; and the addresses of a range that
/// smaller entries given before it listed already are skipped where they fall, so the order is that of first
/// mention, as it was when every range was expanded.
public struct CheckTargets: Collection, Sendable, Equatable {
    /// The most addresses one configuration, or one command line, may check. The state file's size is bounded
    /// from it too (`StateFile.maximumSize`).
    public static let maximumCount = 1_048_576

    /// One range as given; a single address is a /32 or a /128.
    private struct Entry: Sendable {
        let range: AddressRange
        /// When smaller entries given before this one listed some of its addresses (skipped here), the prefix
        /// lengths they may have; empty when there are none. Entries given later never fall inside this one.
        let listedBy: [Int]
    }

    private var entries: [Entry] = []
    /// The range of every entry.
    private var given: Set<AddressRange> = []
    /// The prefix lengths of `given`'s ranges, per family: an address can only be in one range of each.
    private var ipv4PrefixLengths: [Int] = []
    private var ipv6PrefixLengths: [Int] = []
    private var expectedNames: [IPAddress: DNSName] = [:]
    /// Addresses listed, each once.
    public private(set) var count = 0

    /// Why an address or a range could not be added; nothing was added then.
    public enum AddError: Error, Equatable, Sendable {
        /// The addresses would be `total`, more than `maximumCount`.
        case tooMany(total: Int)
        /// The address is listed already with this other expected name.
        case otherExpectedName(IPAddress, DNSName)
    }

    public init() {}

    /// Every address of `range`.
    public init(_ range: AddressRange) {
        append(range, adding: range.count, listedBy: [])
    }

    /// One address, with its expected name if it has one.
    public init(_ target: CheckTarget) {
        append(AddressRange(containing: target.address, prefixLength: target.address.bitWidth), adding: 1, listedBy: [])
        expectedNames[target.address] = target.expectedName
    }

    /// Adds the addresses of `range` not listed yet, after those listed.
    public mutating func add(_ range: AddressRange) throws(AddError) {
        guard !isHeldByGivenRange(range) else { return }
        // Only smaller entries can hold some of its addresses: count those left, at no cost when there are none.
        let longer = prefixLengths(for: range.network).filter { $0 > range.prefixLength }
        let adding = longer.isEmpty ? range.count : range.count(where: { !isListed($0, prefixLengths: longer) })
        guard count + adding <= CheckTargets.maximumCount else { throw .tooMany(total: count + adding) }
        append(range, adding: adding, listedBy: adding < range.count ? longer : [])
    }

    /// Adds one address. An expected name applies to it also when it was listed without one (in a range, say),
    /// whatever the order; two different expected names are an error.
    public mutating func add(_ target: CheckTarget) throws(AddError) {
        if contains(target.address) {
            guard let expected = target.expectedName else { return }
            if let existing = expectedNames[target.address] {
                guard existing == expected else { throw .otherExpectedName(target.address, existing) }
                return
            }
        } else {
            try add(AddressRange(containing: target.address, prefixLength: target.address.bitWidth))
        }
        expectedNames[target.address] = target.expectedName
    }

    /// Adds the ranges and addresses of `other` in its order; stops at the first that cannot be added.
    public mutating func add(contentsOf other: CheckTargets) throws(AddError) {
        for entry in other.entries {
            if entry.range.count == 1, let name = other.expectedNames[entry.range.network] {
                try add(CheckTarget(entry.range.network, expectedName: name))
            } else {
                try add(entry.range)
            }
        }
    }

    /// Whether `address` is listed.
    public func contains(_ address: IPAddress) -> Bool {
        isListed(address, prefixLengths: prefixLengths(for: address))
    }

    private func prefixLengths(for address: IPAddress) -> [Int] {
        address.isIPv4 ? ipv4PrefixLengths : ipv6PrefixLengths
    }

    private func isListed(_ address: IPAddress, prefixLengths: [Int]) -> Bool {
        prefixLengths.contains { given.contains(AddressRange(containing: address, prefixLength: $0)) }
    }

    private func isHeldByGivenRange(_ range: AddressRange) -> Bool {
        prefixLengths(for: range.network).contains {
            $0 <= range.prefixLength
                && given.contains(AddressRange(containing: range.network, prefixLength: $0))
        }
    }

    /// Whether any address listed is IPv6 (the text report's address column is wider then).
    public var holdsIPv6: Bool { !ipv6PrefixLengths.isEmpty }

    private mutating func append(_ range: AddressRange, adding: Int, listedBy: [Int]) {
        guard adding > 0 else { return }
        entries.append(Entry(range: range, listedBy: listedBy))
        given.insert(range)
        if range.network.isIPv4 {
            if !ipv4PrefixLengths.contains(range.prefixLength) { ipv4PrefixLengths.append(range.prefixLength) }
        } else if !ipv6PrefixLengths.contains(range.prefixLength) {
            ipv6PrefixLengths.append(range.prefixLength)
        }
        count += adding
    }

    // MARK: Collection

    /// An address's place: its entry, and its offset in the entry's range.
    public struct Index: Comparable, Sendable {
        fileprivate let entry: Int
        fileprivate let offset: Int

        public static func < (lhs: Index, rhs: Index) -> Bool {
            (lhs.entry, lhs.offset) < (rhs.entry, rhs.offset)
        }
    }

    public var startIndex: Index { firstListedHere(from: Index(entry: 0, offset: 0)) }
    public var endIndex: Index { Index(entry: entries.count, offset: 0) }
    public var isEmpty: Bool { count == 0 }

    public func index(after index: Index) -> Index {
        firstListedHere(from: Index(entry: index.entry, offset: index.offset + 1))
    }

    public subscript(index: Index) -> CheckTarget {
        let address = entries[index.entry].range[index.offset]
        return CheckTarget(address, expectedName: expectedNames.isEmpty ? nil : expectedNames[address])
    }

    /// The first place from `start` on whose address no earlier entry listed.
    private func firstListedHere(from start: Index) -> Index {
        var entryIndex = start.entry
        var offset = start.offset
        while entryIndex < entries.count {
            let entry = entries[entryIndex]
            while offset < entry.range.count {
                guard !entry.listedBy.isEmpty, isListed(entry.range[offset], prefixLengths: entry.listedBy) else {
                    return Index(entry: entryIndex, offset: offset)
                }
                offset += 1
            }
            entryIndex += 1
            offset = 0
        }
        return endIndex
    }

    /// The same addresses in the same order, with the same expected names.
    public static func == (lhs: CheckTargets, rhs: CheckTargets) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}
