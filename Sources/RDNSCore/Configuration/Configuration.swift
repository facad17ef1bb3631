/// A nameserver as `IP[:PORT]`: `192.0.2.53`, `192.0.2.53:5300`, `2001:db8::53`, `[2001:db8::53]:5300`.
public struct Nameserver: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let port: UInt16

    public init(address: IPAddress, port: UInt16 = 53) {
        self.address = address
        self.port = port
    }

    /// Parses `IP[:PORT]`; an IPv6 address with a port must be bracketed.
    public init?(parsing text: String) {
        var host = Substring(text)
        var port: UInt16 = 53
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let parsed = Nameserver.port(after.dropFirst()) else { return nil }
                port = parsed
            }
            guard host.contains(":") else { return nil }
        } else if host.filter({ $0 == ":" }).count == 1 {
            let colon = host.firstIndex(of: ":")!
            guard let parsed = Nameserver.port(host[host.index(after: colon)...]) else { return nil }
            port = parsed
            host = host[..<colon]
        }
        guard let address = IPAddress(host) else { return nil }
        self.init(address: address, port: port)
    }

    private static func port(_ text: Substring) -> UInt16? {
        guard let value = plainNumber(String(text)), let port = UInt16(exactly: value), port > 0 else { return nil }
        return port
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
    public var policy = CheckPolicy()
    public var statePath: String? = nil
    public var textfilePath: String? = nil
    public var onChangeProgram: String? = nil
    /// In the order given, each address once.
    public var targets = CheckTargets()

    /// glibc's res_state holds at most three nameservers (MAXNS).
    public static let maximumNameservers = 3
    public static let timeoutRange = 1...30
    public static let attemptsRange = 1...5

    public init() {}
}

/// A configuration problem with where it was found: `FILE:LINE: message`.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
