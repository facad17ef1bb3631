import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The pipelined engine's state, used only on its thread: the query table (one slot per query in flight), the
/// window, and the retry and EDNS policy, over its parts: `Selector` (the wait), `PendingWrites` (sends),
/// `ReplyReader` (receives), `QueryIDs`, `AttemptTimers` (UDP deadlines) and `TCPFallback` (truncated replies).
final class LookupEngine {
    struct Request {
        let name: DNSName
        let type: RecordType
        let options: QueryOptions
        let continuation: UnsafeContinuation<QueryOutcome, Never>
    }

    private struct Slot {
        var request: Request?
        var query: QueryMessage
        var server = 0
        /// Attempts sent so far, over all nameservers.
        var sends = 0
        /// Send number of the attempt now awaited (0: none), to tell stale timeouts apart.
        var currentSend: UInt64 = 0
        var started = 0.0
        /// SERVFAIL or REFUSED from an earlier attempt: reported if no attempt gets an answer.
        var lastFailure: LookupFailure?
        /// Whether any attempt went unanswered (else every attempt was refused: no nameserver reachable).
        var timedOut = false

        /// A free slot taken for `request`: everything as new, the query built in the storage it had.
        mutating func restart(_ request: Request, at clock: Double) {
            self.request = request
            query.reset(name: request.name, type: request.type, options: request.options)
            server = 0
            sends = 0
            currentSend = 0
            started = clock
            lastFailure = nil
            timedOut = false
        }
    }

    /// Ready jobs of the executor; appended to while they run.
    var jobs: [UnownedJob] = []
    private var jobsHead = 0

    private let sockets: [Int32]
    let selector: Selector
    private let writes: PendingWrites
    private let reader = ReplyReader()
    private var ids: QueryIDs
    private var timers: AttemptTimers
    private let tcp: TCPFallback
    private let now: () -> Double
    private let attemptsTotal: Int
    /// The window: the most queries in flight, bounded by what the receive buffers hold.
    let window: Int

    private var pending: [Request] = []
    private var pendingHead = 0
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var inFlight = 0
    /// Scratch for the slots whose attempt timed out in a turn.
    private var expired: [Int] = []

    /// Bytes of receive buffer one small datagram costs the kernel (its sk_buff), with room to spare.
    private static let bufferPerDatagram = 2048

    init(nameservers: [Nameserver], timeoutSeconds: Int, attempts: Int, window: Int, tcpLimit: Int,
         clock: @escaping () -> Double) throws(EngineSetupError) {
        selector = try Selector()
        var sockets: [Int32] = []
        var granted = Int.max
        for nameserver in nameservers {
            let fd = nameserver.connectedSocket(SOCK_DGRAM,
                                                receiveBuffer: Int32(window * LookupEngine.bufferPerDatagram))
            guard fd >= 0 else {
                let message = errorText()
                sockets.forEach { close($0) }
                selector.close()
                throw EngineSetupError(description: "cannot open a socket to a nameserver: \(message)")
            }
            selector.watchUDP(fd, index: sockets.count)
            sockets.append(fd)
            granted = min(granted, receiveBufferSize(fd))
        }
        self.sockets = sockets
        // A full window of replies must fit in each socket's receive buffer, or the kernel drops some.
        self.window = max(1, min(window, granted / LookupEngine.bufferPerDatagram))
        writes = PendingWrites(servers: sockets.count,
                               segmenting: sockets.first.map(PendingWrites.segmentationWorks) ?? false)
        ids = QueryIDs(servers: sockets.count)
        timers = AttemptTimers(timeout: Double(timeoutSeconds))
        tcp = TCPFallback(servers: nameservers, selector: selector, limit: tcpLimit)
        now = clock
        attemptsTotal = attempts * sockets.count
    }

    func closeSockets() {
        sockets.forEach { close($0) }
        tcp.failEverything(.localError("resolver is shut down"))
        selector.close()
    }

    // MARK: Jobs

    /// Runs ready jobs in order, at most `limit`, including jobs they make ready.
    func runJobs(on executor: UnownedTaskExecutor, limit: Int) {
        var ran = 0
        while jobsHead < jobs.count && ran < limit {
            let job = jobs[jobsHead]
            jobsHead += 1
            ran += 1
            job.runSynchronously(on: executor)
        }
        if jobsHead == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            jobsHead = 0
        } else if jobsHead > 4096 && jobsHead * 2 > jobs.count {
            // Jobs that make jobs may never leave the queue empty in a run: it would keep every job it ever held.
            jobs.removeFirst(jobsHead)
            jobsHead = 0
        }
    }

    // MARK: Queries

    /// Set when the resolver shuts down: later queries fail at once.
    var stopped = false

    func submit(_ request: Request) {
        guard !stopped else {
            request.continuation.resume(returning: .failure(.localError("resolver is shut down")))
            return
        }
        pending.append(request)
    }

    /// One turn of the loop: start what fits in the window, send, wait (only when nothing is ready), receive,
    /// expire timeouts.
    func turn() {
        expireTimeouts()
        startPending()
        // Sends still queued: the socket would block, or a failed send queued a retry while its batch went out.
        let unsent = flushSends() || writes.hasPending
        var readable: [Bool]? = nil
        var readyExchanges: [Int32] = []
        // Nothing to run or send: wait for replies. That includes a full window with queries still pending (after
        // `startPending` the window is full whenever some are): only replies make room, and asking the sockets
        // over and over meanwhile cost a system call each (measured: 24,000 empty receives for a /16).
        if jobsHead == jobs.count && !unsent {
            let wait = inFlight > 0 || tcp.isBusy
                ? max(0, Int32(((nextDeadline() - now()) * 1000).rounded(.up))) : -1
            var ready = [Bool](repeating: false, count: sockets.count)
            selector.wait(milliseconds: wait) { event in
                switch event {
                case .wakeUp: break
                case .udp(let server): ready[server] = true
                case .tcp(let socket): readyExchanges.append(socket)
                }
            }
            readable = ready
        } else {
            // Busy: no poll this turn, so every TCP exchange (there are few) tries to move on.
            readyExchanges = tcp.sockets
        }
        // After a poll, the sockets it reports, each drained even with nothing in flight (a late duplicate reply or
        // an ICMP error left unread would make the level-triggered epoll return at once forever). Without a poll
        // (busy running checks), every socket while queries are in flight.
        for server in sockets.indices where readable.map({ $0[server] }) ?? (inFlight > 0) {
            receive(from: server)
        }
        let clock = now()
        for socket in readyExchanges { tcp.advance(socket, now: clock) }
        tcp.startWaiting(now: clock, ids: &ids)
    }

    private func startPending() {
        let clock = now()
        while inFlight < window && pendingHead < pending.count {
            let request = pending[pendingHead]
            pendingHead += 1
            let index: Int
            if let free = freeSlots.popLast() {
                index = free
                slots[index].restart(request, at: clock)
            } else {
                index = slots.count
                slots.append(Slot(request: request,
                                  query: QueryMessage(name: request.name, type: request.type, options: request.options),
                                  started: clock))
            }
            inFlight += 1
            send(index, at: clock)
        }
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        } else if pendingHead > 4096 && pendingHead * 2 > pending.count {
            // With more checks than the window the queue is never empty in a run: it kept every request sent, and
            // with it each name asked (about 200 bytes an address, 13 MB of a /16's peak).
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    /// Queues the slot's next attempt: the next nameserver in turn, a fresh random ID unused there.
    private func send(_ index: Int, at clock: Double) {
        let server = slots[index].sends % sockets.count
        slots[index].query.id = ids.take(for: index, server: server)
        slots[index].server = server
        slots[index].sends += 1
        slots[index].currentSend = timers.schedule(index, at: clock)
        writes.append(index, server: server)
    }

    private func flushSends() -> Bool {
        writes.flush(sockets: sockets, query: { slots[$0].query.bytes },
                     failed: { failAttempt($0, timedOut: false) })
    }

    // MARK: Replies

    private func receive(from server: Int) {
        let error = reader.drain(sockets[server]) { reply, cut in handleReply(reply, server: server, cut: cut) }
        if error == ECONNREFUSED { refused(server) }
    }

    /// The retry and EDNS policy: a reply to an attempt in flight ends it; what comes next depends on the reply.
    private func handleReply(_ reply: UnsafeRawBufferPointer, server: Int, cut: Bool) {
        guard reply.count >= 12 else { return }
        let id = UInt16(reply[0]) << 8 | UInt16(reply[1])
        guard let index = ids.owner(of: id, server: server), slots[index].query.isAnswered(by: reply) else { return }
        ids.release(id, server: server)
        slots[index].currentSend = 0
        if cut || reply[2] & 0x02 != 0 {
            retryOverTCP(index)
            return
        }
        let rcode = Int32(reply[3] & 0x0f)
        switch rcode {
        case OutcomeClassification.rcodeFormatError where slots[index].query.usesEDNS:
            // A server (or a middlebox) that does not know EDNS: ask again without the OPT record, as glibc does.
            let request = slots[index].request!
            slots[index].query.reset(name: request.name, type: request.type, options: request.options, edns: false)
            slots[index].lastFailure = OutcomeClassification.failure(rcode: rcode, errorNumber: 0)
            retryOrFinish(index)
        case _ where OutcomeClassification.asksAgain(after: rcode):
            // As glibc does: another attempt (the next nameserver) may answer.
            slots[index].lastFailure = OutcomeClassification.failure(rcode: rcode, errorNumber: 0)
            retryOrFinish(index)
        default:
            let request = slots[index].request!
            finish(index, OutcomeClassification.parse(reply.assumingMemoryBound(to: UInt8.self), name: request.name,
                                                      type: request.type))
        }
    }

    /// An ICMP port unreachable came back on this socket: nothing listens there, so every attempt waiting on it
    /// is over now.
    private func refused(_ server: Int) {
        for index in slots.indices where slots[index].request != nil && slots[index].currentSend != 0
            && slots[index].server == server {
            failAttempt(index, timedOut: false)
        }
    }

    private func failAttempt(_ index: Int, timedOut: Bool) {
        guard slots[index].request != nil, slots[index].currentSend != 0 else { return }
        ids.release(slots[index].query.id, server: slots[index].server)
        slots[index].currentSend = 0
        if timedOut { slots[index].timedOut = true }
        retryOrFinish(index)
    }

    private func retryOrFinish(_ index: Int) {
        if slots[index].sends < attemptsTotal {
            send(index, at: now())
        } else {
            let slot = slots[index]
            finish(index, .failure(slot.lastFailure ?? (slot.timedOut ? .timeout : .unreachable)))
        }
    }

    /// Fails the attempts and TCP exchanges whose time is up.
    private func expireTimeouts() {
        let clock = now()
        timers.expire(at: clock, isLive: { slots[$0].currentSend == $1 }, into: &expired)
        for index in expired { failAttempt(index, timedOut: true) }
        tcp.expire(at: clock)
    }

    /// The next live deadline (`expireTimeouts` keeps the timers' head live), TCP included.
    private func nextDeadline() -> Double {
        tcp.nextDeadline(before: timers.nextDeadline ?? now() + 1)
    }

    // MARK: TCP

    /// A truncated reply: the same question over TCP to the same nameserver, within what is left of the query's
    /// time; another nameserver is tried if the connection fails early.
    private func retryOverTCP(_ index: Int) {
        let slot = slots[index]
        release(index)
        tcp.ask(slot.request!, query: slot.query, server: slot.server,
                deadline: slot.started + timers.timeout * Double(attemptsTotal), now: now(), ids: &ids)
    }

    private func finish(_ index: Int, _ outcome: QueryOutcome) {
        let continuation = slots[index].request!.continuation
        release(index)
        continuation.resume(returning: outcome)
    }

    private func release(_ index: Int) {
        slots[index].request = nil
        slots[index].currentSend = 0
        freeSlots.append(index)
        inFlight -= 1
    }

    /// Resumes every waiting query with `failure` (shutdown); queries asked after this fail at once.
    func failEverything(_ failure: LookupFailure) {
        stopped = true
        for index in slots.indices where slots[index].request != nil { finish(index, .failure(failure)) }
        tcp.failEverything(failure)
        while pendingHead < pending.count {
            pending[pendingHead].continuation.resume(returning: .failure(failure))
            pendingHead += 1
        }
        pending.removeAll()
        pendingHead = 0
    }
}
