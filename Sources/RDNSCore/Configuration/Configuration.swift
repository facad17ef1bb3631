/// A nameserver as `IP[:PORT]`: `192.0.2.53`, `192.0.2.53:5300`, `2001:db8::53`, `[2001:db8::53]:5300`.
public struct Nameserver: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let port: UInt16

    public init(address: IPAddress, port: UInt16 = 53) {
        self.address = address
        self.port = port
    }

    /// Why a text is not a nameserver.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed(String)
        /// An address that names no host to send to.
        case notADestination(String, reason: String)

        public var description: String {
            switch self {
            case .malformed(let text): "'\(text)' is not a nameserver: use IP, IP:PORT or [IPv6]:PORT"
            case .notADestination(let text, let reason): "'\(text)' is not a nameserver: \(reason)"
            }
        }
    }

    /// Parses `IP[:PORT]`; an IPv6 address with a port must be bracketed. The one check of a nameserver, for the
    /// command line and the configuration file: a unicast address and a port from 1 to 65535.
    public init(parsing text: String) throws(ParseError) {
        let parsed: HostAndPort
        do {
            parsed = try HostAndPort(parsing: Substring(text), bareIPv6: true)
        } catch {
            throw .malformed(text)
        }
        if let reason = Nameserver.notUnicast(parsed.address) { throw .notADestination(text, reason: reason) }
        // Not `self.init(address:port:)`: a delegating initializer with typed throws crashes at run time (Swift 6.3.1).
        address = parsed.address
        port = parsed.port ?? 53
    }

    /// Why queries cannot be sent to `address`, or nil for a unicast address. The kernel would accept most of these:
    /// a query to 0.0.0.0 or :: reaches this host, one to a multicast group whoever listens.
    private static func notUnicast(_ address: IPAddress) -> String? {
        switch address {
        case .v4(let value):
            if value == 0 { return "0.0.0.0 is the unspecified address, not a server's" }
            if value >> 24 == 0 { return "0.0.0.0/8 is 'this network' (RFC 1122), never a destination" }
            if value >> 28 == 0xe { return "224.0.0.0/4 is multicast, not one server" }
            if value == 0xffff_ffff { return "255.255.255.255 is the broadcast address, not one server" }
        case .v6(let value):
            if value == 0 { return ":: is the unspecified address, not a server's" }
            if value >> 120 == 0xff { return "ff00::/8 is multicast, not one server" }
            // IPv4-mapped: an IPv6 socket sends to the IPv4 address.
            if value >> 32 == 0xffff, let reason = notUnicast(.v4(UInt32(truncatingIfNeeded: value))) {
                return "an IPv4-mapped address sends to IPv4, and " + reason
            }
        }
        return nil
    }

    public var description: String {
        switch (address, port) {
        case (_, 53): "\(address)"
        case (.v4, _): "\(address):\(port)"
        case (.v6, _): "[\(address)]:\(port)"
        }
    }
}

/// Everything rdnscheck is told to do: the result of the configuration file and the command line.
public struct Configuration: Sendable, Equatable {
    /// Daemon: time between runs, in seconds.
    public var intervalSeconds: Int = 300
    /// Per attempt, in whole seconds (glibc's resolver counts whole seconds).
    public var timeoutSeconds: Int = 5
    /// Tries per query and nameserver.
    public var attempts: Int = 2
    /// Empty: the nameservers of /etc/resolv.conf.
    public var nameservers: [Nameserver] = []
    /// How lookups are made (`engine`, `--engine`).
    public var engine = ResolverEngine.libresolv
    /// `rate`, `--rate`: at most this many queries a second, to all nameservers together; nil (`off`): no fixed
    /// rate (the pipelined engine slows down by itself for a nameserver that drops queries).
    public var rate: Int? = nil
    public var policy = CheckPolicy()
    public var statePath: String? = nil
    public var textfilePath: String? = nil
    public var onChangeProgram: String? = nil
    /// In the order given, each address once.
    public var targets = CheckTargets()
    /// Where `targets` came from: `check` lines or the command line.
    public var targetSource = TargetSource.config
    /// `discover ec2|interfaces [EXPECTED-NAME]`: the host's addresses, found at the start of every run.
    public var discovery: Discovery? = nil
    /// `aws-ptr on`: compare AWS's record of each Elastic IP's PTR with live DNS.
    public var awsPTR = false
    /// `aws-command`: the `aws` program (nil: `aws` from PATH).
    public var awsCommand: String? = nil
    /// `aws-region`: nil means the instance's region with `discover ec2`, else the command's own.
    public var awsRegion: String? = nil

    /// `discover SOURCE [EXPECTED-NAME]`.
    public struct Discovery: Sendable, Equatable {
        public var source: DiscoverySource
        /// The PTR name every discovered address must have, unless a `check` line names another.
        public var expectedName: DNSName?

        public init(source: DiscoverySource, expectedName: DNSName? = nil) {
            self.source = source
            self.expectedName = expectedName
        }
    }

    /// glibc's res_state holds at most three nameservers (MAXNS).
    public static let maximumNameservers = 3
    public static let timeoutRange = 1...30
    public static let attemptsRange = 1...5
    public static let rateRange = 1...1_000_000

    public init() {}
}

/// How lookups are made: glibc's `res_nmkquery` and `res_nsend` (the two halves of `res_nquery`) on a bounded pool
/// of threads, as the host's own MTA asks (the default), or the pipelined UDP engine, for ranges of thousands of
/// addresses.
public enum ResolverEngine: String, Sendable, Equatable {
    case libresolv
    case pipelined
}

/// A configuration problem with where it was found: `FILE:LINE: message`.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    /// The exit code of `--check-config` and of the daemon's start when the configuration has errors.
    public static let exitCode: Int32 = 6

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
