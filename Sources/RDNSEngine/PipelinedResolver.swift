import RDNSPOSIX
import Dispatch
import RDNSCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `DNSResolver` for many addresses at once: one thread keeps a bounded window of UDP queries in flight on
/// connected non-blocking sockets (one per nameserver), batching sends and receives (`sendmmsg`/`recvmmsg`) and
/// sleeping in `epoll` only when there is nothing else to do, as adns does.
///
/// The same thread is also the executor of an actor (`isolation`): checks isolated to it, and the work `run(_:)`
/// is given, execute on it, so a reply resumes its check without any hand-over between threads, and the check's
/// next query is queued at once. Queries from other executors work too (through a lock and an eventfd).
///
/// Replies are matched on socket, ID and question; SERVFAIL and REFUSED are retried on the next attempt, a
/// timeout after `timeout` seconds, `attempts` times per nameserver, like glibc; a truncated reply is asked again
/// over TCP by the engine itself (`TCPExchange`, in the same poll), within what is left of the query's time; at most
/// `DescriptorBudget.tcpExchanges` at once, the others waiting for their turn.
/// Outcomes are classified by the same `OutcomeClassifier` as `LibresolvResolver`'s. Sends are paced by `--rate`,
/// or, without it, by a rate the engine adapts when a nameserver drops queries (see `LookupEngine`); the run's
/// pacing is read, for the log, with `takePacingSummary`.
public final class PipelinedResolver: DNSResolver, @unchecked Sendable {
    // @unchecked: `engine` is touched only on the engine thread; `inbox` is behind a lock; the rest is immutable.

    /// The most queries in flight at once, unless `--concurrency` says fewer.
    public static let defaultWindow = 100

    private let engine: LookupEngine
    private let inbox = Locked(Inbox())
    /// The engine's selector, whose wake-up other threads signal.
    private let selector: Selector
    private var thread = pthread_t()

    /// Work handed in from other threads.
    struct Inbox {
        var jobs: [UnownedJob] = []
        var requests: [LookupEngine.Request] = []
        var stopping = false
        /// The loop has ended: jobs can no longer run on its thread.
        var exited = false
    }

    /// Why the window is smaller than `--concurrency` asked (the open-files limit), for the log; nil when it is not.
    public let concurrencyReduction: String?
    public let nameserverNotice: String?

    /// The engine asking `nameservers` (at least one), `attempts` times each, `timeoutSeconds` per attempt; the
    /// resolver module builds it from `ResolverSettings` (see its `init(settings:budget:)`).
    package init(nameservers: [Nameserver], timeoutSeconds: Int, attempts: Int, budget: DescriptorBudget,
                 rate: Int? = nil, clock: @escaping () -> Double, nameserverNotice: String? = nil)
        throws(EngineSetupError) {
        concurrencyReduction = budget.reduction
        self.nameserverNotice = nameserverNotice
        engine = try LookupEngine(nameservers: nameservers, timeoutSeconds: timeoutSeconds, attempts: attempts,
                                  window: budget.window, tcpLimit: budget.tcpExchanges, rate: rate,
                                  clock: clock)
        selector = engine.selector
        actorExecutor = ActorExecutor(engine: engine, inbox: inbox, selector: selector)
        actor = EngineActor(executor: actorExecutor)
        parkingSpot = QueryParking.Spot(parking: engine.parking)
        let context = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&thread, nil, { context in
            let resolver = Unmanaged<PipelinedResolver>.fromOpaque(context!).takeRetainedValue()
            resolver.loop()
            return nil
        }, context) == 0 else {
            Unmanaged<PipelinedResolver>.fromOpaque(context).release()
            engine.closeSockets()
            throw EngineSetupError(description: "cannot start the lookup thread")
        }
    }

    /// Checks to keep in flight so the window stays full: each check has at most one query out at a time.
    public var checksInFlight: Int { engine.window * 2 }

    /// Runs `body` isolated to `isolation`: on the engine's thread, beside the sockets.
    public func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        await actor.perform(body)
    }

    /// The actor whose executor is this resolver's thread: the checks of a range isolated to it run beside the
    /// sockets, a reply resuming its check without a hand-over between threads (`QueryParking`). (A task-executor
    /// preference did the same, but the Swift runtime looks a preference up under the task's lock at every
    /// resumption: with this actor a check of a /16 costs 27,041 instructions instead of 27,409, measured with
    /// callgrind.)
    public var isolation: (any Actor)? { actor }

    private let actorExecutor: ActorExecutor
    private let actor: EngineActor
    /// Where a check isolated to `actor` waits for a reply (`query`).
    private let parkingSpot: QueryParking.Spot

    /// `isolation`: an actor whose jobs the engine's thread runs.
    private actor EngineActor {
        /// Kept for `unownedExecutor`, which is stored: computed, each hop here retained and released it.
        private nonisolated let executor: ActorExecutor
        nonisolated let unownedExecutor: UnownedSerialExecutor

        init(executor: ActorExecutor) {
            self.executor = executor
            unownedExecutor = executor.asUnownedSerialExecutor()
        }

        func perform<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
            // Not only a check: without a use of the isolation before it, Swift 6.3 drops this method's hop to the
            // actor when all it does is call a nonisolated(nonsending) closure, and `body` ran on the caller's
            // thread until its first suspension (measured with `EngineIsolationTests`).
            preconditionIsolated()
            return await body()
        }
    }

    /// The engine actor's executor: hands its jobs to the engine's thread. It holds what that takes, not the
    /// resolver: a task isolated to the actor may outlive the resolver (a weak reference to it instead gave the
    /// resolver a side table, which slows each of its retains and releases: with the weak loads, 46 M
    /// instructions of a /16, measured with callgrind).
    /// A job that comes once the thread has ended (its queries now fail at once) must still run to its end, one at
    /// a time as an actor's jobs do: on a serial queue.
    private final class ActorExecutor: SerialExecutor, @unchecked Sendable {
        // @unchecked: `engine` is touched only on the engine thread; `inbox` is behind a lock; `selector` is
        // thread-safe for wake-ups; the queue is thread-safe.
        private let engine: LookupEngine
        private let inbox: Locked<Inbox>
        private let selector: Selector
        /// The engine thread's pthread_self, stored by the thread itself (pthread_create may store the resolver's
        /// `thread` only after the thread has started running).
        let engineThread = Atomic<UInt>(0)
        private let afterEnd = DispatchQueue(label: "rdnscheck.engine-after-end")

        init(engine: LookupEngine, inbox: Locked<Inbox>, selector: Selector) {
            self.engine = engine
            self.inbox = inbox
            self.selector = selector
        }

        var onEngineThread: Bool {
            engineThread.load(ordering: .relaxed) == UInt(pthread_self())
        }

        /// Queues `job` for the engine's thread, or, once the thread has ended, for `afterEnd`.
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            if onEngineThread { return engine.jobs.append(job) }
            let queued = inbox.withLock { inbox in
                guard !inbox.exited else { return false }
                inbox.jobs.append(job)
                return true
            }
            if queued { selector.wakeUp() } else { runAfterEnd(job) }
        }

        func runAfterEnd(_ job: UnownedJob) {
            let executor = asUnownedSerialExecutor()
            afterEnd.async { job.runSynchronously(on: executor) }
        }
    }

    /// Inlined into the protocol witness, which is how checks call it: one async frame less per query (about 290
    /// instructions a check, measured with callgrind on a /16).
    @inline(__always)
    public func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        if onEngineThread && !engine.stopped {
            // A check isolated to `isolation`: parked on this thread until its reply comes (a continuation would
            // resume it on the global executor; see `QueryParking`).
            engine.parking.asking = (name, type, options)
            return await parkingSpot.reply()
        }
        return await withUnsafeContinuation { continuation in
            let request = LookupEngine.Request(name: name, type: type, options: options,
                                               waiter: .continuation(continuation))
            if onEngineThread {
                engine.submit(request)
            } else {
                let accepted = inbox.withLock { inbox in
                    guard !inbox.stopping else { return false }
                    inbox.requests.append(request)
                    return true
                }
                guard accepted else {
                    continuation.resume(returning: .failure(.localError("resolver is shut down")))
                    return
                }
                selector.wakeUp()
            }
        }
    }

    public func takePacingSummary() -> PacingSummary? {
        let summary = engine.pacing.withLock { summary in
            defer {
                summary.firstSlowdown = nil
                summary.slowdowns = 0
                summary.askedAgain = 0
            }
            return summary
        }
        return summary
    }

    /// Stops the thread after failing what is still queued or in flight, and waits for it (unless called on it).
    public func shutdown() {
        let first = inbox.withLock { inbox in
            defer { inbox.stopping = true }
            return !inbox.stopping
        }
        guard first else { return }
        selector.wakeUp()
        if !onEngineThread { pthread_join(thread, nil) }
    }

    // MARK: The loop

    var onEngineThread: Bool { actorExecutor.onEngineThread }

    private func loop() {
        actorExecutor.engineThread.store(UInt(pthread_self()), ordering: .relaxed)
        let executor = actorExecutor.asUnownedSerialExecutor()
        while true {
            var stopping = false
            // Taken, not copied and emptied: emptying kept the capacity of a buffer the copy still shared, so each
            // turn allocated a new one, as large as the most ever handed in at once (the checks' first hops into
            // the actor come together); over a kilobyte, malloc consolidated its free lists for it every turn
            // (about 55 M instructions of a /16, measured with callgrind).
            var jobs: [UnownedJob] = []
            var requests: [LookupEngine.Request] = []
            inbox.withLock { inbox in
                stopping = inbox.stopping
                swap(&jobs, &inbox.jobs)
                swap(&requests, &inbox.requests)
            }
            engine.jobs.append(contentsOf: jobs)
            for request in requests { engine.submit(request) }
            if stopping {
                engine.failEverything(.localError("resolver is shut down"))
                engine.parking.runReady(as: executor)
                engine.runJobs(on: executor, limit: .max)
                engine.closeSockets()
                // No thread is the engine's from here on: a thread made later may get this one's pthread_t, and
                // its jobs would be queued for a loop that no longer runs.
                actorExecutor.engineThread.store(0, ordering: .relaxed)
                let late = inbox.withLock { inbox in
                    inbox.exited = true
                    return inbox.jobs
                }
                late.forEach(actorExecutor.runAfterEnd)
                return
            }
            engine.runJobs(on: executor, limit: 1024)
            engine.turn()
            engine.parking.runReady(as: executor)
        }
    }
}

/// Why the engine could not be set up (the resolver module reports it as a `ResolverSetupError`).
package struct EngineSetupError: Error, CustomStringConvertible {
    package let description: String
}
