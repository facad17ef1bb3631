import RDNSPOSIX
import Synchronization

/// The FCrDNS check of SPEC.md: PTR names of the address, then A/AAAA of each name, which must contain it.
///
/// Not generic over the resolver on purpose: the check lives in this module and its resolvers in others, and
/// generic code is not specialized across modules, so a generic check would look up type metadata at every
/// step of every address (measured: about a tenth of the CPU of a /16). One dynamic call per query is cheaper.
public struct ForwardConfirmation: Sendable {
    public let resolver: any DNSResolver
    public let policy: CheckPolicy

    /// How many PTR names the `multiple-ptr` message names before "… and N more".
    public static let namesInMultiplePTRMessage = 4

    public init(resolver: any DNSResolver, policy: CheckPolicy = CheckPolicy()) {
        self.resolver = resolver
        self.policy = policy
    }

    /// Checks every target with at most `concurrency` checks in flight; results come back in target order.
    /// `previousTemporaryFailures` holds, per address, the temporary failures in a row before this run.
    /// `progress`, if given, counts the addresses done (for a progress display).
    public func check<Targets: Collection<CheckTarget> & Sendable>(
        _ targets: Targets, concurrency: Int, previousTemporaryFailures: [IPAddress: Int] = [:],
        progress: CheckProgress? = nil
    ) async -> [AddressResult] where Targets.Index: Sendable {
        let buffer = ReorderBuffer(targets, capacity: nil)
        await check(buffer, concurrency: concurrency, previousTemporaryFailures: previousTemporaryFailures,
                    progress: progress)
        return buffer.take() ?? []
    }

    /// Checks the targets `buffer` hands out with at most `concurrency` checks in flight, storing each result in
    /// it; returns when every target is checked (a bounded buffer needs a taker meanwhile: `ReorderBuffer.next`).
    /// Generic code is not specialized across modules: a run's own targets (`CheckTargets`) get an entry point made
    /// here, where the buffer's claims and stores are specialized with it (unspecialized, they went through type
    /// metadata for every address: about a tenth of a /16's instructions).
    @_specialize(exported: true, where Targets == CheckTargets)
    public func check<Targets: Collection<CheckTarget> & Sendable>(
        _ buffer: ReorderBuffer<Targets>, concurrency: Int, previousTemporaryFailures: [IPAddress: Int] = [:],
        progress: CheckProgress? = nil
    ) async where Targets.Index: Sendable {
        // A fixed set of workers, each taking the next target when it is done: a /16 costs `concurrency` tasks,
        // not 65,536.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(max(concurrency, 1), buffer.capacity) {
                group.addTask {
                    await self.work(buffer, previousTemporaryFailures: previousTemporaryFailures, progress: progress,
                                    isolation: self.resolver.isolation)
                }
            }
        }
    }

    /// One worker: checks the next target `buffer` hands out until there is none, isolated to the resolver's actor
    /// when it has one, so that its checks run beside the resolver's sockets (`DNSResolver.isolation`).
    private func work<Targets: Collection<CheckTarget> & Sendable>(
        _ buffer: ReorderBuffer<Targets>, previousTemporaryFailures: [IPAddress: Int], progress: CheckProgress?,
        isolation: isolated (any Actor)?
    ) async where Targets.Index: Sendable {
        while let (index, target) = await nextTarget(buffer) {
            let previous = previousTemporaryFailures[target.address] ?? 0
            buffer.store(await check(target, previousTemporaryFailures: previous), at: index)
            progress?.done.add(1, ordering: .relaxed)
        }
    }

    /// The next target `buffer` hands out: most find room at once, and are asked for without `claim`'s async frame
    /// (allocated and freed per call).
    private func nextTarget<Targets: Collection<CheckTarget> & Sendable>(
        _ buffer: ReorderBuffer<Targets>
    ) async -> (Int, CheckTarget)? where Targets.Index: Sendable {
        switch buffer.tryClaim() {
        case .target(let index, let target): (index, target)
        case .done: nil
        case .full: await buffer.claim()
        }
    }

    /// Checks one address. `previousTemporaryFailures` is how many runs in a row ended in a temporary failure
    /// before this one (for `fail-after`).
    public func check(_ target: CheckTarget, previousTemporaryFailures: Int = 0) async -> AddressResult {
        var findings = Findings(address: target.address)
        let reverseName = DNSName.reverse(of: target.address)
        let reverse = await ChainedLookup.resolve(reverseName, type: .ptr, using: resolver)
        let viaCNAME = reverse.chain.isEmpty ? "" : " (via CNAME \(reverse.finalName(from: reverseName)))"

        var names: [DNSName] = []
        switch reverse.outcome {
        case .records(let records) where reverse.isSynthesized:
            // Not DNS data: the real PTR is missing or failed, and the name made up would forward-confirm.
            let made = uniqueSorted(records.compactMap { if case .name(let name) = $0 { name } else { nil } })
            let listed = AddressResult.listing(made.prefix(AddressResult.maximumPTRNames), of: made.count)
            findings.add(.synthesizedAnswer, .warning,
                         "PTR \(listed) for \(reverseName)\(viaCNAME) " + SynthesizedAnswer.explanation)
        case .records(let records):
            names = uniqueSorted(records.compactMap { if case .name(let name) = $0 { name } else { nil } })
            if names.isEmpty { findings.add(.noPTR, .critical, "no PTR record for \(reverseName)\(viaCNAME)") }
            if reverse.chain.count > ChainedLookup.longChain {
                findings.add(.longCNAMEChain, .warning, "PTR lookup for \(reverseName) " + longChain(reverse))
            }
        case .nxdomain:
            findings.add(.noPTR, .critical, "no PTR record: \(reverseName)\(viaCNAME) does not exist (NXDOMAIN)")
        case .noData:
            findings.add(.noPTR, .critical, "no PTR record at \(reverseName)\(viaCNAME) (the name has no PTR data)")
        case .cnameLoop(let at):
            findings.add(.cnameLoop, .critical,
                         "PTR lookup for \(reverseName) \(reverse.loopDetail(from: reverseName, at: at))")
        case .dnssecBogus(let at):
            findings.add(.dnssecBogus, .critical, "PTR lookup for \(reverseName): " + ChainedLookup.bogusDetail(at))
        case .failure(let failure):
            findings.temporary("PTR lookup for \(reverseName) failed: \(failure)")
        }

        // Only the names the result keeps are looked up: 1,850 names in one answer would cost 1,850 queries for
        // one hostile address, and a thousand against a silent server would hold the run for hours. Such an
        // address is already multiple-ptr, whose message says how many were not looked up, and it is never
        // called forward-confirmed (`AddressResult.isForwardConfirmed`).
        let kept = names.prefix(AddressResult.maximumPTRNames)
        let notLookedUp = names.count - kept.count
        if names.count > 1 {
            // A few names say what is wrong; the report's names column and JSON's ptr_names hold the rest.
            let listed = AddressResult.listing(kept.prefix(Self.namesInMultiplePTRMessage), of: names.count)
            findings.add(.multiplePTR, .warning,
                         "\(PlainFormat.grouped(names.count)) PTR names (\(listed)); receivers use one"
                         + (notLookedUp > 0 ? "; only the first \(kept.count) were looked up" : ""))
        }
        if let expected = target.expectedName, !names.isEmpty, !names.contains(expected) {
            findings.add(.expectedNameMismatch, .critical,
                         "PTR \(AddressResult.listing(kept, of: names.count)), expected \(expected)")
        }

        // Each name is tested once, here; the result keeps what receivers make of it.
        let traits = PTRNameTraits(kept, of: target.address)
        // A single name (the common case) cannot confirm only in part: it is looked up in this task, without a
        // task group, and only its forward answer is kept.
        var tally = ForwardTally(keepsNames: names.count > 1)
        if names.count == 1 {
            var nameFindings = Findings(address: target.address)
            tally.add(names[0], await confirm(names[0], at: 0, traits, target.address, &nameFindings))
            findings.merge(nameFindings)
        } else if names.count > 1 {
            let looked = Array(kept)
            for (name, (verdict, nameFindings)) in zip(looked, await confirmAll(looked, traits, target.address)) {
                findings.merge(nameFindings)
                tally.add(name, verdict)
            }
        }
        let (forward, confirmed, refuted) = (tally.forward, tally.confirmed, tally.refuted)
        if !confirmed.isEmpty && !refuted.isEmpty {
            findings.add(.partialConfirmation, .critical,
                         "\(confirmed.count) of \(notLookedUp > 0 ? "the first \(kept.count)" : "\(names.count)") "
                         + "PTR names forward-confirm "
                         + "(\(confirmed.map(\.description).joined(separator: ", "))); "
                         + "\(refuted.map(\.description).joined(separator: ", ")) "
                         + "do\(refuted.count == 1 ? "es" : "") not")
        }
        return findings.result(target: target, names: names, traits: traits, forward: forward,
                               failed: tally.failed, unresolvable: tally.unresolvable, policy: policy,
                               previousTemporaryFailures: previousTemporaryFailures)
    }

    /// The names' forward lookups, at once (one after another, a dozen names against a silent server already
    /// took timeout x attempts a dozen times); results in `names` order.
    private func confirmAll(_ names: [DNSName], _ traits: PTRNameTraits,
                            _ address: IPAddress) async -> [(NameVerdict, Findings)] {
        await withTaskGroup(of: (Int, NameVerdict, Findings).self) { group in
            for (index, name) in names.enumerated() {
                group.addTask {
                    await self.confirmed(name, at: index, traits, address, isolation: self.resolver.isolation)
                }
            }
            var collected = [(NameVerdict, Findings)?](repeating: nil, count: names.count)
            for await (index, verdict, findings) in group { collected[index] = (verdict, findings) }
            return collected.map { $0! }
        }
    }

    /// `confirm` in a task of its own, isolated as the check's workers are (`work`).
    private func confirmed(_ name: DNSName, at index: Int, _ traits: PTRNameTraits, _ address: IPAddress,
                           isolation: isolated (any Actor)?) async -> (Int, NameVerdict, Findings) {
        var findings = Findings(address: address)
        let verdict = await confirm(name, at: index, traits, address, &findings)
        return (index, verdict, findings)
    }

    /// The PTR names sorted by verdict, and the forward answers to report, in name order.
    private struct ForwardTally {
        /// Whether to keep the names confirmed and refuted (for `partial-confirmation`, which needs two names).
        let keepsNames: Bool
        var forward: [ForwardAnswer] = []
        var confirmed: [DNSName] = []
        var refuted: [DNSName] = []
        var failed: [DNSName] = []
        var unresolvable: [DNSName] = []

        init(keepsNames: Bool) {
            self.keepsNames = keepsNames
        }

        mutating func add(_ name: DNSName, _ verdict: NameVerdict) {
            switch verdict {
            case .confirmed(let answer):
                if keepsNames { confirmed.append(name) }
                forward.append(answer)
            case .refuted(let answer):
                if keepsNames { refuted.append(name) }
                if let answer { forward.append(answer) }
            case .failed:
                failed.append(name)
            case .unresolvable:
                if keepsNames { refuted.append(name) }
                unresolvable.append(name)
            case .synthesized:
                break
            }
        }
    }

    private enum NameVerdict: Sendable {
        case confirmed(ForwardAnswer)
        /// Definitely does not confirm; the answer, if the name was looked up.
        case refuted(ForwardAnswer?)
        /// A temporary failure: neither confirmed nor refuted.
        case failed
        /// Refuted for good, where receivers' resolvers answer SERVFAIL (a CNAME loop, DNSSEC validation failing).
        case unresolvable
        /// The answer was made up by the local resolver: neither confirmed nor refuted.
        case synthesized
    }

    /// Looks up PTR name `index` of the address, whose `traits` the check has worked out; the reasons are asked
    /// for again only where a trait says there is one.
    private func confirm(_ name: DNSName, at index: Int, _ traits: PTRNameTraits, _ address: IPAddress,
                         _ findings: inout Findings) async -> NameVerdict {
        if !traits.isTakenByPostfix(index), let violation = HostnameRules.violation(in: name) {
            findings.add(.invalidHostname, .critical, "PTR \(name) is not a valid hostname: \(violation)")
            return .refuted(nil)
        }
        if traits.isGeneric(index), let reason = GenericNameDetector.reason(name, for: address) {
            switch policy.genericNames {
            case .warn: findings.add(.genericPTR, .warning, "PTR \(name) is generic: \(reason)")
            case .fail: findings.add(.genericPTR, .critical, "PTR \(name) is generic: \(reason)")
            case .ignore: break
            }
        }
        let type = RecordType.forward(for: address)
        let lookup = await ChainedLookup.resolve(name, type: type, using: resolver)
        switch lookup.outcome {
        case .records, .nxdomain, .noData:
            if let target = lookup.chain.last {
                findings.add(.ptrIsCNAME, .warning,
                             "PTR \(name) is a CNAME to \(target) (RFC 1912: name the host itself)")
            }
        case .cnameLoop, .dnssecBogus, .failure:
            break
        }
        switch lookup.outcome {
        case .records(let records) where lookup.isSynthesized:
            let made = uniqueSorted(records.compactMap { if case .address(let a) = $0 { a } else { nil } })
            let listed = AddressResult.listing(made.prefix(AddressResult.maximumPTRNames), of: made.count)
            findings.add(.synthesizedAnswer, .warning,
                         "\(type) \(listed) for PTR \(name) " + SynthesizedAnswer.explanation)
            return .synthesized
        case .records(let records):
            if lookup.chain.count > ChainedLookup.longChain {
                findings.add(.longCNAMEChain, .warning, "\(type) lookup for PTR \(name) " + longChain(lookup))
            }
            let found = uniqueSorted(records.compactMap { if case .address(let a) = $0 { a } else { nil } })
            // A forward answer can hold thousands of addresses; the answer keeps the checked one among them.
            let answer = ForwardAnswer(name: name, addresses: found, checked: address)
            if answer.addresses.contains(address) { return .confirmed(answer) }
            let list = AddressResult.listing(answer.addresses, of: answer.addressCount)
            findings.add(.forwardMismatch, .critical, "PTR \(name) resolves to \(list), not \(address)")
            return .refuted(answer)
        case .nxdomain:
            findings.add(.forwardNoAddress, .critical, "PTR \(name) has no \(type) record (NXDOMAIN)")
            return .refuted(ForwardAnswer(name: name, addresses: []))
        case .noData:
            findings.add(.forwardNoAddress, .critical, "PTR \(name) has no \(type) record")
            return .refuted(ForwardAnswer(name: name, addresses: []))
        case .cnameLoop(let at):
            findings.add(.cnameLoop, .critical,
                         "\(type) lookup for PTR \(name) \(lookup.loopDetail(from: name, at: at))")
            return .unresolvable
        case .dnssecBogus(let at):
            findings.add(.dnssecBogus, .critical, "\(type) lookup for PTR \(name): " + ChainedLookup.bogusDetail(at))
            return .unresolvable
        case .failure(let failure):
            findings.temporary("\(type) lookup for PTR \(name) failed: \(failure)")
            return .failed
        }
    }
}

/// `follows 9 CNAMEs to mail.example.net: legal, but …`, for a lookup that got records through a long chain.
private func longChain(_ lookup: ChainedLookup) -> String {
    "follows \(lookup.chain.count) CNAMEs to \(lookup.chain.last!): legal, but some resolvers give up after "
        + "\(ChainedLookup.longChain)"
        + (lookup.isDiagnosed ? " (the resolver asked does: SERVFAIL; each name asked for its CNAME shows the chain)"
                              : "")
}

/// `values` without duplicates, sorted; a single value (most answers) without hashing or copying.
private func uniqueSorted<Value: Hashable & Comparable>(_ values: [Value]) -> [Value] {
    values.count < 2 ? values : Array(Set(values)).sorted()
}

/// How many addresses of a run are done, readable from any thread while the run goes on.
public final class CheckProgress: Sendable {
    public let done = Atomic<Int>(0)

    public init() {}
}


/// Problems collected during one check, and the status they add up to.
private struct Findings: Sendable {
    let address: IPAddress
    var problems: [Problem] = []
    var temporaryDetails: [String] = []

    mutating func merge(_ other: Findings) {
        // Most findings are empty, and appending an empty array is not free.
        if !other.problems.isEmpty { problems += other.problems }
        if !other.temporaryDetails.isEmpty { temporaryDetails += other.temporaryDetails }
    }

    mutating func add(_ code: ProblemCode, _ severity: Status, _ detail: String) {
        problems.append(Problem(code, severity, detail))
    }

    mutating func temporary(_ detail: String) {
        temporaryDetails.append(detail)
    }

    func result(target: CheckTarget, names: [DNSName], traits: PTRNameTraits, forward: [ForwardAnswer],
                failed: [DNSName], unresolvable: [DNSName], policy: CheckPolicy,
                previousTemporaryFailures: Int) -> AddressResult {
        var problems = problems
        var failures = 0
        if !temporaryDetails.isEmpty {
            // Saturating: the count comes from the state file, which is input like any other.
            failures = previousTemporaryFailures >= Int.max - 1 ? Int.max : max(0, previousTemporaryFailures) + 1
            let lasting = failures >= policy.failAfter
            let runs = "\(failures) consecutive run\(failures == 1 ? "" : "s")"
            let suffix = lasting ? "; failing for \(runs)" : " (temporary, \(runs) of \(policy.failAfter))"
            for detail in temporaryDetails {
                problems.append(Problem(.temporaryFailure, lasting ? .critical : .warning, detail + suffix))
            }
        }
        return AddressResult(target: target, status: AddressResult.status(of: problems), ptrNames: names,
                             nameTraits: traits, forward: forward, forwardFailures: failed,
                             forwardUnresolvable: unresolvable, problems: problems, temporaryFailures: failures)
    }
}
