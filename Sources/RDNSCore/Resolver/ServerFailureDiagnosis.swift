/// What an expert asks after a SERVFAIL before calling it temporary (SPEC step 4), for `ChainedLookup`, so both
/// engines get it: the same question with CD (checking disabled) set, and then each name's CNAME record, hop by hop.
///
/// An answer with CD set means the resolver can reach the data but DNSSEC validation fails (`dnssec-bogus`); the
/// question is asked once more without CD before saying so, so that a SERVFAIL that has passed meanwhile (a server
/// that was slow to answer the resolver) is taken as the answer it now is. A resolver answers a CNAME loop with
/// SERVFAIL, but asked for the CNAME record itself it gives that record without following it, so the loop shows
/// hop by hop (`cname-loop`). A chain of more than `ChainedLookup.longChain` that ends may be one the resolver gave
/// up on for its length (Unbound 1.17 follows 11): the lookup goes on from its end, once.
///
/// The extra questions are ordinary ones, each with its own timeout and attempts, and none is asked on a lookup
/// that got no SERVFAIL. After one SERVFAIL: 2 for a bogus name; else 1 + at most 17 (2 when the name is no CNAME,
/// 3 for a loop of two names), and 3 more from the end of a long chain: 21 at most. A question with CD that gets no
/// SERVFAIL either (a timeout) ends the diagnosis: the resolver is failing, not DNSSEC or a loop.
enum ServerFailureDiagnosis {
    enum Finding {
        /// The diagnosis found why: the lookup's outcome.
        case found(ChainedLookup)
        /// Nothing found: what the question got when asked again (the SERVFAIL itself when it was not asked again).
        case asked(QueryOutcome)
        /// A chain longer than `ChainedLookup.longChain` that ends, at `name`: the resolver may have given up on its
        /// length (Unbound 1.17 follows 11), so the lookup goes on from its end.
        case followed(to: DNSName, chain: [DNSName])
    }

    /// Diagnoses the SERVFAIL of `name`/`type`, reached from `start` through `chain`.
    static func diagnose(_ name: DNSName, type: RecordType, start: DNSName, chain: [DNSName],
                         using resolver: any DNSResolver) async -> Finding {
        switch await resolver.query(name, type: type, options: .checkingDisabled) {
        case .reply:
            let again = await resolver.query(name, type: type)
            guard again == .failure(.serverFailure) else { return .asked(again) }
            return .found(ChainedLookup(chain: chain, outcome: .dnssecBogus(at: name), isDiagnosed: true))
        case .failure(.serverFailure):
            break
        case .failure:
            return .asked(.failure(.serverFailure))
        }
        var chain = chain
        var current = name
        // Ends: every turn either returns or makes the chain longer, and a chain of `maximumCNAMEs` returns.
        while true {
            guard case .reply(_, let answers, _) = await resolver.query(current, type: .cname),
                  let target = ChainedLookup.cnameTarget(of: current, in: answers) else {
                // The chain ends, or cannot be followed: no loop to see. A short chain's SERVFAIL stays what it is.
                guard current != name, chain.count > ChainedLookup.longChain else {
                    return .asked(.failure(.serverFailure))
                }
                return .followed(to: current, chain: chain)
            }
            guard chain.count < ChainedLookup.maximumCNAMEs, target != start, !chain.contains(target) else {
                return .found(ChainedLookup(chain: chain, outcome: .cnameLoop(at: target), isDiagnosed: true))
            }
            chain.append(target)
            current = target
        }
    }
}
