import CResolv
import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// A bounded pool of POSIX threads, each owning one libresolv state, that runs blocking `res_nquery` calls.
///
/// Blocking calls must not run on Swift's cooperative thread pool (they would starve every other task), so
/// async callers enqueue a job and suspend; a worker runs it and resumes them. Threads are started on demand,
/// up to `width`, so ten addresses never pay for sixteen threads.
final class BlockingLookupPool: @unchecked Sendable {
    // @unchecked: all mutable state below is guarded by `mutex`.
    struct Job {
        let name: DNSName
        let type: RecordType
        /// The CLOCK_MONOTONIC second by which the lookup must end, waiting for a worker included (nil: the
        /// resolver's own timeout x attempts x nameservers, from when a worker takes it).
        let deadline: Double?
        /// Called once, on the worker thread, with the outcome.
        let complete: @Sendable (QueryOutcome) -> Void
    }

    private let options: cresolv_options
    private let width: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let jobAvailable: UnsafeMutablePointer<pthread_cond_t>
    private var queue: [Job] = []
    private var queueHead = 0
    private var threads: [pthread_t] = []
    private var idleWorkers = 0
    private var stopping = false

    init(options: cresolv_options, width: Int) {
        self.options = options
        self.width = max(1, width)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        jobAvailable = .allocate(capacity: 1)
        pthread_cond_init(jobAvailable, nil)
    }

    deinit {
        pthread_cond_destroy(jobAvailable)
        jobAvailable.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs one query on a worker thread, ending by `deadline` (CLOCK_MONOTONIC seconds) when one is given.
    func run(_ name: DNSName, _ type: RecordType, deadline: Double? = nil) async -> QueryOutcome {
        await withCheckedContinuation { continuation in
            submit(name, type, deadline: deadline) { continuation.resume(returning: $0) }
        }
    }

    /// Queues one query; `complete` is called on a worker thread. No Swift task is involved, so a caller on its
    /// own thread (the pipelined engine) does not depend on the cooperative pool being free.
    func submit(_ name: DNSName, _ type: RecordType, deadline: Double?,
                complete: @escaping @Sendable (QueryOutcome) -> Void) {
        do {
            pthread_mutex_lock(mutex)
            guard !stopping else {
                pthread_mutex_unlock(mutex)
                complete(.failure(.localError("resolver is shut down")))
                return
            }
            queue.append(Job(name: name, type: type, deadline: deadline, complete: complete))
            // More jobs waiting than idle workers to take them (an idle worker signalled but not yet awake still
            // counts as idle): another thread, up to the width.
            if queue.count - queueHead > idleWorkers && threads.count < width {
                startWorker()
            }
            if threads.isEmpty {
                // Not even one thread could be started: fail rather than wait for ever.
                queue.removeLast()
                pthread_mutex_unlock(mutex)
                complete(.failure(.localError("cannot start a lookup thread")))
                return
            }
            pthread_cond_signal(jobAvailable)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Stops the workers after the queued jobs and waits for them. Further queries fail at once.
    func shutdown() {
        pthread_mutex_lock(mutex)
        stopping = true
        let running = threads
        threads = []
        pthread_cond_broadcast(jobAvailable)
        pthread_mutex_unlock(mutex)
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
            pthread_cond_wait(jobAvailable, mutex)
            idleWorkers -= 1
        }
        guard queueHead < queue.count else { return nil }
        let job = queue[queueHead]
        queueHead += 1
        if queueHead > 1024 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return job
    }

    /// A worker: one libresolv state (with its answer buffer) for the thread's lifetime.
    private func work() {
        var options = self.options
        var error = [CChar](repeating: 0, count: 256)
        let resolver = cresolv_open(&options, &error, error.count)
        let openError = resolver == nil ? String(decoding: error.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self) : ""
        defer { cresolv_close(resolver) }
        while let job = nextJob() {
            guard let resolver else {
                job.complete(.failure(.localError(openError)))
                continue
            }
            var left = 0
            if let deadline = job.deadline {
                left = Int(((deadline - monotonicSeconds()) * 1000).rounded(.down))
                guard left > 0 else {
                    job.complete(.failure(.timeout))
                    continue
                }
            }
            let result = cresolv_query(resolver, job.name.description, Int32(job.type.rawValue), left)
            let reply = UnsafeBufferPointer(start: cresolv_reply(resolver), count: Int(CRESOLV_ANSWER_BUFFER_SIZE))
            let outcome = OutcomeClassifier.classify(result, reply: reply, name: job.name, type: job.type)
            job.complete(outcome)
        }
    }
}

/// CLOCK_MONOTONIC in seconds: the clock of every deadline in the resolvers.
func monotonicSeconds() -> Double {
    var clock = timespec()
    clock_gettime(CLOCK_MONOTONIC, &clock)
    return Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9
}
