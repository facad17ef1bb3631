import CResolv
import RDNSCore

/// Why a resolver could not be set up (the check cannot run: UNKNOWN).
public struct ResolverSetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// How to reach DNS: the settings of `Configuration` that the resolver needs.
public struct ResolverSettings: Sendable, Equatable {
    /// Empty: the nameservers of /etc/resolv.conf.
    public var nameservers: [Nameserver]
    public var timeoutSeconds: Int
    public var attempts: Int

    public init(nameservers: [Nameserver] = [], timeoutSeconds: Int = 5, attempts: Int = 2) {
        self.nameservers = nameservers
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }

    public init(_ configuration: Configuration) {
        self.init(nameservers: configuration.nameservers, timeoutSeconds: configuration.timeoutSeconds,
                  attempts: configuration.attempts)
    }
}

/// `DNSResolver` over glibc's libresolv (`res_nquery`), honouring /etc/resolv.conf where no nameserver is given.
/// Lookups run on a bounded pool of threads, each with its own resolver state. The command uses the pipelined
/// engine; this is the reference the resolver contract tests hold the engine to.
public final class LibresolvResolver: DNSResolver {
    private let pool: BlockingLookupPool
    /// The longest one query may take: timeout x attempts x nameservers, TCP included.
    public let deadlineMilliseconds: Int

    /// Checks the settings by opening one resolver state now, so a resolver that cannot work fails here,
    /// before any address is checked.
    public init(settings: ResolverSettings, threads: Int = 16) throws(ResolverSetupError) {
        var options = try settings.cresolvOptions()
        var error = [CChar](repeating: 0, count: 256)
        guard let probe = cresolv_open(&options, &error, error.count) else {
            let message = String(decoding: error.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self)
            throw ResolverSetupError(description: "cannot initialise the resolver: \(message)")
        }
        deadlineMilliseconds = cresolv_deadline_ms(probe)
        cresolv_close(probe)
        pool = BlockingLookupPool(options: options, width: threads)
    }

    deinit {
        pool.shutdown()
    }

    public func query(_ name: DNSName, type: RecordType) async -> QueryOutcome {
        await pool.run(name, type)
    }

    /// Finishes queued lookups and stops the threads; later queries fail at once.
    public func shutdown() {
        pool.shutdown()
    }
}
