import RDNSCore

/// What one run learnt about the host besides DNS: the addresses discovery found (or why it could not), and
/// whether AWS's records of their PTRs could be read. Run-level problems come from here.
public struct HostFindings: Sendable {
    /// `discovery-failed`, `aws-unavailable`.
    public internal(set) var problems: [RunProblem] = []
    /// What the run checked of the discovered addresses, when `discover` is on.
    public internal(set) var discovery: DiscoveryOutcome? = nil
    /// This run's discovery when it succeeded: the new baseline for addresses that appear or disappear.
    public internal(set) var discovered: DiscoveredAddresses? = nil
    /// Whether AWS's records were read, when `aws-ptr` is on.
    public internal(set) var aws: AWSOutcome? = nil
    /// The instance's region, from this run's discovery or the last one.
    private(set) var region: String? = nil

    public init() {}

    /// Runs `discoverer` and returns the run's targets: the configured ones, then each discovered address not
    /// configured (a `check` line for the same address wins, with its expected name). When discovery fails the
    /// addresses last discovered by the same source are checked, and the run has the problem `discovery-failed`.
    mutating func discover(with discoverer: (any AddressDiscoverer)?, configuration: Configuration,
                           lastDiscovered: DiscoveredAddresses?) async -> RunTargets {
        guard let discoverer else { return RunTargets(configuration) }
        let last = lastDiscovered?.source == discoverer.source ? lastDiscovered : nil
        let found: DiscoveredAddresses?
        do {
            found = try await discoverer.discover()
        } catch {
            found = nil
            let fallback = last.map { "checking the \(Self.count($0.addresses.count)) last discovered" }
                ?? "no address was ever discovered"
            problems.append(RunProblem(.discoveryFailed, .warning,
                                       "discover \(discoverer.source.rawValue) failed: \(error.message); \(fallback)"))
        }
        discovered = found
        let used = found ?? last
        region = used?.region
        discovery = DiscoveryOutcome(source: discoverer.source, addresses: used?.addresses ?? [], ok: found != nil)
        return RunTargets(configuration, discovered: used?.addresses ?? [], source: discoverer.source.targetSource,
                          expectedName: configuration.discovery?.expectedName)
    }

    /// Reads AWS's records through `source` and gives each result AWS's record of its address. When they cannot be
    /// read the results stand on DNS alone and the run has the problem `aws-unavailable`.
    mutating func readAWS(with source: (any AWSPTRSource)?, into results: inout [AddressResult],
                          configuration: Configuration, resolver: any DNSResolver) async {
        guard let source else { return }
        do {
            let records = try await source.records(region: configuration.awsRegion ?? region)
            aws = AWSOutcome(error: nil)
            for index in results.indices {
                guard let record = records[results[index].address] else { continue }
                results[index].aws = record
            }
        } catch {
            aws = AWSOutcome(error: error.message)
            problems.append(RunProblem(.awsUnavailable, .warning,
                                       "AWS's PTR records could not be read: \(error.message); the verdicts stand "
                                           + "on DNS alone"))
        }
    }

    private static func count(_ addresses: Int) -> String {
        addresses == 1 ? "address" : "\(addresses) addresses"
    }
}

/// The addresses one run checks and where each came from.
struct RunTargets: Sendable {
    /// The configured targets, then the discovered addresses not among them.
    let checked: CheckTargets
    private let configured: CheckTargets
    private let configuredSource: TargetSource
    private let discoveredSource: TargetSource

    init(_ configuration: Configuration, discovered: [IPAddress] = [], source: TargetSource = .config,
         expectedName: DNSName? = nil) {
        configured = configuration.targets
        configuredSource = configuration.targetSource
        discoveredSource = source
        var checked = configuration.targets
        for address in discovered where !configured.contains(address) {
            // Fails only past `CheckTargets.maximumCount`: a configuration that fills it has no room for them.
            try? checked.add(CheckTarget(address, expectedName: expectedName))
        }
        self.checked = checked
    }

    func source(of address: IPAddress) -> TargetSource {
        configured.contains(address) ? configuredSource : discoveredSource
    }
}
