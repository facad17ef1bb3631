/// What receivers make of each PTR name kept, apart from its forward answer: whether Postfix takes it as the
/// client's name and whether it looks generic. Bit `i` of each mask stands for `ptrNames[i]` (there are at most
/// `AddressResult.maximumPTRNames`, 32).
///
/// Worked out once, where the check tests the names, and kept on the result: the report asked the same questions of
/// every address again, up to three times a name (the generic test alone was a fifteenth of a range's instructions).
public struct PTRNameTraits: Sendable, Equatable {
    /// Names Postfix takes as the client's name: glibc keeps them (`HostnameRules.glibcKeeps`) and they are valid
    /// hostnames, not made of digits and dots only (`HostnameRules.violation(in:)`; Postfix's smtpd_peer.c and
    /// myaddrinfo.c: a name that is not, "numeric hostname" in its log, leaves the client "unknown").
    private var takenByPostfix: UInt32 = 0
    /// Names that embed the address or are a cloud's default (`GenericNameDetector`).
    private var generic: UInt32 = 0

    /// The traits of `names` (the first `AddressResult.maximumPTRNames` of them) as PTR names of `address`.
    public init(_ names: some Collection<DNSName>, of address: IPAddress) {
        for (index, name) in names.prefix(AddressResult.maximumPTRNames).enumerated() {
            let valid = HostnameRules.violation(in: name) == nil
            // A valid hostname is one glibc keeps too (its bytes are hostname bytes, no label starts with a hyphen):
            // asked in debug builds only.
            assert(!valid || HostnameRules.glibcKeeps(name), "a valid hostname glibc drops: \(name)")
            set(index, takenByPostfix: valid,
                generic: GenericNameDetector.reason(name, for: address) != nil)
        }
    }

    private mutating func set(_ index: Int, takenByPostfix taken: Bool, generic isGeneric: Bool) {
        let bit = UInt32(1) << UInt32(index)
        if taken { takenByPostfix |= bit }
        if isGeneric { generic |= bit }
    }

    /// Whether Postfix takes name `index` as the client's name.
    public func isTakenByPostfix(_ index: Int) -> Bool {
        index < AddressResult.maximumPTRNames && takenByPostfix & (UInt32(1) << UInt32(index)) != 0
    }

    /// Whether name `index` looks generic (`GenericNameDetector.reason` says why).
    public func isGeneric(_ index: Int) -> Bool {
        index < AddressResult.maximumPTRNames && generic & (UInt32(1) << UInt32(index)) != 0
    }
}
