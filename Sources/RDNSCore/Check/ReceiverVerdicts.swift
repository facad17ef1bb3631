/// A well-known rule by which receivers judge the sending address (SPEC.md, "What receivers will do").
public enum ReceiverRule: String, Sendable, CaseIterable {
    /// Gmail's and Yahoo's sender requirements: the address has a PTR whose name forward-confirms.
    case gmail
    /// Postfix `reject_unknown_client_hostname`: the one PTR name glibc's `getnameinfo` gives (the first of the
    /// answer, whose order resolvers rotate) must forward-confirm.
    case postfixClient = "postfix-client"
    /// Postfix `reject_unknown_reverse_client_hostname`: a PTR name, any.
    case postfixReverse = "postfix-reverse"
    /// SpamAssassin's `RDNS_NONE` (no PTR name, or none that forward-confirms, which the MTA in front records as
    /// "unknown") and `RDNS_DYNAMIC` (a generic one).
    case spamassassin
}

/// What a receiver applying one rule does with mail from the address today.
public enum ReceiverVerdict: String, Sendable, CaseIterable {
    case accept
    /// With the rule's reject code (Postfix: `unknown_client_reject_code`, 450 unless the site sets 550).
    case reject
    /// A temporary failure (4xx): the sender retries until the mail expires in its queue.
    case `defer`
    /// Accepts or refuses depending on which PTR name comes first or on the receiver's resolver settings.
    case atRisk = "at-risk"
    /// Accepts with a spam score (`rules` name the rules).
    case penalise
}

/// One rule's verdict, the line saying why, and for SpamAssassin the rules that fire.
public struct ReceiverOutcome: Sendable, Equatable {
    public let rule: ReceiverRule
    public let verdict: ReceiverVerdict
    /// `RDNS_NONE`, `RDNS_DYNAMIC`; empty for the other rules.
    public let rules: [String]
    /// The PTR name a reason such as `PTR mail.example.com forward-confirms` starts with, and the rest of it (the
    /// whole reason when it starts otherwise): kept apart so the JSON report of a range writes the name as it is and
    /// a constant rest, building no String for most addresses.
    let subject: DNSName?
    let predicate: String

    init(_ rule: ReceiverRule, _ verdict: ReceiverVerdict, _ reason: String, rules: [String] = []) {
        self.rule = rule
        self.verdict = verdict
        self.rules = rules
        subject = nil
        predicate = reason
    }

    /// The reason `PTR <name> <predicate>`.
    init(_ rule: ReceiverRule, _ verdict: ReceiverVerdict, ptr name: DNSName, _ predicate: String,
         rules: [String] = []) {
        self.rule = rule
        self.verdict = verdict
        self.rules = rules
        subject = name
        self.predicate = predicate
    }

    /// One line naming the records (`PTR mail.example.com resolves to 203.0.113.25`).
    public var reason: String {
        subject.map { "PTR \($0) \(predicate)" } ?? predicate
    }

    /// Whether the receiver takes the mail without penalty (`rdnscheck_receiver_accepts`).
    public var accepts: Bool { verdict == .accept }
}

/// The receivers' verdicts on a finished check: pure functions of its `AddressResult`, computed when printed (a /16
/// keeps 65,536 results, and four reasons each would be most of their memory).
///
/// Choices where the receivers' documents are silent: an answer the local resolver made up (systemd-resolved) counts
/// as no PTR, and a made-up forward answer as not confirming, since receivers elsewhere get the real, failing answer;
/// a PTR lookup that meets a CNAME loop or fails DNSSEC validation is deferred, as a receiver's resolver answers
/// such a lookup with SERVFAIL; a forward lookup that does either is, for Postfix, the SERVFAIL it gets (glibc's
/// search-domain quirk included), and for Gmail, whose resolvers validate, a name that never confirms;
/// PTR names beyond the first `AddressResult.maximumPTRNames` were not looked up, so Postfix, which may pick one of
/// them, is `at-risk` even when every name looked up confirms. Live DNS decides, not a pending AWS update.
public enum ReceiverVerdicts {
    /// Every rule's outcome, in `ReceiverRule.allCases` order.
    public static func all(for result: AddressResult) -> [ReceiverOutcome] {
        if let name = plainName(result) { return plainOutcomes(name) }
        return byEachRule(result)
    }

    /// The rules one by one, for every kind of result (`all(for:)` takes a shortcut for the plainest).
    static func byEachRule(_ result: AddressResult) -> [ReceiverOutcome] {
        [gmail(result), postfixClient(result), postfixReverse(result), spamassassin(result)]
    }

    /// The address's PTR name when every rule accepts it for the plainest reason: it is the only one, Postfix takes
    /// it, it forward-confirms and does not look generic. Most addresses of a range are so, and the JSON report
    /// writes their verdicts from a template made of `plainOutcomes` (this decides in a few comparisons what the
    /// four rules decide in a few thousand instructions).
    static func plainName(_ result: AddressResult) -> DNSName? {
        guard result.ptrCount == 1, result.ptrNames.count == 1, result.nameTraits.isTakenByPostfix(0),
              !result.nameTraits.isGeneric(0), confirms(result.ptrNames[0], result) else { return nil }
        return result.ptrNames[0]
    }

    /// What the four rules say of an address whose one PTR name is `name` (`plainName`).
    static func plainOutcomes(_ name: DNSName) -> [ReceiverOutcome] {
        [ReceiverOutcome(.gmail, .accept, ptr: name, "forward-confirms"),
         ReceiverOutcome(.postfixClient, .accept, ptr: name, "forward-confirms"),
         ReceiverOutcome(.postfixReverse, .accept, ptr: name, "exists"),
         ReceiverOutcome(.spamassassin, .accept, ptr: name, "is not generic")]
    }

    private static let rejectCode = "unknown_client_reject_code (450 by default: the mail is deferred, then bounced "
        + "when it expires; 550 at once where the site sets it)"

    private static func gmail(_ result: AddressResult) -> ReceiverOutcome {
        if let missing = MissingPTR(result) {
            return ReceiverOutcome(.gmail, missing.isTemporary ? .defer : .reject, missing.description)
        }
        // A loop, not `first(where:)`: its closure would capture a copy of the result.
        for name in result.ptrNames where confirms(name, result) {
            return ReceiverOutcome(.gmail, .accept, ptr: name, "forward-confirms")
        }
        if !result.forwardFailures.isEmpty {
            return ReceiverOutcome(.gmail, .defer, "no PTR name forward-confirms yet: "
                                   + failedLookups(result.forwardFailures, result))
        }
        return ReceiverOutcome(.gmail, .reject, notConfirming(result.ptrNames) + notLookedUp(result))
    }

    private static func postfixClient(_ result: AddressResult) -> ReceiverOutcome {
        if let missing = MissingPTR(result) {
            return missing.isTemporary
                ? ReceiverOutcome(.postfixClient, .defer, "\(missing): 450")
                : ReceiverOutcome(.postfixClient, .reject, "\(missing): \(rejectCode)")
        }
        if result.isForwardConfirmed {
            // Every name is a valid hostname (so glibc keeps it) and confirms: most addresses of a range.
            guard result.ptrCount > 1 else {
                return ReceiverOutcome(.postfixClient, .accept, ptr: result.ptrNames[0], "forward-confirms")
            }
            return ReceiverOutcome(.postfixClient, .accept, "every PTR name glibc may pick forward-confirms "
                                   + "(\(AddressResult.listing(result.ptrNames, of: result.ptrCount)))")
        }
        let seen = result.ptrNames.indices.filter(result.nameTraits.isTakenByPostfix).map { result.ptrNames[$0] }
        guard !seen.isEmpty else {
            return ReceiverOutcome(.postfixClient, .reject, dropped(result) + ": \(rejectCode)")
        }
        let good = seen.filter { confirms($0, result) }
        // A name whose lookup receivers' resolvers answer with SERVFAIL fails for Postfix as a temporary failure does.
        let failed = seen.filter { result.forwardFailures.contains($0) || result.forwardUnresolvable.contains($0) }
        let bad = seen.filter { !confirms($0, result) && !failed.contains($0) }
        if bad.isEmpty && failed.isEmpty {
            // Every name glibc keeps confirms: accepted, unless names were left out.
            let names = AddressResult.listing(good, of: good.count)
            guard result.ptrCount > result.ptrNames.count else {
                return ReceiverOutcome(.postfixClient, .accept, "every PTR name glibc may pick forward-confirms "
                                       + "(\(names)); glibc drops the others")
            }
            return ReceiverOutcome(.postfixClient, .atRisk, "the PTR names looked up forward-confirm (\(names)), "
                                   + "but glibc may pick one of the other "
                                   + "\(PlainFormat.grouped(result.ptrCount - result.ptrNames.count)), never looked up")
        }
        var parts: [String] = []
        if !good.isEmpty {
            let names = AddressResult.listing(good, of: good.count)
            parts.append("PTR \(names) forward-confirm\(good.count == 1 ? "s" : "")")
        }
        if !bad.isEmpty { parts.append(notConfirming(bad)) }
        if !failed.isEmpty { parts.append(failedLookups(failed, result)) }
        let findings = parts.joined(separator: "; ")
        if !good.isEmpty || (!bad.isEmpty && !failed.isEmpty) {
            return ReceiverOutcome(.postfixClient, .atRisk,
                                   "depends on which PTR name the receiver's resolver gives first: \(findings)")
        }
        if !bad.isEmpty {
            return ReceiverOutcome(.postfixClient, .reject, "\(findings)\(notLookedUp(result)): \(rejectCode)")
        }
        guard result.address.isIPv4 else { return ReceiverOutcome(.postfixClient, .defer, "\(findings): 450") }
        // glibc's getaddrinfo(AF_INET) answers a SERVFAIL with EAI_NONAME when resolv.conf has a search domain.
        return ReceiverOutcome(.postfixClient, .atRisk, "\(findings): where the receiver's resolv.conf has a search "
                               + "domain, glibc reports no such name and Postfix rejects the client as forged "
                               + "(\(rejectCode)); without one, 450")
    }

    private static func postfixReverse(_ result: AddressResult) -> ReceiverOutcome {
        if let missing = MissingPTR(result) {
            return missing.isTemporary
                ? ReceiverOutcome(.postfixReverse, .defer, "\(missing): 450")
                : ReceiverOutcome(.postfixReverse, .reject, "\(missing): \(rejectCode)")
        }
        guard let index = result.ptrNames.indices.first(where: result.nameTraits.isTakenByPostfix) else {
            return ReceiverOutcome(.postfixReverse, .reject, dropped(result) + ": \(rejectCode)")
        }
        return ReceiverOutcome(.postfixReverse, .accept, ptr: result.ptrNames[index], "exists")
    }

    private static func spamassassin(_ result: AddressResult) -> ReceiverOutcome {
        if let missing = MissingPTR(result) {
            return ReceiverOutcome(.spamassassin, .penalise, "\(missing): the receiving MTA records no name",
                                   rules: ["RDNS_NONE"])
        }
        // SpamAssassin reads the name from the Received header of the MTA in front of it, and Postfix (like Exim)
        // writes a name there only when it forward-confirms, "unknown" otherwise, which SpamAssassin's Received
        // parser reads as no name at all (Received.pm: `$rdns = '' if $rdns =~ /^unknown$/i`).
        var confirming = 0
        for (index, name) in result.ptrNames.enumerated()
        where result.nameTraits.isTakenByPostfix(index) && confirms(name, result) {
            if result.nameTraits.isGeneric(index), let why = GenericNameDetector.reason(name, for: result.address) {
                return ReceiverOutcome(.spamassassin, .penalise, ptr: name, "looks dynamic: \(why)",
                                       rules: ["RDNS_DYNAMIC"])
            }
            confirming += 1
        }
        guard confirming > 0 else {
            return ReceiverOutcome(.spamassassin, .penalise, "no PTR name forward-confirms, so the receiving MTA "
                                   + "(Postfix, Exim) records the client as unknown: no name for SpamAssassin",
                                   rules: ["RDNS_NONE"])
        }
        return result.ptrNames.count == 1
            ? ReceiverOutcome(.spamassassin, .accept, ptr: result.ptrNames[0], "is not generic")
            : ReceiverOutcome(.spamassassin, .accept, "no forward-confirming PTR name is generic")
    }

    /// Whether `name`'s forward answer holds the address (a made-up answer is never kept in `forward`).
    private static func confirms(_ name: DNSName, _ result: AddressResult) -> Bool {
        result.forward.contains { $0.name == name && $0.addresses.contains(result.address) }
    }

    /// `PTR a.example does not forward-confirm`, `PTR a.example, b.example do not forward-confirm`.
    private static func notConfirming(_ names: [DNSName]) -> String {
        let listed = AddressResult.listing(names, of: names.count)
        return "PTR \(listed) do\(names.count == 1 ? "es" : "") not forward-confirm"
    }

    /// `the A lookup for PTR a.example failed temporarily`, and for the names whose lookup receivers' resolvers
    /// answer with SERVFAIL (`forwardUnresolvable`) why.
    private static func failedLookups(_ names: [DNSName], _ result: AddressResult) -> String {
        let type = RecordType.forward(for: result.address)
        let unresolvable = names.filter(result.forwardUnresolvable.contains)
        let temporary = names.filter { !unresolvable.contains($0) }
        var parts: [String] = []
        if !temporary.isEmpty {
            parts.append("the \(type) lookup for PTR \(AddressResult.listing(temporary, of: temporary.count)) failed "
                         + "temporarily")
        }
        if !unresolvable.isEmpty {
            parts.append("receivers' resolvers answer the \(type) lookup for PTR "
                         + "\(AddressResult.listing(unresolvable, of: unresolvable.count)) with SERVFAIL (a CNAME loop "
                         + "or DNSSEC validation failing)")
        }
        return parts.joined(separator: "; ")
    }

    private static func notLookedUp(_ result: AddressResult) -> String {
        let rest = result.ptrCount - result.ptrNames.count
        return rest > 0 ? " (and \(PlainFormat.grouped(rest)) PTR names not looked up)" : ""
    }

    private static func dropped(_ result: AddressResult) -> String {
        "Postfix takes no PTR name (\(AddressResult.listing(result.ptrNames, of: result.ptrCount))): glibc drops a "
            + "name holding a character other than a-z, 0-9, - and _, and Postfix refuses one that is not a valid "
            + "hostname or is made of digits and dots only"
    }
}

/// Why an address has no PTR name a receiver could use, when it has none.
private enum MissingPTR: CustomStringConvertible {
    case none
    /// Only a made-up answer from the local resolver: the real PTR is missing or failing.
    case synthesized
    case failed
    /// Receivers' resolvers answer a loop with SERVFAIL.
    case loop
    /// Validating resolvers answer a name whose DNSSEC validation fails with SERVFAIL.
    case bogus

    /// Borrowing: an initializer takes its arguments owned, and a copy of the result (a retain of each of its
    /// arrays) for each of the four rules of every address was a few percent of a range's report.
    init?(_ result: borrowing AddressResult) {
        guard result.ptrNames.isEmpty else { return nil }
        self = .none
        for problem in result.problems {
            switch problem.code {
            case .temporaryFailure: self = .failed
            case .cnameLoop: self = .loop
            case .dnssecBogus: self = .bogus
            case .synthesizedAnswer: self = .synthesized
            default: continue
            }
            return
        }
    }

    var isTemporary: Bool {
        switch self {
        case .none, .synthesized: false
        case .failed, .loop, .bogus: true
        }
    }

    var description: String {
        switch self {
        case .none: "no PTR record"
        case .synthesized: "no PTR record receivers see (the only answer was made up by the local resolver)"
        case .failed: "the PTR lookup failed temporarily"
        case .loop: "the PTR lookup meets a CNAME loop, which receivers' resolvers answer with SERVFAIL until it is "
            + "fixed"
        case .bogus: "the PTR lookup fails DNSSEC validation, which validating receivers' resolvers answer with "
            + "SERVFAIL until its DS/DNSKEY records are fixed"
        }
    }
}
