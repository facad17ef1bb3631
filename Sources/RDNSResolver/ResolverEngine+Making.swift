import RDNSCore

extension ResolverEngine {
    /// The pool width of libresolv when `--concurrency` is not given: each thread blocks in one `res_nsend`.
    public static let defaultLibresolvThreads = 16
    /// More threads than this buy nothing from one resolver and cost a stack each: `--concurrency` is capped here.
    public static let maximumLibresolvThreads = 256

    /// The resolver this engine stands for. `concurrency` (`--concurrency`) is the pipelined engine's window of
    /// queries in flight, or libresolv's number of threads (each with one query in flight), capped at
    /// `maximumLibresolvThreads`; nil: each engine's default.
    public func makeResolver(settings: ResolverSettings, concurrency: Int?) throws(ResolverSetupError)
        -> any DNSResolver {
        switch self {
        case .libresolv:
            let threads = min(concurrency ?? ResolverEngine.defaultLibresolvThreads,
                              ResolverEngine.maximumLibresolvThreads)
            return PooledLibresolv(try LibresolvResolver(settings: settings, threads: threads), threads: threads)
        case .pipelined:
            return try PipelinedResolver(settings: settings, window: concurrency ?? PipelinedResolver.defaultWindow)
        }
    }
}

/// `LibresolvResolver` with the checks in flight that keep its pool of threads busy.
private struct PooledLibresolv: DNSResolver {
    let resolver: LibresolvResolver
    let checksInFlight: Int
    var nameserverNotice: String? { resolver.nameserverNotice }

    init(_ resolver: LibresolvResolver, threads: Int) {
        self.resolver = resolver
        // Each check has at most one query out: twice the threads keeps every thread busy between checks.
        checksInFlight = threads * 2
    }

    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        await resolver.query(name, type: type, options: options)
    }

    func takePacingSummary() -> PacingSummary? {
        resolver.rate.map { PacingSummary(fixedRate: $0) }
    }

    func shutdown() {
        resolver.shutdown()
    }
}
