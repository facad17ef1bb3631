/// What AWS's record of an Elastic IP's PTR changes in the verdict DNS gave (SPEC.md, `aws-ptr on`):
///
/// - an update `PENDING` to a name that forward-confirms: `ptr-update-pending` (WARNING), and the problems the update
///   will cure (`no-ptr`, `generic-ptr`, `expected-name-mismatch` when the update's name is the expected one, the
///   old name's `forward-mismatch` and `forward-no-address`) count as WARNING meanwhile; to a name that does not
///   forward-confirm: `ptr-update-pending` CRITICAL, nothing downgraded;
/// - an update in any other status but `successful`: `ptr-update-failed` (CRITICAL), with AWS's reason;
/// - a `PtrRecord` that is not what live DNS gives (when DNS answered): `aws-ptr-mismatch` (WARNING).
///
/// `assess` is pure; `assess(_:record:resolver:)` first asks DNS about the update's name when it must.
public enum AWSPTRAssessment {
    /// Whether the name a pending update asks for forward-confirms: its A/AAAA records include the address.
    public enum UpdateNameCheck: Sendable, Equatable {
        case confirms
        /// It does not; the text says why (`resolves to 192.0.2.9, not 198.51.100.25`).
        case refuted(String)
        /// It could not be told (a temporary failure); the text says why.
        case undecided(String)
    }

    /// `result` with `aws` set to `record`, its problems changed as the type's documentation says and its status
    /// recomputed; unchanged when AWS does not list the address (`record` nil). `updateName` says whether a pending
    /// update's name forward-confirms (`check(_:for:using:)`); nil counts as undecided.
    public static func assess(_ result: AddressResult, record: AWSAddressRecord?, updateName: UpdateNameCheck?)
        -> AddressResult {
        guard let record else { return result }
        var problems = result.problems
        if let update = record.update, update.isPending {
            problems = pending(update, of: result, updateName: updateName ?? .undecided("not looked up"), problems)
        } else if let update = record.update, !update.isSuccessful {
            let reason = update.reason.map { ": " + text($0) } ?? " (AWS gave no reason)"
            problems.append(Problem(.ptrUpdateFailed, .critical,
                                    "AWS's PTR update \(target(of: update)) ended with status \(text(update.status))"
                                    + reason))
        }
        if let mismatch = mismatch(record, result) {
            problems.append(Problem(.awsPTRMismatch, .warning, mismatch))
        }
        var assessed = result.replacingProblems(problems)
        assessed.aws = record
        return assessed
    }

    /// `assess`, after asking `resolver` whether a pending update's name forward-confirms, when the record has one
    /// and DNS has not answered that already (the name is among the live PTR names, with its forward answer).
    public static func assess(_ result: AddressResult, record: AWSAddressRecord?, resolver: any DNSResolver) async
        -> AddressResult {
        var updateName: UpdateNameCheck?
        if let update = record?.update, update.isPending, let name = update.value {
            updateName = await check(name, for: result, using: resolver)
        }
        return assess(result, record: record, updateName: updateName)
    }

    /// Whether `name` forward-confirms for `result`'s address: from the result's own forward answers when it is one
    /// of the PTR names DNS gave, else with one more A/AAAA lookup (CNAMEs followed).
    public static func check(_ name: DNSName, for result: AddressResult, using resolver: any DNSResolver) async
        -> UpdateNameCheck {
        let address = result.address
        if let violation = HostnameRules.violation(in: name) {
            return .refuted("is not a valid hostname: \(violation)")
        }
        if let answer = result.forward.first(where: { $0.name == name }) {
            return verdict(answer.addresses, of: answer.addressCount, address, RecordType.forward(for: address))
        }
        let type = RecordType.forward(for: address)
        let lookup = await ChainedLookup.resolve(name, type: type, using: resolver)
        switch lookup.outcome {
        case .records where lookup.isSynthesized:
            // Made up by the local resolver (systemd-resolved): it says nothing about the name's real records.
            return .undecided("its \(type) answer was made up by the local resolver (TTL 0, AA and AD)")
        case .records(let records):
            let found = Array(Set(records.compactMap { if case .address(let a) = $0 { a } else { nil } })).sorted()
            let answer = ForwardAnswer(name: name, addresses: found, checked: address)
            return verdict(answer.addresses, of: answer.addressCount, address, type)
        case .nxdomain: return .refuted("has no \(type) record (NXDOMAIN)")
        case .noData: return .refuted("has no \(type) record")
        case .cnameLoop(let at): return .refuted(lookup.loopDetail(from: name, at: at))
        case .dnssecBogus(let at):
            return .refuted("has no \(type) record receivers can use: " + ChainedLookup.bogusDetail(at))
        case .failure(let failure): return .undecided("its \(type) lookup failed: \(failure)")
        }
    }

    private static func verdict(_ addresses: [IPAddress], of count: Int, _ address: IPAddress, _ type: RecordType)
        -> UpdateNameCheck {
        if addresses.contains(address) { return .confirms }
        if addresses.isEmpty { return .refuted("has no \(type) record") }
        return .refuted("resolves to \(AddressResult.listing(addresses, of: count)), not \(address)")
    }

    /// The problems with a pending update: its own, and those it will cure downgraded when its name confirms.
    private static func pending(_ update: AWSAddressRecord.Update, of result: AddressResult,
                                updateName: UpdateNameCheck, _ problems: [Problem]) -> [Problem] {
        let waiting = "AWS has not yet made the PTR update \(target(of: update)) (status \(text(update.status)))"
        guard let name = update.value else {
            return problems + [Problem(.ptrUpdatePending, .warning, waiting)]
        }
        switch updateName {
        case .refuted(let why):
            return problems + [Problem(.ptrUpdatePending, .critical,
                                       "\(waiting), and \(name) \(why): it does not resolve to the address, so AWS "
                                       + "will refuse the update and receivers would reject the name")]
        case .undecided(let why):
            return problems + [Problem(.ptrUpdatePending, .warning,
                                       "\(waiting); whether \(name) resolves to the address is not known: \(why)")]
        case .confirms:
            let cured = curedCodes(by: name, for: result)
            let meanwhile = "; a warning while AWS's PTR update to \(name) is pending"
            return problems.map { problem in
                guard cured.contains(problem.code), problem.severity > .warning else { return problem }
                return Problem(problem.code, .warning, problem.detail + meanwhile, fix: problem.fix)
            } + [Problem(.ptrUpdatePending, .warning, "\(waiting); \(name) resolves to the address")]
        }
    }

    /// What replacing the live PTR with `name`, a name that forward-confirms, cures: the one list, for the verdict
    /// and for the fix lines (`FixAdvice`).
    static func curedCodes(by name: DNSName, for result: AddressResult) -> Set<ProblemCode> {
        var cured: Set<ProblemCode> = [.noPTR, .forwardMismatch, .forwardNoAddress]
        if GenericNameDetector.reason(name, for: result.address) == nil { cured.insert(.genericPTR) }
        if result.target.expectedName == name { cured.insert(.expectedNameMismatch) }
        return cured
    }

    /// Why AWS's `PtrRecord` is not what live DNS gives; nil when it is, when AWS has none, or when DNS did not
    /// answer (a temporary failure, a CNAME loop). The live names matching a pending update's name are not a
    /// mismatch either: DNS is ahead of AWS's record while the update is made.
    private static func mismatch(_ record: AWSAddressRecord, _ result: AddressResult) -> String? {
        guard let recorded = record.ptrRecord else { return nil }
        let answered = !result.ptrNames.isEmpty || result.problems.contains { $0.code == .noPTR }
        guard answered else { return nil }
        let live = result.ptrCount == result.ptrNames.count ? Set(result.ptrNames) : nil
        if live == [recorded] { return nil }
        if let update = record.update, update.isPending, let value = update.value, live == [value] { return nil }
        let given = result.ptrNames.isEmpty ? "no PTR" : "PTR " + AddressResult.listing(result.ptrNames,
                                                                                         of: result.ptrCount)
        return "AWS's record of the PTR is \(recorded), live DNS gives \(given)"
    }

    private static func target(of update: AWSAddressRecord.Update) -> String {
        update.value.map { "to \($0)" } ?? "removing the PTR"
    }

    /// AWS's words (a status, a reason) for a one-line message: escaped, at most 200 characters.
    private static func text(_ words: String) -> String {
        Escaping.excerpt(words, limit: 200)
    }
}
