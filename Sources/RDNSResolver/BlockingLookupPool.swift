import CResolv
import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// A bounded pool of POSIX threads, each owning one libresolv state, that runs blocking `res_nsend` calls.
///
/// Blocking calls must not run on Swift's cooperative thread pool (they would starve every other task), so
/// async callers enqueue a job and suspend; a worker runs it and resumes them. Threads are started on demand,
/// up to `width`, so ten addresses never pay for sixteen threads; the first one is started at once, so that a
/// resolver that cannot work on a lookup thread fails when it is made. Each worker has a descriptor table of its
/// own (`cresolv_thread_init`): CResolv's deadline depends on it, and its sockets never count against the
/// process's. So nothing run on a worker may use a descriptor of the process: resuming a caller only enqueues its
/// task on the global executor (a task that prefers the pipelined engine's executor would be woken through that
/// engine's eventfd, a number this table does not hold: one run uses one engine).
///
/// With a rate (`--rate`), each lookup takes a token of one bucket shared by the threads before its `res_nsend`;
/// the datagrams `res_nsend` sends again by itself (its attempts, and other nameservers) take none.
final class BlockingLookupPool: @unchecked Sendable {
    // @unchecked: all mutable state below is guarded by `mutex`.
    struct Job {
        let name: DNSName
        let type: RecordType
        let options: QueryOptions
        /// Called once, on a worker thread or in `shutdown`, with the outcome.
        let complete: @Sendable (QueryOutcome) -> Void
    }

    /// The longest one query may take (CResolv's deadline: timeout x attempts x nameservers); set by `init`.
    private(set) var deadlineMilliseconds = 0

    private let options: cresolv_options
    private let width: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let changed: UnsafeMutablePointer<pthread_cond_t>
    /// Where workers wait for their token of the rate: signalled only by `shutdown` (a new job, which signals
    /// `changed`, must not wake them to wait again).
    private let tokenWait: UnsafeMutablePointer<pthread_cond_t>
    private var queue: [Job] = []
    private var queueHead = 0
    private var threads: [pthread_t] = []
    private var idleWorkers = 0
    private var stopping = false
    /// The resolver state of every worker that opened one, so that `shutdown` can cut their lookups short.
    private var resolvers: [OpaquePointer] = []
    /// What the first worker reported: its deadline, or why it could not open a resolver state.
    private var firstWorker: Result<Int, ResolverSetupError>?
    /// The shared send rate; nil: none.
    private var bucket: TokenBucket?

    init(options: cresolv_options, width: Int, rate: Int? = nil) throws(ResolverSetupError) {
        self.options = options
        self.width = max(1, width)
        bucket = rate.map { TokenBucket.pacing(rate: Double($0)) }
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        changed = .allocate(capacity: 1)
        pthread_cond_init(changed, nil)
        tokenWait = .allocate(capacity: 1)
        pthread_cond_init(tokenWait, nil)
        pthread_mutex_lock(mutex)
        startWorker()
        while firstWorker == nil && !threads.isEmpty {
            pthread_cond_wait(changed, mutex)
        }
        let first = firstWorker ?? .failure(ResolverSetupError(description: "cannot start a lookup thread"))
        pthread_mutex_unlock(mutex)
        switch first {
        case .success(let milliseconds):
            deadlineMilliseconds = milliseconds
        case .failure(let error):
            shutdown()
            throw error
        }
    }

    deinit {
        pthread_cond_destroy(changed)
        changed.deallocate()
        pthread_cond_destroy(tokenWait)
        tokenWait.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs one query on a worker thread.
    func run(_ name: DNSName, _ type: RecordType, _ options: QueryOptions) async -> QueryOutcome {
        await withCheckedContinuation { continuation in
            submit(Job(name: name, type: type, options: options) { continuation.resume(returning: $0) })
        }
    }

    private func submit(_ job: Job) {
        pthread_mutex_lock(mutex)
        guard !stopping else {
            pthread_mutex_unlock(mutex)
            job.complete(.failure(OutcomeClassifier.shutDown))
            return
        }
        queue.append(job)
        // More jobs waiting than idle workers to take them (an idle worker signalled but not yet awake still
        // counts as idle): another thread, up to the width.
        if queue.count - queueHead > idleWorkers && threads.count < width {
            startWorker()
        }
        pthread_cond_signal(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Fails the queued lookups and cuts those in progress short (both report that the resolver is shut down),
    /// then waits for the workers. Further queries fail at once.
    func shutdown() {
        pthread_mutex_lock(mutex)
        stopping = true
        let running = threads
        threads = []
        let queued = queue[queueHead...]
        queue = []
        queueHead = 0
        // Under the mutex: a worker closes its state only after taking it out of `resolvers`, under the mutex too.
        resolvers.forEach(cresolv_interrupt)
        pthread_cond_broadcast(changed)
        pthread_cond_broadcast(tokenWait)
        pthread_mutex_unlock(mutex)
        queued.forEach { $0.complete(.failure(OutcomeClassifier.shutDown)) }
        for thread in running {
            pthread_join(thread, nil)
        }
    }

    /// Called with `mutex` held.
    private func startWorker() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let pool = Unmanaged<BlockingLookupPool>.fromOpaque(context!).takeRetainedValue()
            pool.work()
            return nil
        }, context)
        if created == 0 {
            threads.append(thread)
        } else {
            Unmanaged<BlockingLookupPool>.fromOpaque(context).release()
        }
    }

    private func nextJob() -> Job? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while queueHead == queue.count && !stopping {
            idleWorkers += 1
            pthread_cond_wait(changed, mutex)
            idleWorkers -= 1
        }
        guard !stopping else { return nil }
        let job = queue[queueHead]
        queueHead += 1
        if queueHead > 1024 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        // The job's token: the worker waits its turn with the job in hand (the mutex is released meanwhile, and a
        // shutdown wakes it: the job then fails as the queued ones do).
        if let due = bucket?.reserve(at: monotonicSeconds()) {
            var delay = due - monotonicSeconds()
            while delay > 0 && !stopping {
                var deadline = timespec()
                clock_gettime(CLOCK_REALTIME, &deadline)
                let nanoseconds = Int(deadline.tv_nsec) + Int(delay * 1e9)
                deadline.tv_sec += nanoseconds / 1_000_000_000
                deadline.tv_nsec = nanoseconds % 1_000_000_000
                pthread_cond_timedwait(tokenWait, mutex, &deadline)
                delay = due - monotonicSeconds()
            }
            if stopping {
                pthread_mutex_unlock(mutex)
                job.complete(.failure(OutcomeClassifier.shutDown))
                pthread_mutex_lock(mutex)
                return nil
            }
        }
        return job
    }

    /// A worker: its own descriptor table, and one libresolv state (with its answer buffer) for its lifetime.
    private func work() {
        var options = self.options
        var error = [CChar](repeating: 0, count: 256)
        let resolver = cresolv_thread_init(&error, error.count) == 0 ? cresolv_open(&options, &error, error.count)
                                                                     : nil
        let opened: Result<Int, ResolverSetupError> = resolver.map { .success(cresolv_deadline_ms($0)) }
            ?? .failure(ResolverSetupError(description: "cannot initialise the resolver: "
                                           + String(decoding: error.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)))
        pthread_mutex_lock(mutex)
        if firstWorker == nil {
            firstWorker = opened
            pthread_cond_broadcast(changed)
        }
        if let resolver { resolvers.append(resolver) }
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            resolvers.removeAll { $0 == resolver }
            pthread_mutex_unlock(mutex)
            cresolv_close(resolver)
        }
        while let job = nextJob() {
            guard let resolver else {
                if case .failure(let failure) = opened { job.complete(.failure(.localError(failure.description))) }
                continue
            }
            let result = cresolv_query(resolver, job.name.description, Int32(job.type.rawValue), 0,
                                       job.options.contains(.checkingDisabled) ? 1 : 0)
            let reply = UnsafeBufferPointer(start: cresolv_reply(resolver), count: Int(CRESOLV_ANSWER_BUFFER_SIZE))
            job.complete(OutcomeClassifier.classify(result, reply: reply, name: job.name, type: job.type))
        }
    }
}
