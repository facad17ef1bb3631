import CResolv
// The pipelined engine (RDNSEngine) is one of this module's resolvers: whoever imports the resolvers gets it.
@_exported import RDNSEngine
import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

extension PipelinedResolver {
    /// A resolver with `window` queries in flight, or fewer if the open-files limit asks for it.
    public convenience init(settings: ResolverSettings, window: Int = PipelinedResolver.defaultWindow)
        throws(ResolverSetupError) {
        try self.init(settings: settings, budget: .forProcess(window: window))
    }

    /// A resolver asking the settings' nameservers (or /etc/resolv.conf's), within `budget`; replies classified
    /// by `OutcomeClassification`, as `LibresolvResolver`'s are.
    public convenience init(settings: ResolverSettings, budget: DescriptorBudget) throws(ResolverSetupError) {
        let (chosen, notice) = settings.choosingSystemNameservers()
        let nameservers = try chosen.engineNameservers()
        do {
            try self.init(nameservers: nameservers, timeoutSeconds: settings.timeoutSeconds,
                          attempts: settings.attempts, budget: budget, rate: settings.rate, clock: monotonicSeconds,
                          nameserverNotice: notice)
        } catch {
            throw ResolverSetupError(description: error.description)
        }
    }
}

extension ResolverSettings {
    /// These settings with the nameservers `SystemNameservers` chooses when none are given, and its notice: both
    /// engines ask the same servers, read once here.
    func choosingSystemNameservers() -> (ResolverSettings, notice: String?) {
        guard nameservers.isEmpty else { return (self, nil) }
        let system = SystemNameservers.choose(systemFiles)
        var chosen = self
        chosen.nameservers = system.nameservers
        return (chosen, system.notice)
    }

    /// The shim's options: these settings, with /etc/resolv.conf's nameservers when none are given.
    func cresolvOptions() throws(ResolverSetupError) -> cresolv_options {
        var options = cresolv_options()
        cresolv_options_init(&options, Int32(timeoutSeconds), Int32(attempts))
        for nameserver in nameservers {
            guard cresolv_options_add_nameserver(&options, nameserver.address.description, nameserver.port) == 0 else {
                throw ResolverSetupError(description: "cannot use nameserver \(nameserver) (at most 3 are supported)")
            }
        }
        return options
    }

    /// The nameservers the engine talks to itself: these settings', or /etc/resolv.conf's as glibc reads it.
    func engineNameservers() throws(ResolverSetupError) -> [Nameserver] {
        var options = try cresolvOptions()
        if options.nameserver_count == 0 && cresolv_options_add_system_nameservers(&options) <= 0 {
            throw ResolverSetupError(description: "cannot initialise the resolver: no nameserver configured "
                                     + "(none given and none in /etc/resolv.conf)")
        }
        return (0..<options.nameserver_count).compactMap { index in
            var family: Int32 = 0
            var port: UInt16 = 0
            var address = [UInt8](repeating: 0, count: 16)
            cresolv_options_nameserver(&options, index, &family, &address, &port)
            let bytes = address.prefix(family == AF_INET ? 4 : 16)
            return IPAddress(bytes: bytes).map { Nameserver(address: $0, port: port) }
        }
    }
}
