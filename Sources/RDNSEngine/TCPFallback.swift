import CSocket
import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The engine's TCP side: a query whose UDP reply came back truncated is asked again over TCP (`TCPExchange`, in
/// the same poll), within what is left of its time; at most `limit` exchanges at once (each holds a descriptor,
/// see `DescriptorBudget`), the others waiting for their turn in order, each still ending at its deadline.
final class TCPFallback {
    /// A query to ask over TCP once there is room.
    struct Waiting {
        let request: LookupEngine.Request
        let query: QueryMessage
        let server: Int
        /// What is left of the query's time (timeout x attempts from its first send).
        let deadline: Double
        /// Nameservers tried over TCP so far, this one included.
        let tried: Int
    }

    fileprivate struct Open {
        var exchange: TCPExchange
        let request: LookupEngine.Request
        let deadline: Double
        let tried: Int
    }

    private let servers: [Nameserver]
    private let selector: Selector
    /// The most exchanges at once.
    let limit: Int
    /// Open exchanges, by socket.
    private var open: [Int32: Open] = [:]
    /// Queries waiting for an exchange to end, in order from `waitingHead`.
    private var waiting: [Waiting] = []
    private var waitingHead = 0
    /// Set when opening a TCP socket found no descriptor free (something else holds them): no new exchange
    /// starts before this time.
    private var pausedUntil = 0.0

    /// How long to wait before opening a TCP socket again after the process ran out of descriptors.
    private static let descriptorPause = 0.05

    init(servers: [Nameserver], selector: Selector, limit: Int) {
        self.servers = servers
        self.selector = selector
        self.limit = max(1, limit)
    }

    /// Whether any exchange is open or waiting.
    var isBusy: Bool { !open.isEmpty || waitingHead < waiting.count }

    /// The sockets of the open exchanges.
    var sockets: [Int32] { Array(open.keys) }

    /// Queues the question of `query` to `server` and starts it (and those queued before it) if there is room.
    func ask(_ request: LookupEngine.Request, query: QueryMessage, server: Int, deadline: Double, now: Double,
             ids: inout QueryIDs) {
        waiting.append(Waiting(request: request, query: query, server: server, deadline: deadline, tried: 1))
        startWaiting(now: now, ids: &ids)
    }

    /// Starts waiting exchanges, oldest first, while fewer than `limit` are open.
    func startWaiting(now: Double, ids: inout QueryIDs) {
        while waitingHead < waiting.count && open.count < limit && now >= pausedUntil
            && start(waiting[waitingHead], now: now, ids: &ids) {
            waitingHead += 1
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
    }

    /// Opens the exchange, or fails the query (after trying the next nameserver); false, and a short pause, when
    /// no descriptor is free: then the query waits for one.
    private func start(_ next: Waiting, now: Double, ids: inout QueryIDs) -> Bool {
        var query = next.query
        query.id = ids.next()
        let socket = servers[next.server].connectedSocket(SOCK_STREAM)
        guard socket >= 0 else {
            if errno == EMFILE || errno == ENFILE {
                pausedUntil = now + TCPFallback.descriptorPause
                return false
            }
            let failure: LookupFailure = errno == ECONNREFUSED || errno == ENETUNREACH || errno == EHOSTUNREACH
                ? .unreachable : .connectionFailed(errorText())
            tryNextServer(next, query: query, now: now, after: failure)
            return true
        }
        guard selector.watchTCP(socket, forOutput: true, adding: true) else {
            let failure = LookupFailure.localError("cannot poll a TCP socket: \(errorText())")
            close(socket)
            next.request.waiter.resume(returning: .failure(failure))
            return true
        }
        open[socket] = Open(exchange: TCPExchange(socket: socket, query: query, server: next.server),
                            request: next.request, deadline: next.deadline, tried: next.tried)
        advance(socket, now: now)
        return true
    }

    /// Moves the exchange on `socket` as far as it goes without blocking; ends it with its outcome.
    func advance(_ socket: Int32, now: Double) {
        guard var current = open[socket] else { return }
        let wasWriting = current.exchange.isWriting
        switch current.exchange.advance() {
        case .waitForOutput:
            open[socket] = current
        case .waitForInput:
            if wasWriting { selector.watchTCP(socket, forOutput: false, adding: false) }
            open[socket] = current
        case .reply(let reply):
            end(socket)
            let request = current.request
            let query = current.exchange.query
            guard reply.withUnsafeBytes({ query.isAnswered(by: $0) }) else {
                return tryNextServer(current.waiting(query: query), query: query, now: now,
                                     after: .malformed("the TCP reply does not answer the question asked"))
            }
            let outcome = reply.withUnsafeBufferPointer {
                OutcomeClassification.parse($0, name: request.name, type: request.type)
            }
            request.waiter.resume(returning: outcome)
        case .failed(let failure):
            end(socket)
            let query = current.exchange.query
            tryNextServer(current.waiting(query: query), query: query, now: now, after: failure)
        }
    }

    /// After a failed exchange: the next nameserver while there is one not tried and time left, else `failure`.
    /// Queued at the end, not started: this runs while `startWaiting` works through the queue.
    private func tryNextServer(_ failed: Waiting, query: QueryMessage, now: Double, after failure: LookupFailure) {
        guard failed.tried < servers.count, now < failed.deadline else {
            return failed.request.waiter.resume(returning: .failure(failure))
        }
        waiting.append(Waiting(request: failed.request, query: query, server: (failed.server + 1) % servers.count,
                               deadline: failed.deadline, tried: failed.tried + 1))
    }

    /// Ends the exchanges and waiting queries whose deadline has come, as timeouts.
    func expire(at now: Double) {
        for (socket, current) in open where current.deadline <= now {
            end(socket)
            current.request.waiter.resume(returning: .failure(.timeout))
        }
        if waiting[waitingHead...].contains(where: { $0.deadline <= now }) {
            let queued = waiting[waitingHead...]
            waiting = queued.filter { $0.deadline > now }
            waitingHead = 0
            for query in queued where query.deadline <= now {
                query.request.waiter.resume(returning: .failure(.timeout))
            }
        }
    }

    /// The earliest of `deadline`, the exchanges' and the waiting queries' deadlines, and the end of a pause in
    /// opening sockets.
    func nextDeadline(before deadline: Double) -> Double {
        var next = open.values.reduce(deadline) { min($0, $1.deadline) }
        guard waitingHead < waiting.count else { return next }
        // Queries wait with room for more exchanges only during a pause.
        if open.count < limit { next = min(next, pausedUntil) }
        return waiting[waitingHead...].reduce(next) { min($0, $1.deadline) }
    }

    /// Fails every exchange, open or waiting, with `failure` (shutdown).
    func failEverything(_ failure: LookupFailure) {
        for (socket, current) in open {
            end(socket)
            current.request.waiter.resume(returning: .failure(failure))
        }
        for query in waiting[waitingHead...] { query.request.waiter.resume(returning: .failure(failure)) }
        waiting.removeAll()
        waitingHead = 0
    }

    /// Closes the socket (which also takes it out of the poll) and forgets the exchange.
    private func end(_ socket: Int32) {
        close(socket)
        open[socket] = nil
    }
}

extension TCPFallback.Open {
    /// This exchange as a waiting query again (to try the next nameserver).
    fileprivate func waiting(query: QueryMessage) -> TCPFallback.Waiting {
        TCPFallback.Waiting(request: request, query: query, server: exchange.server, deadline: deadline,
                            tried: tried)
    }
}
