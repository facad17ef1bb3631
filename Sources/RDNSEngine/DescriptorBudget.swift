#if canImport(Glibc)
import Glibc
#endif

/// What the pipelined engine may keep open under the process's open-files limit (RLIMIT_NOFILE): its window of
/// queries in flight and its TCP exchanges (a truncated reply is asked again over TCP, one descriptor each).
///
/// With `--concurrency 4096` and a server that truncates every reply and stalls on TCP, an unbounded engine ran
/// out of descriptors and reported "Too many open files" as DNS failures. Now the window, the TCP bound and the
/// descriptors the rest of the process needs fit the limit together: a lookup waits for a descriptor, never fails
/// for want of one.
public struct DescriptorBudget: Equatable, Sendable {
    /// The most queries in flight.
    public let window: Int
    /// The most TCP exchanges at once; truncated queries beyond it wait for one to end, within their deadline.
    public let tcpExchanges: Int
    /// Why the window is smaller than asked, for the log; nil when it is not.
    public let reduction: String?

    /// Descriptors kept for everything else: 0-2, libdispatch's (3), the engine's own (eventfd, epoll and up to
    /// three nameserver sockets, twice while a reload replaces the resolver), the configuration, state and
    /// textfile files, the hooks' pipes, the journal and sd_notify sockets.
    static let reserved = 32
    /// TCP is the rare path (EDNS answers fit UDP): a few dozen connections carry it, as Unbound's 10 do.
    static let maximumTCPExchanges = 64

    /// The budget for `window` queries in flight under a limit of `limit` open descriptors.
    public init(window: Int, limit: Int) {
        let window = max(1, window)
        let available = limit - DescriptorBudget.reserved
        var tcp = min(window, DescriptorBudget.maximumTCPExchanges)
        if window + tcp > available { tcp = max(1, min(tcp, available / 2)) }
        tcpExchanges = tcp
        self.window = max(1, min(window, available - tcp))
        reduction = self.window == window ? nil
            : "concurrency reduced from \(window) to \(self.window) queries in flight: the open-files limit "
                + "(RLIMIT_NOFILE) is \(limit), and TCP lookups (at most \(tcp) at once) and rdnscheck's own files "
                + "need descriptors too"
    }

    /// The budget for this process: RLIMIT_NOFILE's soft limit, first raised toward the hard limit as far as
    /// `window` needs (as servers do; the default soft limit of 1,024 is kept for select(2)'s sake, and most
    /// programs need no more).
    public static func forProcess(window: Int) -> DescriptorBudget {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return DescriptorBudget(window: window, limit: 1_024) }
        let window = max(1, window)
        let needed = rlim_t(reserved + window + min(window, maximumTCPExchanges))
        if limit.rlim_cur < needed && limit.rlim_max > limit.rlim_cur {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, needed)
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return DescriptorBudget(window: window, limit: Int(clamping: limit.rlim_cur))
    }
}
