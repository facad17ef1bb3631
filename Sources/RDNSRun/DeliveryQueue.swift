import RDNSPOSIX
import Dispatch
import RDNSCore

/// The `on-change` deliveries of the daemon and of `--once` (SPEC.md: delivery is at-least-once).
///
/// - At most `concurrency` programs run at once, and never two for one address, so a slow program neither
///   serializes a burst of drifts nor forks one process per address of a range.
/// - Waiting deliveries are one per address: a new drift for an address that already waits merges into it
///   (`Delivery.merged(with:)`), and a log line says how many merged, so a flapping range cannot grow the queue.
/// - A delivery not made (not started, cut off) is kept for the next run, `Delivery.maximumTries` tries in all,
///   then dropped with an error line naming the address. `undelivered` is what the state file keeps.
public final class DeliveryQueue: Sendable {
    private struct State {
        var program: String?
        /// Waiting to start, one per address; `order` is their first-come order (with stale entries skipped).
        var waiting: [IPAddress: Delivery] = [:]
        var order: [IPAddress] = []
        var head = 0
        var running: [IPAddress: Delivery] = [:]
        /// Not made in an earlier try; they wait again when the next run's deliveries come.
        var kept: [IPAddress: Delivery] = [:]
        var stopping = false
    }

    /// A small number: enough that five drifts with an 8 s program take 16 s rather than 40 s, few enough that a
    /// /24 drifting at once does not start 256 programs on the mail server.
    public static let defaultConcurrency = 4

    private let state = Locked(State())
    private let runner: any DeliveryRunner
    private let concurrency: Int
    private let logger: Logger
    /// Entered once per waiting or running delivery: empty when nothing is left to do now.
    private let busy = DispatchGroup()
    /// Entered once per running program.
    private let runs = DispatchGroup()

    public init(runner: any DeliveryRunner, concurrency: Int = DeliveryQueue.defaultConcurrency, logger: Logger) {
        self.runner = runner
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// The `on-change` program; nil drops every delivery not yet started (nothing could make them).
    public var program: String? {
        get { state.withLock { $0.program } }
        set {
            let dropped: Int = state.withLock { state in
                state.program = newValue
                guard newValue == nil else { return 0 }
                let count = state.waiting.count + state.kept.count
                // After `stop()` the waiting ones have left `busy` already.
                if !state.stopping {
                    for _ in state.waiting { busy.leave() }
                }
                state.waiting = [:]
                state.kept = [:]
                state.order = []
                state.head = 0
                return count
            }
            if dropped > 0 {
                logger.notice("on-change is no longer configured: \(dropped) deliveries not yet made are dropped")
            }
        }
    }

    /// Deliveries kept from an earlier process (the state file): they wait with the next run's. Without a
    /// program nothing can make them, and they are dropped.
    /// A delivery that has had its last try (saved by a stop that could not wait for its program's end) is
    /// dropped with the error line of any last try.
    public func keep(_ deliveries: [Delivery]) {
        let (program, dropped, spent): (String?, Int, [Delivery]) = state.withLock { state in
            guard let program = state.program else { return (nil, deliveries.count, []) }
            var spent: [Delivery] = []
            for delivery in deliveries {
                guard delivery.tries < Delivery.maximumTries else {
                    spent.append(delivery)
                    continue
                }
                state.kept[delivery.address] = state.kept[delivery.address].map { $0.merged(with: delivery) }
                    ?? delivery
            }
            return (program, 0, spent)
        }
        if dropped > 0 {
            logger.notice("on-change is not configured: \(dropped) deliveries kept in the state file are dropped")
        }
        for delivery in spent.sorted(by: { $0.address < $1.address }) {
            logger.error("on-change \(program ?? "") for \(delivery.address) kept in the state file; "
                         + DeliveryQueue.droppedAfterLastTry(delivery))
        }
    }

    /// Queues a run's deliveries behind those kept from earlier runs, merging what is for one address. Nothing
    /// starts before `start()`: the caller saves the state file with them first, so a crash cannot lose them.
    public func add(_ deliveries: [Delivery]) {
        let (merged, waiting) = state.withLock { state in
            guard state.program != nil else { return (0, 0) }
            guard !state.stopping else {
                // Nothing starts any more: kept for the state file, never entered in `busy`.
                for delivery in deliveries {
                    state.kept[delivery.address] = state.kept[delivery.address].map { $0.merged(with: delivery) }
                        ?? delivery
                }
                return (0, 0)
            }
            var merged = 0
            let kept = state.kept.values.sorted { $0.address < $1.address }
            state.kept = [:]
            for delivery in kept + deliveries where enqueue(delivery, into: &state) {
                merged += 1
            }
            return (merged, state.waiting.count)
        }
        if merged > 0 {
            logger.notice("on-change: \(merged) drift\(merged == 1 ? "" : "s") merged into deliveries already "
                          + "waiting for the same address (\(waiting) waiting)")
        }
    }

    /// Starts waiting deliveries, as many as may run.
    public func start() {
        let started = state.withLock { takeStartable(&$0) }
        for (program, delivery) in started { launch(program, delivery) }
    }

    /// Waits until no delivery waits or runs (each program is bounded by its time limit).
    public func waitUntilIdle() {
        busy.wait()
    }

    /// Deliveries not made, one per address: kept, running and waiting, for the state file. A running one
    /// counts the tries it has finished: its try was counted when it started, and saved so it would read back as
    /// spent (a third try still running once made a state file rdnscheck refused to read).
    public var undelivered: [Delivery] {
        state.withLock { state in
            var owed = state.kept
            for (address, var delivery) in state.running {
                delivery.tries -= 1
                owed[address] = owed[address].map { $0.merged(with: delivery) } ?? delivery
            }
            for (address, delivery) in state.waiting {
                owed[address] = owed[address].map { $0.merged(with: delivery) } ?? delivery
            }
            return owed.values.sorted { $0.address < $1.address }
        }
    }

    /// rdnscheck is stopping: starts nothing more, stops the programs running (they count as tries) and waits
    /// for them at most `seconds`. Returns what is still owed.
    public func stop(waitingAtMost seconds: Double = 5) -> [Delivery] {
        // What waits will not start now: it stays in `waiting` for `undelivered` but leaves `busy`, which would
        // otherwise stay entered (libdispatch keeps an entered group alive: a leak at every stop).
        let waiting: Int = state.withLock { state in
            guard !state.stopping else { return 0 }
            state.stopping = true
            return state.waiting.count
        }
        for _ in 0..<waiting { busy.leave() }
        runner.stopAll()
        _ = runs.wait(timeout: .now() + seconds)
        return undelivered
    }

    /// Adds one delivery to the waiting ones; true when it merged into one already waiting.
    private func enqueue(_ delivery: Delivery, into state: inout State) -> Bool {
        if let earlier = state.waiting[delivery.address] {
            state.waiting[delivery.address] = earlier.merged(with: delivery)
            return true
        }
        state.waiting[delivery.address] = delivery
        state.order.append(delivery.address)
        busy.enter()
        return false
    }

    /// Moves the deliveries that may start now from waiting to running, counting their try.
    private func takeStartable(_ state: inout State) -> [(String, Delivery)] {
        guard let program = state.program, !state.stopping else { return [] }
        var started: [(String, Delivery)] = []
        var blocked: [IPAddress] = []
        while state.running.count < concurrency && state.head < state.order.count {
            let address = state.order[state.head]
            state.head += 1
            guard var delivery = state.waiting[address] else { continue }
            guard state.running[address] == nil else {
                blocked.append(address)
                continue
            }
            state.waiting[address] = nil
            delivery.tries += 1
            state.running[address] = delivery
            started.append((program, delivery))
        }
        state.order += blocked
        if state.head > 1024 && state.head * 2 > state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
        return started
    }

    private func launch(_ program: String, _ delivery: Delivery) {
        runs.enter()
        DispatchQueue.global().async { [self] in
            let outcome = runner.run(program, delivery)
            let next = state.withLock { state in
                state.running[delivery.address] = nil
                if case .notDelivered(let reason) = outcome {
                    keepForNextRun(delivery, program: program, reason: reason, state: &state)
                }
                busy.leave()
                return takeStartable(&state)
            }
            runs.leave()
            for (program, delivery) in next { launch(program, delivery) }
        }
    }

    /// A delivery not made: it merges into one waiting for its address (which then carries both), or is kept
    /// for the next run, or after its last try is dropped with an error line. When `on-change` was removed (a
    /// reload) while it ran, nothing could make it: it is dropped with the notice of the other deliveries.
    private func keepForNextRun(_ delivery: Delivery, program: String, reason: String, state: inout State) {
        let what = "on-change \(program) for \(delivery.address) \(reason)"
        guard state.program != nil else {
            logger.notice("\(what); on-change is no longer configured: the delivery is dropped")
            return
        }
        guard delivery.tries < Delivery.maximumTries else {
            logger.error("\(what); " + DeliveryQueue.droppedAfterLastTry(delivery))
            return
        }
        logger.warning("\(what); it will be tried again (try \(delivery.tries) of \(Delivery.maximumTries))")
        if let later = state.waiting[delivery.address] {
            state.waiting[delivery.address] = delivery.merged(with: later)
        } else {
            state.kept[delivery.address] = delivery
        }
    }

    /// The end of the error line for a delivery dropped after its last try.
    private static func droppedAfterLastTry(_ delivery: Delivery) -> String {
        "dropped after \(delivery.tries) tries: the drift of \(delivery.address) "
            + "(\(delivery.oldStatus.word) -> \(delivery.newStatus.word)) was never delivered"
    }
}
