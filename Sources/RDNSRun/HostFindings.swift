import RDNSCore

/// What one run learnt about the host besides DNS: the addresses discovery found (or why it could not), and
/// whether AWS's records of their PTRs could be read. Run-level problems come from here.
public struct HostFindings: Sendable {
    /// `discovery-failed`, `aws-unavailable`, `nothing-to-check`.
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
        if let found, found.addresses.isEmpty, configuration.targets.isEmpty {
            let what = discoverer.source == .ec2 ? "no public IPv4 or IPv6 address on this instance's interfaces"
                : "no global unicast address on this host's interfaces"
            problems.append(RunProblem(.nothingToCheck, .unknown,
                                       "discover \(discoverer.source.rawValue) found \(what), and there is no check "
                                           + "line"))
        }
        let used = found ?? last
        region = used?.region
        discovery = DiscoveryOutcome(source: discoverer.source, addresses: used?.addresses ?? [], ok: found != nil)
        return RunTargets(configuration, discovered: used?.addresses ?? [], source: discoverer.source.targetSource,
                          expectedName: configuration.discovery?.expectedName)
    }

    /// AWS's records through `source` (nil without `aws-ptr on`), asked in the configured region, else the
    /// instance's: started beside the DNS checks (the command takes a second or more), applied after them.
    static func readAWS(with source: (any AWSPTRSource)?, region: String?) async
        -> Result<[IPAddress: AWSAddressRecord], AWSUnavailable>? {
        guard let source else { return nil }
        do {
            return .success(try await source.records(region: region))
        } catch {
            return .failure(error)
        }
    }

    /// Gives each result AWS's verdicts on its address (`AWSPTRAssessment`: a pending update, a failed one, a
    /// record that differs from DNS). When the records could not be read the results stand on DNS alone and the
    /// run has the problem `aws-unavailable`.
    mutating func apply(_ records: Result<[IPAddress: AWSAddressRecord], AWSUnavailable>?,
                        to results: inout [AddressResult], resolver: any DNSResolver) async {
        switch records {
        case nil:
            return
        case .failure(let error):
            aws = AWSOutcome(error: error.message)
            problems.append(RunProblem(.awsUnavailable, .warning,
                                       "AWS's PTR records could not be read: \(error.message); the verdicts stand "
                                           + "on DNS alone"))
        case .success(let records):
            aws = AWSOutcome(error: nil)
            guard !records.isEmpty else { return }
            let checked = results
            let assessed: [(Int, AddressResult)] = await resolver.run {
                var assessed: [(Int, AddressResult)] = []
                for index in checked.indices {
                    guard let record = records[checked[index].address] else { continue }
                    assessed.append((index, await AWSPTRAssessment.assess(checked[index], record: record,
                                                                          resolver: resolver)))
                }
                return assessed
            }
            for (index, result) in assessed { results[index] = result }
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
    /// Discovery added no address: every one checked is configured, which `source(of:)` need not look up (a
    /// range's addresses, each asked for).
    private let onlyConfigured: Bool

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
        onlyConfigured = checked.count == configured.count
    }

    func source(of address: IPAddress) -> TargetSource {
        onlyConfigured || configured.contains(address) ? configuredSource : discoveredSource
    }
}
