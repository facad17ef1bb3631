import RDNSPOSIX

/// The checks of a run, handed out to workers in target order and their results handed on in the same order,
/// although they finish out of order, with at most `capacity` targets held between the oldest result not yet
/// handed on and the newest target handed out.
///
/// That bound is the back-pressure: while the oldest unfinished check holds the results after it back, a worker
/// waits before it starts another, so a /16 never holds more than `capacity` results however long that check
/// takes. The capacity is the window of checks in flight plus a margin (`capacity(checksInFlight:)`).
public final class ReorderBuffer<Targets: Collection<CheckTarget> & Sendable>: Sendable
where Targets.Index: Sendable {
    /// What `tryClaim` found.
    public enum Claim: Sendable, Equatable {
        /// The next target and its place in target order.
        case target(Int, CheckTarget)
        /// Every target is handed out.
        case done
        /// `capacity` targets are held already: wait until results are taken.
        case full
    }

    private struct State {
        var next: Targets.Index
        var claimed = 0
        /// Results handed on: `slots` holds the results from here to `claimed`, those finished.
        var taken = 0
        /// The results from `taken` up to here are all finished.
        var readyEnd = 0
        var slots: [AddressResult?]
        /// Which slots hold a result: asking the optional slot itself copied the whole result out and back (a
        /// retain and release of each of its arrays), twice per check.
        var filled: [Bool]
        var waitingWorkers: [UnsafeContinuation<Void, Never>] = []
        var waitingTaker: UnsafeContinuation<Void, Never>? = nil
    }

    private let targets: Targets
    private let total: Int
    public let capacity: Int
    /// The taker is woken for this many results at least (or the last ones): one hand-over between threads per
    /// result would cost more than the results' formatting.
    private let batch: Int
    private let state: Locked<State>

    /// How far ahead of the oldest unfinished check the others may go, for a resolver that keeps `checksInFlight`
    /// checks busy: the window itself and as much again (at least 1,024), so one slow check among many (a
    /// timeout) does not stop the others at once.
    public static func capacity(checksInFlight: Int) -> Int {
        checksInFlight + max(checksInFlight, 1_024)
    }

    /// `capacity` nil: no bound (every result may be held, as when the whole run is kept anyway).
    public init(_ targets: Targets, capacity: Int?) {
        self.targets = targets
        total = targets.count
        self.capacity = max(1, min(capacity ?? total, total))
        batch = max(1, min(256, self.capacity / 4))
        state = Locked(State(next: targets.startIndex,
                             slots: [AddressResult?](repeating: nil, count: self.capacity),
                             filled: [Bool](repeating: false, count: self.capacity)))
    }

    /// The next target, waiting while `capacity` targets are held; nil when every target is handed out.
    public func claim() async -> (Int, CheckTarget)? {
        while true {
            switch tryClaim() {
            case .target(let index, let target): return (index, target)
            case .done: return nil
            case .full:
                await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                    let stillFull = state.withLock { state in
                        guard state.claimed - state.taken >= capacity else { return false }
                        state.waitingWorkers.append(continuation)
                        return true
                    }
                    if !stillFull { continuation.resume() }
                }
            }
        }
    }

    /// The next target, or why there is none now.
    public func tryClaim() -> Claim {
        state.withLock { state in
            guard state.next != targets.endIndex else { return .done }
            guard state.claimed - state.taken < capacity else { return .full }
            defer {
                state.next = targets.index(after: state.next)
                state.claimed += 1
            }
            return .target(state.claimed, targets[state.next])
        }
    }

    /// The result of the target claimed at `index`.
    public func store(_ result: consuming AddressResult, at index: Int) {
        // Moved into its slot, not copied (a copy retained and released each of its arrays).
        var result = Optional(result)
        let taker = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.slots[index % capacity] = result.take()
            state.filled[index % capacity] = true
            while state.readyEnd < state.claimed && state.filled[state.readyEnd % capacity] {
                state.readyEnd += 1
            }
            guard state.waitingTaker != nil, isWorthTaking(state) else { return nil }
            defer { state.waitingTaker = nil }
            return state.waitingTaker
        }
        taker?.resume()
    }

    /// The next results in target order, waiting until there are enough of them (see `batch`) or the last ones;
    /// nil once every result was taken. Only one task takes.
    public func next() async -> [AddressResult]? {
        while true {
            if let taken = take(waiting: true) { return taken.isEmpty ? nil : taken }
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let wait = state.withLock { state in
                    guard !isWorthTaking(state) else { return false }
                    state.waitingTaker = continuation
                    return true
                }
                if !wait { continuation.resume() }
            }
        }
    }

    /// The finished results from the oldest on, in order (empty when the oldest is unfinished or every result was
    /// taken), letting waiting workers go on; nil when `waiting` and too few are finished to be worth a hand-over.
    public func take(waiting: Bool = false) -> [AddressResult]? {
        let (results, workers) = state.withLock { state -> ([AddressResult]?, [UnsafeContinuation<Void, Never>]) in
            guard state.taken < total else { return ([], []) }
            guard !waiting || isWorthTaking(state) else { return (nil, []) }
            var results: [AddressResult] = []
            results.reserveCapacity(state.readyEnd - state.taken)
            for index in state.taken..<state.readyEnd {
                results.append(state.slots[index % capacity].take()!)
                state.filled[index % capacity] = false
            }
            state.taken = state.readyEnd
            defer { state.waitingWorkers.removeAll() }
            return (results, state.waitingWorkers)
        }
        for worker in workers { worker.resume() }
        return results
    }

    /// Whether the taker should take now: a batch is ready, or the last results are, or nothing is left. Never a
    /// deadlock: workers wait only when `capacity` targets are held, and once those finish all are ready, at least
    /// a batch.
    private func isWorthTaking(_ state: State) -> Bool {
        state.readyEnd - state.taken >= batch || state.readyEnd == total
    }
}
