import CResolv
import RDNSCore

/// Why a resolver could not be set up (the check cannot run: UNKNOWN).
public struct ResolverSetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// How to reach DNS: the settings of `Configuration` that the resolver needs.
public struct ResolverSettings: Sendable, Equatable {
    /// Empty: the nameservers of /etc/resolv.conf, or the upstream servers of systemd-resolved when those are only
    /// its stubs (`SystemNameservers`).
    public var nameservers: [Nameserver]
    public var timeoutSeconds: Int
    public var attempts: Int
    /// At most this many queries a second, to all nameservers together (`rate`); nil: no fixed rate.
    public var rate: Int? = nil
    /// Where `SystemNameservers` reads, when `nameservers` is empty.
    public var systemFiles = SystemNameservers.Files()

    public init(nameservers: [Nameserver] = [], timeoutSeconds: Int = 5, attempts: Int = 2) {
        self.nameservers = nameservers
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }

    public init(_ configuration: Configuration) {
        self.init(nameservers: configuration.nameservers, timeoutSeconds: configuration.timeoutSeconds,
                  attempts: configuration.attempts)
        rate = configuration.rate
    }
}

/// `DNSResolver` over glibc's libresolv (`res_nmkquery` and `res_nsend`), honouring /etc/resolv.conf where no
/// nameserver is given. Lookups run on a bounded pool of threads, each with its own resolver state, the way the
/// host's MTA asks; every lookup ends within its deadline, TCP fallback included.
public final class LibresolvResolver: DNSResolver {
    private let pool: BlockingLookupPool
    /// The longest one query may take: timeout x attempts x nameservers, TCP included.
    public var deadlineMilliseconds: Int { pool.deadlineMilliseconds }
    public let nameserverNotice: String?
    /// `rate`: queries a second, across the pool's threads.
    public let rate: Int?

    /// Opens the first lookup thread's resolver state now, so a resolver that cannot work fails here, before any
    /// address is checked.
    public init(settings: ResolverSettings, threads: Int = 16) throws(ResolverSetupError) {
        let (chosen, notice) = settings.choosingSystemNameservers()
        nameserverNotice = notice
        rate = settings.rate
        pool = try BlockingLookupPool(options: try chosen.cresolvOptions(), width: threads, rate: settings.rate)
    }

    deinit {
        pool.shutdown()
    }

    public func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        await pool.run(name, type, options)
    }

    /// Fails the queued lookups, cuts those in progress short, and stops the threads; later queries fail at once.
    public func shutdown() {
        pool.shutdown()
    }
}
