import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The pipelined engine's state, used only on its thread: the query table (one slot per query in flight), the
/// window, and the retry and EDNS policy, over its parts: `Selector` (the wait), `PendingWrites` (sends),
/// `ReplyReader` (receives), `QueryIDs`, `AttemptTimers` (UDP deadlines) and `TCPFallback` (truncated replies),
/// and the pacing: `TokenBucket` (the send rate, when there is one), `SendRateController` (AIMD: the rate adapted
/// to a nameserver that drops queries) and `RoundTripEstimator` (when an unanswered datagram was most likely
/// dropped, to be asked again without spending an attempt).
final class LookupEngine {
    struct Request {
        let name: DNSName
        let type: RecordType
        let options: QueryOptions
        let waiter: ReplyWaiter
    }

    private struct Slot {
        var request: Request?
        var query: QueryMessage
        var server = 0
        /// Attempts begun so far, over all nameservers.
        var sends = 0
        /// Datagrams of the current attempt after its first: asked again early, not spending an attempt.
        var resends = 0
        /// When the current attempt's first datagram and its latest one left.
        var attemptStarted = 0.0
        var lastSent = 0.0
        /// The query's hard limit: timeout x attempts x nameservers after its first datagram left (waiting for a
        /// token of the send rate before that is not counted); infinity until then.
        var deadline = Double.infinity
        /// Ticket of its place in the queue waiting for the send rate (0: not waiting).
        var ticket: UInt64 = 0
        /// Send number of the attempt now awaited (0: none), to tell stale timeouts apart.
        var currentSend: UInt64 = 0
        var started = 0.0
        /// SERVFAIL or REFUSED from an earlier attempt: reported if no attempt gets an answer.
        var lastFailure: LookupFailure?
        /// Whether any attempt went unanswered (else every attempt was refused: no nameserver reachable).
        var timedOut = false

        /// A free slot taken for `request`: everything as new, the query built in the storage it had.
        mutating func restart(_ request: consuming Request, at clock: Double) {
            // Stored first, the query then built from the name where the slot keeps it: built from the parameter,
            // the name was retained and released around it (Swift 6.3).
            self.request = request
            query.reset(name: self.request!.name, type: self.request!.type, options: self.request!.options)
            server = 0
            sends = 0
            resends = 0
            deadline = .infinity
            ticket = 0
            currentSend = 0
            started = clock
            lastFailure = nil
            timedOut = false
        }
    }

    /// Ready jobs of the executor; appended to while they run.
    var jobs: [UnownedJob] = []
    private var jobsHead = 0
    /// Where checks on this thread wait for their replies (`PipelinedResolver.query`).
    let parking = QueryParking()

    private let sockets: [Int32]
    let selector: Selector
    private let writes: PendingWrites
    private let reader = ReplyReader()
    private var ids: QueryIDs
    private var timers: AttemptTimers
    private let tcp: TCPFallback
    private let now: () -> Double
    private let attemptsTotal: Int
    private let nameservers: [Nameserver]
    private var roundTrips: RoundTripEstimator
    private var rateController: SendRateController
    /// The send rate; nil: none (every datagram goes at once).
    private var bucket: TokenBucket?
    /// Slots waiting for a token, in order, with the ticket each waits under (a stale one is skipped).
    private var paced: [(slot: Int, ticket: UInt64)] = []
    private var pacedHead = 0
    private var tickets: UInt64 = 0
    /// This run's pacing so far, for the log; read by other threads through `takePacingSummary`.
    let pacing: Locked<PacingSummary>
    private var pacingPublished = 0.0
    /// The window: the most queries in flight, bounded by what the receive buffers hold.
    let window: Int

    /// Requests waiting for room in the window; each is moved out (nil left behind) when its query starts.
    private var pending: [Request?] = []
    private var pendingHead = 0
    /// The query table: room for a window of slots, allocated once (a slot is added only while all are in use and
    /// the window is not full), `slotCount` of them made so far. A buffer, not an array: every write to a slot of an
    /// array this class holds checked the array's uniqueness (about 13 calls a query).
    private let slots: UnsafeMutablePointer<Slot>
    private var slotCount = 0
    private var freeSlots: [Int] = []
    private var inFlight = 0
    /// Scratch for the slots whose attempt timed out in a turn.
    private var expired: [Int] = []

    /// Bytes of receive buffer one small datagram costs the kernel (its sk_buff), with room to spare.
    private static let bufferPerDatagram = 2048

    /// `rate`: at most that many queries a second (`--rate`); nil: no limit until a nameserver drops queries.
    init(nameservers: [Nameserver], timeoutSeconds: Int, attempts: Int, window: Int, tcpLimit: Int, rate: Int? = nil,
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
        // A full window of replies must fit in each socket's receive buffer, or the kernel drops some; and each
        // query's slot must fit an ID's owner.
        self.window = max(1, min(window, granted / LookupEngine.bufferPerDatagram, QueryIDs.maximumSlots))
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: self.window)
        writes = PendingWrites(servers: sockets.count,
                               segmenting: sockets.first.map(PendingWrites.segmentationWorks) ?? false)
        ids = QueryIDs(servers: sockets.count)
        timers = AttemptTimers(timeout: Double(timeoutSeconds))
        tcp = TCPFallback(servers: nameservers, selector: selector, limit: tcpLimit)
        now = clock
        attemptsTotal = attempts * sockets.count
        self.nameservers = nameservers
        roundTrips = RoundTripEstimator(timeout: Double(timeoutSeconds))
        rateController = SendRateController(fixedRate: rate.map(Double.init))
        bucket = rate.map { TokenBucket.pacing(rate: Double($0)) }
        pacing = Locked(PacingSummary(fixedRate: rate))
        parking.engine = Unmanaged.passUnretained(self)
    }

    deinit {
        slots.deinitialize(count: slotCount)
        slots.deallocate()
    }

    func closeSockets() {
        sockets.forEach { close($0) }
        tcp.failEverything(.localError("resolver is shut down"))
        selector.close()
    }

    // MARK: Jobs

    /// Runs ready jobs in order, at most `limit`, including jobs they make ready.
    func runJobs(on executor: UnownedSerialExecutor, limit: Int) {
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

    func submit(_ request: consuming Request) {
        guard !stopped else {
            request.waiter.resume(returning: .failure(.localError("resolver is shut down")))
            return
        }
        pending.append(request)
    }

    /// One turn of the loop: start what fits in the window, send, wait (only when nothing is ready), receive,
    /// expire timeouts.
    func turn() {
        expireTimeouts()
        sendPaced()
        startPending()
        // Sends still queued: the socket would block, or a failed send queued a retry while its batch went out.
        let unsent = flushSends() || writes.hasPending
        var readable: [Bool]? = nil
        var readyExchanges: [Int32] = []
        // Nothing to run or send: wait for replies. That includes a full window with queries still pending (after
        // `startPending` the window is full whenever some are): only replies make room, and asking the sockets
        // over and over meanwhile cost a system call each (measured: 24,000 empty receives for a /16).
        if jobsHead == jobs.count && !unsent && !parking.hasReady {
            let wait = inFlight > 0 || tcp.isBusy || pacedHead < paced.count
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
            // Moved, not copied, from the queue to the slot: a copy retained the name asked, and the queue's copy
            // was released only when the queue was emptied or cut.
            let request = pending[pendingHead].take()!
            pendingHead += 1
            let index: Int
            if let free = freeSlots.popLast() {
                index = free
                slots[index].restart(request, at: clock)
            } else {
                index = slotCount
                // Every slot made is in use and fewer than the window are: the table has room (checked, as a slot
                // written past it would corrupt the heap, where the array it replaced only grew).
                precondition(slotCount < window, "query table full: \(slotCount) slots for a window of \(window)")
                let query = QueryMessage(name: request.name, type: request.type, options: request.options)
                (slots + index).initialize(to: Slot(request: request, query: query, started: clock))
                slotCount += 1
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

    /// Begins the slot's next attempt: the next nameserver in turn, a fresh random ID unused there.
    private func send(_ index: Int, at clock: Double) {
        let server = slots[index].sends % sockets.count
        slots[index].query.id = ids.take(for: index, server: server)
        slots[index].server = server
        slots[index].sends += 1
        slots[index].resends = 0
        transmit(index, at: clock)
    }

    /// Sends the slot's datagram now, or queues it for a token of the send rate (behind those already waiting).
    private func transmit(_ index: Int, at clock: Double) {
        if bucket == nil || pacedHead == paced.count && bucket!.take(at: clock) {
            emit(index, at: clock)
        } else {
            tickets += 1
            slots[index].ticket = tickets
            paced.append((index, tickets))
        }
    }

    /// The datagrams whose token has come, in order; a query whose hard limit passed while it waited ends.
    private func sendPaced() {
        guard pacedHead < paced.count else { return }
        let clock = now()
        while pacedHead < paced.count {
            let (index, ticket) = paced[pacedHead]
            guard slots[index].request != nil && slots[index].ticket == ticket else {
                pacedHead += 1
                continue
            }
            if clock >= slots[index].deadline {
                pacedHead += 1
                slots[index].timedOut = true
                giveUp(index)
                continue
            }
            guard bucket!.take(at: clock) else { break }
            pacedHead += 1
            emit(index, at: clock)
        }
        if pacedHead == paced.count {
            paced.removeAll(keepingCapacity: true)
            pacedHead = 0
        }
    }

    /// Queues the slot's datagram for the socket and sets its deadline: the attempt's timeout, or sooner when
    /// other queries are being answered and this one may be asked again early (`RoundTripEstimator`).
    private func emit(_ index: Int, at clock: Double) {
        slots[index].ticket = 0
        if slots[index].resends == 0 { slots[index].attemptStarted = clock }
        if slots[index].deadline == .infinity { slots[index].deadline = clock + timers.timeout * Double(attemptsTotal) }
        slots[index].lastSent = clock
        let attemptEnd = min(slots[index].attemptStarted + timers.timeout, slots[index].deadline)
        let early = roundTrips.retryDelay(afterResends: slots[index].resends, at: clock).map { clock + $0 }
        slots[index].currentSend = timers.schedule(index, until: min(early ?? attemptEnd, attemptEnd))
        writes.append(index, server: slots[index].server)
    }

    private func flushSends() -> Bool {
        writes.flush(sockets: sockets, copyQuery: { slots[$0].query.copyBytes(to: $1) },
                     failed: { failAttempt($0, timedOut: false) })
    }

    // MARK: Replies

    private func receive(from server: Int) {
        let error = reader.drain(sockets[server], clock: now) { reply, cut, clock in
            handleReply(reply, server: server, cut: cut, at: clock)
        }
        if error == ECONNREFUSED { refused(server) }
    }

    /// The retry and EDNS policy: a reply to an attempt in flight ends it; what comes next depends on the reply.
    private func handleReply(_ reply: UnsafeRawBufferPointer, server: Int, cut: Bool, at clock: Double) {
        guard reply.count >= 12 else { return }
        let id = UInt16(reply[0]) << 8 | UInt16(reply[1])
        guard let index = ids.owner(of: id, server: server), slots[index].query.isAnswered(by: reply) else { return }
        ids.release(id, server: server)
        answered(index, at: clock)
        slots[index].currentSend = 0
        slots[index].ticket = 0
        timers.cancel(index)
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
            // Moved out of the slot, which it ends, not copied (a copy retained and released the name asked); its
            // lifetime extended over the parse, or the name was retained and released around it (Swift 6.3).
            let request = slots[index].request.take()!
            let outcome = withExtendedLifetime(request) {
                OutcomeClassification.parse(reply.assumingMemoryBound(to: UInt8.self), name: request.name,
                                            type: request.type)
            }
            finish(index, request, outcome)
        }
    }

    /// An ICMP port unreachable came back on this socket: nothing listens there, so every attempt waiting on it
    /// is over now.
    private func refused(_ server: Int) {
        for index in 0..<slotCount where slots[index].request != nil && slots[index].currentSend != 0
            && slots[index].server == server {
            failAttempt(index, timedOut: false)
        }
    }

    private func failAttempt(_ index: Int, timedOut: Bool) {
        guard slots[index].request != nil, slots[index].currentSend != 0 else { return }
        ids.release(slots[index].query.id, server: slots[index].server)
        slots[index].currentSend = 0
        timers.cancel(index)
        if timedOut { slots[index].timedOut = true }
        retryOrFinish(index)
    }

    private func retryOrFinish(_ index: Int) {
        let clock = now()
        if slots[index].sends < attemptsTotal && clock < slots[index].deadline {
            send(index, at: clock)
        } else {
            giveUp(index)
        }
    }

    /// Ends the query without an answer: the last SERVFAIL or REFUSED, else a timeout (or nothing reachable).
    private func giveUp(_ index: Int) {
        if slots[index].currentSend != 0 || slots[index].ticket != 0 {
            ids.release(slots[index].query.id, server: slots[index].server)
        }
        finish(index, .failure(slots[index].lastFailure ?? (slots[index].timedOut ? .timeout : .unreachable)))
    }

    /// Fails the attempts and TCP exchanges whose time is up. A datagram whose early deadline came (others are
    /// being answered, so it was most likely dropped) is asked again under the same ID without spending an
    /// attempt; the attempt's own timeout and the query's hard limit still end it as before.
    private func expireTimeouts() {
        var clock = now()
        if let next = timers.nextDeadline, next <= clock {
            // Replies that came while this thread was not running (a busy machine) are read before any datagram
            // is called lost: a loss read from the clock alone would slow the engine down for nothing.
            for server in sockets.indices { receive(from: server) }
            clock = now()
        }
        timers.expire(at: clock, isLive: { slots[$0].currentSend == $1 }, into: &expired)
        for index in expired {
            lost(index, at: clock)
            let attemptEnd = min(slots[index].attemptStarted + timers.timeout, slots[index].deadline)
            if clock >= attemptEnd {
                failAttempt(index, timedOut: true)
            } else if roundTrips.answersFlowing(at: clock) {
                slots[index].currentSend = 0
                slots[index].resends += 1
                pacing.withLock { $0.askedAgain += 1 }
                transmit(index, at: clock)
            } else {
                // No answers lately: the server may be down, not limiting; the attempt waits out its timeout.
                slots[index].currentSend = timers.schedule(index, until: attemptEnd)
            }
        }
        tcp.expire(at: clock)
    }

    // MARK: Pacing

    /// A reply to the slot's query: a round trip to measure (when the attempt had one datagram out), and an
    /// answer for the send rate.
    private func answered(_ index: Int, at clock: Double) {
        roundTrips.answered(roundTrip: slots[index].resends == 0 ? clock - slots[index].lastSent : nil, at: clock)
        guard !rateController.fixed else { return }
        rateController.answered(at: clock, limited: pacedHead < paced.count)
        if let rate = rateController.rate {
            bucket?.change(rate: rate, at: clock)
            if clock - pacingPublished >= 0.1 { publish(rate: rate, at: clock) }
        }
    }

    /// The slot's latest datagram went unanswered until its deadline: the send rate may have to come down.
    private func lost(_ index: Int, at clock: Double) {
        guard let rate = rateController.lost(sentAt: slots[index].lastSent, at: clock) else { return }
        if bucket == nil {
            bucket = TokenBucket.pacing(rate: rate)
        } else {
            bucket!.change(rate: rate, at: clock)
        }
        let nameserver = nameservers[slots[index].server].description
        pacing.withLock { summary in
            summary.slowdowns += 1
            if summary.firstSlowdown == nil {
                summary.firstSlowdown = PacingSummary.Slowdown(nameserver: nameserver, rate: Int(rate.rounded()))
            }
        }
        publish(rate: rate, at: clock)
    }

    private func publish(rate: Double, at clock: Double) {
        pacingPublished = clock
        pacing.withLock { $0.rate = Int(rate.rounded()) }
    }

    /// The next live deadline (`expireTimeouts` keeps the timers' head live), TCP and the tokens for the datagrams
    /// waiting for the send rate included. Those wait for up to 5 ms of the rate and go out together: a wake-up
    /// and a system call per datagram cost more CPU than the paced queries themselves.
    private func nextDeadline() -> Double {
        var next = timers.nextDeadline ?? now() + 1
        if pacedHead < paced.count && bucket != nil {
            let count = min(paced.count - pacedHead, max(1, Int(bucket!.rate * 0.005)))
            next = min(next, bucket!.nextToken(at: now(), count: count))
        }
        return tcp.nextDeadline(before: next)
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

    /// Ends the slot's query: the slot is free, its waiter gets `outcome`.
    private func finish(_ index: Int, _ outcome: consuming QueryOutcome) {
        finish(index, slots[index].request.take()!, outcome)
    }

    /// The same, with the slot's request already moved out of it.
    private func finish(_ index: Int, _ request: Request, _ outcome: consuming QueryOutcome) {
        release(index)
        request.waiter.resume(returning: outcome)
    }

    private func release(_ index: Int) {
        slots[index].request = nil
        slots[index].currentSend = 0
        slots[index].ticket = 0
        timers.cancel(index)
        freeSlots.append(index)
        inFlight -= 1
    }

    /// Resumes every waiting query with `failure` (shutdown); queries asked after this fail at once.
    func failEverything(_ failure: LookupFailure) {
        stopped = true
        for index in 0..<slotCount where slots[index].request != nil { finish(index, .failure(failure)) }
        tcp.failEverything(failure)
        while pendingHead < pending.count {
            pending[pendingHead].take()!.waiter.resume(returning: .failure(failure))
            pendingHead += 1
        }
        pending.removeAll()
        pendingHead = 0
    }
}
