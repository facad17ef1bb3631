/// What rdnscheck learns about the host besides DNS (SPEC.md, "The addresses a host really sends from, and AWS's
/// record of their PTRs"): the addresses it really sends from, and AWS's record of each Elastic IP's PTR. The types
/// here are the seam between the run and the parts that ask (the metadata service, the interfaces, the `aws`
/// command), so the run and its tests never name an implementation.

/// Where a checked address came from (JSON `results[].source`).
public enum TargetSource: String, Sendable, Equatable, CaseIterable {
    case config
    case commandLine = "command-line"
    case ec2
    case interfaces
}

/// Where `discover` finds the host's addresses.
public enum DiscoverySource: String, Sendable, Equatable, CaseIterable {
    /// The EC2 instance metadata service (IMDSv2): every interface's public IPv4s and IPv6s.
    case ec2
    /// The host's interfaces (getifaddrs): every global unicast address.
    case interfaces

    public var targetSource: TargetSource {
        switch self {
        case .ec2: .ec2
        case .interfaces: .interfaces
        }
    }
}

/// The addresses one discovery found.
public struct DiscoveredAddresses: Sendable, Equatable {
    public let source: DiscoverySource
    /// Sorted, each once.
    public let addresses: [IPAddress]
    /// The instance's region (`placement/region`), for `ec2`; nil otherwise.
    public let region: String?

    /// The most addresses one discovery keeps (an instance has at most a few dozen interfaces, each with a few
    /// addresses); more is an error of the discoverer, and a state file holding more is corrupt.
    public static let maximumCount = 1_024

    public init(source: DiscoverySource, addresses: [IPAddress], region: String? = nil) {
        self.source = source
        self.addresses = Array(Set(addresses)).sorted()
        self.region = region
    }

    /// What a discoverer found, held to what a state file keeps and reads back: at most `maximumCount` addresses, and
    /// a region that is an AWS region's name (`SettingValues.awsRegion`). The one check, for every discoverer and
    /// the state file's reader alike, so that a discovery written is always read back.
    public static func checked(source: DiscoverySource, addresses: [IPAddress], region: String? = nil)
        throws(DiscoveryError) -> DiscoveredAddresses {
        let discovered = DiscoveredAddresses(source: source, addresses: addresses, region: region)
        guard discovered.addresses.count <= maximumCount else {
            throw DiscoveryError("found \(discovered.addresses.count) addresses, more than the \(maximumCount) "
                                 + "rdnscheck keeps from one discovery")
        }
        if let region, (try? SettingValues.awsRegion(region)) == nil {
            throw DiscoveryError("the region \(Escaping.jsonExcerpt(region)) is not an AWS region's name")
        }
        return discovered
    }
}

/// Why a discovery found nothing usable: one line for the log and the `discovery-failed` problem
/// (`metadata service at http://169.254.169.254: no answer within 1s (2 attempts)`).
public struct DiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Finds the host's addresses; called at the start of every run. Bounded in time (each request has a deadline).
public protocol AddressDiscoverer: Sendable {
    var source: DiscoverySource { get }
    func discover() async throws(DiscoveryError) -> DiscoveredAddresses
}

/// AWS's record of one Elastic IP's PTR (`DescribeAddressesAttribute`, attribute `domain-name`).
public struct AWSAddressRecord: Sendable, Equatable {
    /// A PTR update AWS was asked for (`PtrRecordUpdate`).
    public struct Update: Sendable, Equatable {
        /// The name asked for; nil when AWS gave none (an update that removes the record).
        public let value: DNSName?
        /// AWS's status as given (`PENDING`, `SUCCESSFUL`, `FAILED`, …); compare with `isPending` and friends.
        public let status: String
        /// AWS's reason, for a failed update.
        public let reason: String?

        public init(value: DNSName?, status: String, reason: String?) {
            self.value = value
            self.status = status
            self.reason = reason
        }

        public var isPending: Bool { status.lowercased() == "pending" }
        public var isSuccessful: Bool { status.lowercased() == "successful" }
    }

    public let publicIP: IPAddress
    public let allocationID: String
    /// The PTR AWS has on record (`PtrRecord`); nil when none is set.
    public let ptrRecord: DNSName?
    public let update: Update?

    public init(publicIP: IPAddress, allocationID: String, ptrRecord: DNSName?, update: Update?) {
        self.publicIP = publicIP
        self.allocationID = allocationID
        self.ptrRecord = ptrRecord
        self.update = update
    }
}

/// Why AWS's records could not be read: one line for the log and the `aws-unavailable` problem
/// (`aws ec2 describe-addresses-attribute exited with status 255: Unable to locate credentials`).
public struct AWSUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// AWS's record of the account's Elastic IPs' PTRs, keyed by public IP; asked once per run (`aws-ptr on`).
public protocol AWSPTRSource: Sendable {
    /// `region`: the `--region` to ask in; nil leaves it to the command's own configuration.
    func records(region: String?) async throws(AWSUnavailable) -> [IPAddress: AWSAddressRecord]
    /// rdnscheck is stopping: end a lookup in progress (it throws) and start no more.
    func stopAll()
}

extension AWSPTRSource {
    public func stopAll() {}
}
