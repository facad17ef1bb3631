import CResolv
import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// The pipelined engine's state, used only on its thread: queries waiting for room in the window, the queries in
/// flight (slots, indexed per nameserver socket by ID), their timeouts, the TCP exchanges and the queries waiting
/// for one, and the executor's ready jobs.
final class LookupEngine {
    struct Request {
        let name: DNSName
        let type: RecordType
        let continuation: UnsafeContinuation<QueryOutcome, Never>
    }

    private struct Slot {
        var request: Request?
        var query: QueryMessage
        var server = 0
        /// Attempts sent so far, over all nameservers.
        var sends = 0
        /// Number of the send now awaited (0: none), to tell stale timeouts apart.
        var currentSend: UInt64 = 0
        var started = 0.0
        /// SERVFAIL or REFUSED from an earlier attempt: reported if no attempt gets an answer.
        var lastFailure: LookupFailure?
        /// Whether any attempt went unanswered (else every attempt was refused: no nameserver reachable).
        var timedOut = false

        /// A free slot taken for `request`: everything as new, the query built in the storage it had.
        mutating func restart(_ request: Request, at clock: Double) {
            self.request = request
            query.reset(name: request.name, type: request.type)
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
    private let poller: Int32
    private let wake: Int32
    private let timeout: Double
    private let attemptsTotal: Int
    /// The window: the most queries in flight, bounded by what the receive buffers hold.
    let window: Int
    /// Where each nameserver is, for TCP.
    private let servers: [(family: Int32, address: [UInt8], port: UInt16)]
    /// Queries asked again over TCP after a truncated reply, by socket.
    private var exchanges: [Int32: TCPLookup] = [:]
    /// The most exchanges at once: each holds a descriptor (see `DescriptorBudget`).
    private let tcpLimit: Int
    /// Queries waiting for an exchange to end, in order from `tcpWaitingHead`; each still ends at its deadline.
    private var tcpWaiting: [TCPQuery] = []
    private var tcpWaitingHead = 0
    /// Set when opening a TCP socket found no descriptor free (something else holds them): no new exchange
    /// starts before this time.
    private var tcpPausedUntil = 0.0

    private struct TCPLookup {
        var exchange: TCPExchange
        let request: Request
        /// What is left of the query's time (timeout x attempts from its first send).
        let deadline: Double
        /// Nameservers tried over TCP so far, this one included.
        var tried: Int
    }

    /// A query to ask over TCP once there is room.
    private struct TCPQuery {
        let request: Request
        let query: QueryMessage
        let server: Int
        let deadline: Double
        /// Nameservers tried over TCP so far, this one included.
        let tried: Int
    }

    private var pending: [Request] = []
    private var pendingHead = 0
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var inFlight = 0
    /// Slot index + 1 per (server, ID), 0 when the ID is free there.
    private var owners: [Int32]
    private var timeouts: [(deadline: Double, slot: Int, send: UInt64)] = []
    private var timeoutsHead = 0
    private var sendCounter: UInt64 = 0
    private var sendQueues: [[Int]]
    /// Unpredictable query IDs (against spoofed replies), fetched from the kernel 2,048 at a time.
    private var randomIDs = [UInt16](repeating: 0, count: 2048)
    private var randomIDsLeft = 0

    private static let batch = 64
    private static let stride = 2048
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: LookupEngine.batch * LookupEngine.stride, alignment: 16)
    private var lengths = [UInt16](repeating: 0, count: LookupEngine.batch)
    private var readyTags = [UInt64](repeating: 0, count: 8)
    private var sendBuffer = [UInt8](repeating: 0, count: LookupEngine.batch * 512)
    private var sendOffsets = [UInt32](repeating: 0, count: LookupEngine.batch)
    private var sendLengths = [UInt16](repeating: 0, count: LookupEngine.batch)

    /// Bytes of receive buffer one small datagram costs the kernel (its sk_buff), with room to spare.
    private static let bufferPerDatagram = 2048

    init(options: cresolv_options, settings: ResolverSettings, window: Int, tcpLimit: Int, wake: Int32)
        throws(ResolverSetupError) {
        var options = options
        if options.nameserver_count == 0 && cresolv_options_add_system_nameservers(&options) <= 0 {
            throw ResolverSetupError(description: "cannot initialise the resolver: no nameserver configured "
                                     + "(none given and none in /etc/resolv.conf)")
        }
        var sockets: [Int32] = []
        var servers: [(family: Int32, address: [UInt8], port: UInt16)] = []
        var granted = Int.max
        for index in 0..<options.nameserver_count {
            var family: Int32 = 0
            var port: UInt16 = 0
            var address = [UInt8](repeating: 0, count: 16)
            cresolv_options_nameserver(&options, index, &family, &address, &port)
            let fd = cresolv_udp_open(family, address, port, Int32(window * LookupEngine.bufferPerDatagram))
            guard fd >= 0 else {
                let message = errorText()
                sockets.forEach { close($0) }
                throw ResolverSetupError(description: "cannot open a socket to a nameserver: \(message)")
            }
            sockets.append(fd)
            servers.append((family, address, port))
            granted = min(granted, Int(cresolv_udp_receive_buffer(fd)))
        }
        poller = cresolv_poll_create()
        guard poller >= 0 else {
            sockets.forEach { close($0) }
            throw ResolverSetupError(description: "cannot create an epoll instance: \(errorText())")
        }
        cresolv_poll_add(poller, wake, 0)
        for (index, fd) in sockets.enumerated() { cresolv_poll_add(poller, fd, UInt64(index + 1)) }
        self.sockets = sockets
        self.servers = servers
        self.wake = wake
        // A full window of replies must fit in each socket's receive buffer, or the kernel drops some.
        self.window = max(1, min(window, granted / LookupEngine.bufferPerDatagram))
        self.tcpLimit = max(1, tcpLimit)
        timeout = Double(settings.timeoutSeconds)
        attemptsTotal = settings.attempts * sockets.count
        owners = [Int32](repeating: 0, count: sockets.count * 65_536)
        sendQueues = [[Int]](repeating: [], count: sockets.count)
    }

    deinit {
        receiveBuffer.deallocate()
    }

    func closeSockets() {
        sockets.forEach { close($0) }
        exchanges.keys.forEach { close($0) }
        exchanges.removeAll()
        close(poller)
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
        let unsent = flushSends() || sendQueues.contains { !$0.isEmpty }
        var receiveFrom: [Bool]? = nil
        var readyExchanges: [Int32] = []
        // Nothing to run or send: wait for replies. That includes a full window with queries still pending (after
        // `startPending` the window is full whenever some are): only replies make room, and asking the sockets
        // over and over meanwhile cost a system call each (measured: 24,000 empty receives for a /16).
        if jobsHead == jobs.count && !unsent {
            let waiting = inFlight > 0 || !exchanges.isEmpty || tcpWaitingHead < tcpWaiting.count
            let wait = waiting ? max(0, Int32(((nextDeadline() - now()) * 1000).rounded(.up))) : -1
            let ready = Int(cresolv_poll_wait(poller, &readyTags, Int32(readyTags.count), wait))
            var readable = [Bool](repeating: false, count: sockets.count)
            for tag in readyTags.prefix(max(0, ready)) {
                if tag == 0 {
                    cresolv_wake_drain(wake)
                } else if tag >= LookupEngine.tcpTag {
                    readyExchanges.append(Int32(truncatingIfNeeded: tag - LookupEngine.tcpTag))
                } else {
                    readable[Int(tag) - 1] = true
                }
            }
            receiveFrom = readable
        } else {
            // Busy: no poll this turn, so every TCP exchange (there are few) tries to move on.
            readyExchanges = Array(exchanges.keys)
        }
        // After a poll, the sockets it reports, each drained even with nothing in flight (a late duplicate reply or
        // an ICMP error left unread would make the level-triggered epoll return at once forever). Without a poll
        // (busy running checks), every socket while queries are in flight.
        for server in sockets.indices where receiveFrom.map({ $0[server] }) ?? (inFlight > 0) {
            receive(from: server)
        }
        readyExchanges.forEach(advanceTCP)
        startWaitingExchanges()
    }

    /// Poll tags at and above this are TCP sockets (tag - tcpTag is the descriptor); below, 0 is the wake-up
    /// eventfd and 1... the UDP sockets.
    private static let tcpTag: UInt64 = 1 << 32

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
                slots.append(Slot(request: request, query: QueryMessage(name: request.name, type: request.type),
                                  started: clock))
            }
            inFlight += 1
            send(index, at: clock)
        }
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
    }

    /// Queues the slot's next attempt: the next nameserver in turn, a fresh random ID unused there.
    private func send(_ index: Int, at clock: Double) {
        let server = slots[index].sends % sockets.count
        var id = nextRandomID()
        while owners[server << 16 | Int(id)] != 0 { id = nextRandomID() }
        owners[server << 16 | Int(id)] = Int32(index + 1)
        sendCounter += 1
        slots[index].query.id = id
        slots[index].server = server
        slots[index].sends += 1
        slots[index].currentSend = sendCounter
        sendQueues[server].append(index)
        timeouts.append((clock + timeout, index, sendCounter))
    }

    private func nextRandomID() -> UInt16 {
        if randomIDsLeft == 0 {
            let filled = randomIDs.withUnsafeMutableBytes { cresolv_random_fill($0.baseAddress, $0.count) }
            if filled != 0 {
                var generator = SystemRandomNumberGenerator()
                for index in randomIDs.indices { randomIDs[index] = generator.next() }
            }
            randomIDsLeft = randomIDs.count
        }
        randomIDsLeft -= 1
        return randomIDs[randomIDsLeft]
    }

    /// Sends the queued attempts in batches; returns whether some could not be sent yet (socket buffer full).
    private func flushSends() -> Bool {
        var unsent = false
        for server in sockets.indices where !sendQueues[server].isEmpty {
            // Attempts queued while this batch goes out (retries after a refused send) join the queue's end.
            var queue = sendQueues[server]
            sendQueues[server] = []
            var done = 0
            var retriedRefused = false
            while done < queue.count {
                let count = min(LookupEngine.batch, queue.count - done)
                // Equal lengths side by side: each run goes out as one segmented (GSO) message.
                queue[done..<(done + count)].sort { slots[$0].query.bytes.count < slots[$1].query.bytes.count }
                var offset = 0
                for position in 0..<count {
                    let bytes = slots[queue[done + position]].query.bytes
                    sendBuffer.withUnsafeMutableBufferPointer { buffer in
                        _ = UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + bytes.count)])
                            .initialize(from: bytes)
                    }
                    sendOffsets[position] = UInt32(offset)
                    sendLengths[position] = UInt16(bytes.count)
                    offset += bytes.count
                }
                let sent = cresolv_udp_send_batch(sockets[server], sendBuffer, sendOffsets, sendLengths, Int32(count))
                if sent < 0 && errno == ECONNREFUSED && !retriedRefused {
                    // The error belongs to an earlier datagram (an ICMP unreachable) and is now consumed: this batch
                    // was not sent, so send it once more rather than spend an attempt of each of its queries.
                    retriedRefused = true
                    continue
                }
                if sent < 0 {
                    // ECONNREFUSED from an earlier datagram, or a local error: these attempts went nowhere.
                    for position in 0..<count { failAttempt(queue[done + position], timedOut: false) }
                    done += count
                    continue
                }
                done += Int(sent)
                if Int(sent) < count {
                    unsent = true
                    break
                }
            }
            sendQueues[server] = Array(queue[done...]) + sendQueues[server]
        }
        return unsent
    }

    // MARK: Replies

    private func receive(from server: Int) {
        while true {
            let count = cresolv_udp_receive_batch(sockets[server], receiveBuffer.baseAddress,
                                                  Int32(LookupEngine.stride),
                                                  &lengths, Int32(LookupEngine.batch))
            if count < 0 {
                if errno == ECONNREFUSED { refused(server) }
                return
            }
            for position in 0..<Int(count) {
                let length = Int(lengths[position])
                let start = receiveBuffer.baseAddress! + position * LookupEngine.stride
                handleReply(UnsafeRawBufferPointer(start: start, count: min(length, LookupEngine.stride)),
                            server: server, cut: length > LookupEngine.stride)
            }
            if Int(count) < LookupEngine.batch { return }
        }
    }

    private func handleReply(_ reply: UnsafeRawBufferPointer, server: Int, cut: Bool) {
        guard reply.count >= 12 else { return }
        let id = UInt16(reply[0]) << 8 | UInt16(reply[1])
        let owner = Int(owners[server << 16 | Int(id)])
        guard owner > 0 else { return }
        let index = owner - 1
        guard slots[index].query.isAnswered(by: reply) else { return }
        owners[server << 16 | Int(id)] = 0
        slots[index].currentSend = 0
        if cut || reply[2] & 0x02 != 0 {
            retryOverTCP(index)
            return
        }
        switch Int32(reply[3] & 0x0f) {
        case OutcomeClassifier.rcodeFormatError where slots[index].query.usesEDNS:
            // A server (or a middlebox) that does not know EDNS: ask again without the OPT record, as glibc does.
            let request = slots[index].request!
            slots[index].query.reset(name: request.name, type: request.type, edns: false)
            slots[index].lastFailure = .formatError
            retryOrFinish(index)
        case OutcomeClassifier.rcodeServerFailure, OutcomeClassifier.rcodeRefused,
             OutcomeClassifier.rcodeNotImplemented:
            // As glibc does: another attempt (the next nameserver) may answer.
            slots[index].lastFailure = OutcomeClassifier.failure(rcode: Int32(reply[3] & 0x0f), errorNumber: 0)
            retryOrFinish(index)
        default:
            let request = slots[index].request!
            finish(index, OutcomeClassifier.parse(reply.assumingMemoryBound(to: UInt8.self), name: request.name,
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
        owners[slots[index].server << 16 | Int(slots[index].query.id)] = 0
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

    /// Fails the attempts whose time is up, and drops entries of attempts already answered from the head, so
    /// the head is always the next live deadline.
    private func expireTimeouts() {
        let clock = now()
        while timeoutsHead < timeouts.count {
            let entry = timeouts[timeoutsHead]
            let live = slots[entry.slot].currentSend == entry.send
            guard !live || entry.deadline <= clock else { break }
            timeoutsHead += 1
            if live { failAttempt(entry.slot, timedOut: true) }
        }
        if timeoutsHead > 4096 && timeoutsHead * 2 > timeouts.count {
            timeouts.removeFirst(timeoutsHead)
            timeoutsHead = 0
        }
        for (socket, lookup) in exchanges where lookup.deadline <= clock {
            endExchange(socket)
            lookup.request.continuation.resume(returning: .failure(.timeout))
        }
        if tcpWaiting[tcpWaitingHead...].contains(where: { $0.deadline <= clock }) {
            let waiting = tcpWaiting[tcpWaitingHead...]
            tcpWaiting = waiting.filter { $0.deadline > clock }
            tcpWaitingHead = 0
            for query in waiting where query.deadline <= clock {
                query.request.continuation.resume(returning: .failure(.timeout))
            }
        }
    }

    /// The next live deadline (`expireTimeouts` keeps the head live), TCP exchanges and queries waiting for one
    /// included, and the end of a pause in opening TCP sockets.
    private func nextDeadline() -> Double {
        let udp = timeoutsHead < timeouts.count ? timeouts[timeoutsHead].deadline : now() + 1
        var next = exchanges.values.reduce(udp) { min($0, $1.deadline) }
        guard tcpWaitingHead < tcpWaiting.count else { return next }
        // Queries wait with room for more exchanges only during a pause.
        if exchanges.count < tcpLimit { next = min(next, tcpPausedUntil) }
        return tcpWaiting[tcpWaitingHead...].reduce(next) { min($0, $1.deadline) }
    }

    // MARK: TCP

    /// A truncated reply: the same question over TCP to the same nameserver, within what is left of the query's
    /// time; another nameserver is tried if the connection fails early.
    private func retryOverTCP(_ index: Int) {
        let slot = slots[index]
        let deadline = slot.started + timeout * Double(attemptsTotal)
        release(index)
        startExchange(request: slot.request!, query: slot.query, server: slot.server, deadline: deadline, tried: 1)
    }

    /// Queues the exchange, and starts it (and those queued before it) if there is room.
    private func startExchange(request: Request, query: QueryMessage, server: Int, deadline: Double, tried: Int) {
        tcpWaiting.append(TCPQuery(request: request, query: query, server: server, deadline: deadline, tried: tried))
        startWaitingExchanges()
    }

    /// Starts waiting exchanges, oldest first, while fewer than `tcpLimit` are open.
    private func startWaitingExchanges() {
        while tcpWaitingHead < tcpWaiting.count && exchanges.count < tcpLimit && now() >= tcpPausedUntil
            && openExchange(tcpWaiting[tcpWaitingHead]) {
            tcpWaitingHead += 1
        }
        if tcpWaitingHead == tcpWaiting.count {
            tcpWaiting.removeAll(keepingCapacity: true)
            tcpWaitingHead = 0
        }
    }

    /// Opens the exchange, or fails the query (after trying the next nameserver); false, and a short pause, when
    /// no descriptor is free: then the query waits for one.
    private func openExchange(_ waiting: TCPQuery) -> Bool {
        let (request, server, deadline, tried) = (waiting.request, waiting.server, waiting.deadline, waiting.tried)
        var query = waiting.query
        query.id = nextRandomID()
        let address = servers[server]
        let socket = cresolv_tcp_open(address.family, address.address, address.port)
        guard socket >= 0 else {
            if errno == EMFILE || errno == ENFILE {
                tcpPausedUntil = now() + LookupEngine.descriptorPause
                return false
            }
            let failure: LookupFailure = errno == ECONNREFUSED || errno == ENETUNREACH || errno == EHOSTUNREACH
                ? .unreachable : .connectionFailed(errorText())
            tryNextServer(request: request, query: query, server: server, deadline: deadline, tried: tried,
                          after: failure)
            return true
        }
        guard cresolv_poll_watch(poller, socket, LookupEngine.tcpTag + UInt64(socket), 1, 0) == 0 else {
            let failure = LookupFailure.localError("cannot poll a TCP socket: \(errorText())")
            close(socket)
            request.continuation.resume(returning: .failure(failure))
            return true
        }
        exchanges[socket] = TCPLookup(exchange: TCPExchange(socket: socket, query: query, server: server),
                                      request: request, deadline: deadline, tried: tried)
        advanceTCP(socket)
        return true
    }

    /// How long to wait before opening a TCP socket again after the process ran out of descriptors.
    private static let descriptorPause = 0.05

    private func advanceTCP(_ socket: Int32) {
        guard var lookup = exchanges[socket] else { return }
        let wasWriting = lookup.exchange.isWriting
        let step = lookup.exchange.advance()
        switch step {
        case .waitForOutput:
            exchanges[socket] = lookup
        case .waitForInput:
            if wasWriting { cresolv_poll_watch(poller, socket, LookupEngine.tcpTag + UInt64(socket), 0, 1) }
            exchanges[socket] = lookup
        case .reply(let reply):
            endExchange(socket)
            let request = lookup.request
            let answers = reply.withUnsafeBytes { lookup.exchange.query.isAnswered(by: $0) }
            guard answers else {
                return tryNextServer(request: request, query: lookup.exchange.query, server: lookup.exchange.server,
                                     deadline: lookup.deadline, tried: lookup.tried,
                                     after: .malformed("the TCP reply does not answer the question asked"))
            }
            let outcome = reply.withUnsafeBufferPointer {
                OutcomeClassifier.parse($0, name: request.name, type: request.type)
            }
            request.continuation.resume(returning: outcome)
        case .failed(let failure):
            endExchange(socket)
            tryNextServer(request: lookup.request, query: lookup.exchange.query, server: lookup.exchange.server,
                          deadline: lookup.deadline, tried: lookup.tried, after: failure)
        }
    }

    /// After a failed exchange: the next nameserver while there is one not tried and time left, else `failure`.
    /// Queued at the end, not started: this runs while `startWaitingExchanges` works through the queue.
    private func tryNextServer(request: Request, query: QueryMessage, server: Int, deadline: Double, tried: Int,
                               after failure: LookupFailure) {
        guard tried < servers.count, now() < deadline else {
            return request.continuation.resume(returning: .failure(failure))
        }
        tcpWaiting.append(TCPQuery(request: request, query: query, server: (server + 1) % servers.count,
                                   deadline: deadline, tried: tried + 1))
    }

    /// Closes the socket (which also takes it out of the poll) and forgets the exchange.
    private func endExchange(_ socket: Int32) {
        close(socket)
        exchanges[socket] = nil
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
        for (socket, lookup) in exchanges {
            endExchange(socket)
            lookup.request.continuation.resume(returning: .failure(failure))
        }
        for waiting in tcpWaiting[tcpWaitingHead...] {
            waiting.request.continuation.resume(returning: .failure(failure))
        }
        tcpWaiting.removeAll()
        tcpWaitingHead = 0
        while pendingHead < pending.count {
            pending[pendingHead].continuation.resume(returning: .failure(failure))
            pendingHead += 1
        }
        pending.removeAll()
        pendingHead = 0
    }

    private func now() -> Double {
        monotonicSeconds()
    }
}
