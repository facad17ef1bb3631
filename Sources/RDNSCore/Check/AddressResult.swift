/// An address to check and, optionally, the PTR name it must have.
public struct CheckTarget: Hashable, Sendable {
    public let address: IPAddress
    public let expectedName: DNSName?

    public init(_ address: IPAddress, expectedName: DNSName? = nil) {
        self.address = address
        self.expectedName = expectedName
    }
}

/// The forward answer for one PTR name.
public struct ForwardAnswer: Hashable, Sendable {
    public let name: DNSName
    /// The addresses found for the name (after CNAMEs), sorted; empty when the name has none.
    public let addresses: [IPAddress]

    public init(name: DNSName, addresses: [IPAddress]) {
        self.name = name
        self.addresses = addresses
    }
}

/// Everything the check found out about one address.
public struct AddressResult: Sendable, Equatable {
    public let target: CheckTarget
    public let status: Status
    /// Every PTR name, deduplicated case-insensitively and sorted; empty when there is none or the lookup failed.
    public let ptrNames: [DNSName]
    /// One entry per PTR name whose forward lookup got an answer (invalid names are not looked up, and
    /// names whose lookup failed temporarily are left out), in `ptrNames` order.
    public let forward: [ForwardAnswer]
    /// Sorted by code; a passing address has none.
    public let problems: [Problem]
    /// Consecutive runs with a temporary failure, this one included (0 when this run had none).
    public let temporaryFailures: Int

    public var address: IPAddress { target.address }

    /// True when there are PTR names and every one of them forward-confirms.
    public var isForwardConfirmed: Bool {
        !ptrNames.isEmpty && ptrNames.allSatisfy { name in
            forward.contains { $0.name == name && $0.addresses.contains(address) }
        }
    }

    public init(target: CheckTarget, status: Status, ptrNames: [DNSName], forward: [ForwardAnswer],
                problems: [Problem], temporaryFailures: Int) {
        self.target = target
        self.status = status
        self.ptrNames = ptrNames
        self.forward = forward
        self.problems = problems.sorted { ($0.code, $0.detail) < ($1.code, $1.detail) }
        self.temporaryFailures = temporaryFailures
    }
}
