/// `rdnscheck --preflight ADDRESS=NAME …` (SPEC.md): before asking for a PTR, whether NAME is ready to be ADDRESS's
/// PTR name. Ready means the check would say OK once the PTR is set: NAME is a valid hostname, not generic, and its
/// A/AAAA records (CNAMEs followed) include ADDRESS; with `aws-ptr on`, ADDRESS is also an Elastic IP of the account,
/// since AWS sets the PTR of Elastic IPs only.
///
/// The verdict is the check's own: `ForwardConfirmation` runs on a resolver that answers the PTR question with NAME
/// and asks every other question of the real one, so preflight and check cannot disagree.
public struct Preflight: Sendable {
    public let resolver: any DNSResolver
    public let policy: CheckPolicy
    /// AWS's records, with `aws-ptr on`; nil otherwise.
    public let aws: (any AWSPTRSource)?
    /// The `--region` for AWS and for the commands printed.
    public let region: String?

    public init(resolver: any DNSResolver, policy: CheckPolicy = CheckPolicy(), aws: (any AWSPTRSource)? = nil,
                region: String? = nil) {
        self.resolver = resolver
        self.policy = policy
        self.aws = aws
        self.region = region
    }

    /// Checks each request in order (a few, typed by a person: one after the other).
    public func run(_ requests: [PreflightRequest]) async -> PreflightReport {
        var records: [IPAddress: AWSAddressRecord]? = nil
        var awsError: String? = nil
        if let aws {
            do {
                records = try await aws.records(region: region)
            } catch {
                awsError = error.message
            }
        }
        let checks = await resolver.run { [resolver, policy] in
            var checks: [AddressResult] = []
            for request in requests {
                let assumed = AssumedPTR(resolver: resolver, reverseName: DNSName.reverse(of: request.address),
                                         name: request.name)
                checks.append(await ForwardConfirmation(resolver: assumed, policy: policy)
                    .check(CheckTarget(request.address, expectedName: request.name)))
            }
            return checks
        }
        let results = zip(requests, checks).map { request, check in
            var check = check
            let elasticIP: PreflightResult.ElasticIP
            if aws == nil {
                elasticIP = .notAsked
            } else if let records {
                check.aws = records[request.address]
                elasticIP = check.aws == nil ? .notListed : .listed
            } else {
                elasticIP = .unknown
            }
            let advised = FixAdvice.advise(check, region: region)
            return PreflightResult(request: request, check: advised, elasticIP: elasticIP,
                                   command: FixAdvice.ptrRequest(request.name, for: advised, region: region))
        }
        return PreflightReport(results: results, awsAsked: aws != nil, awsError: awsError, region: region)
    }
}

/// One `ADDRESS=NAME` of `--preflight`.
public struct PreflightRequest: Sendable, Equatable {
    public let address: IPAddress
    public let name: DNSName

    public init(address: IPAddress, name: DNSName) {
        self.address = address
        self.name = name
    }

    /// Parses `ADDRESS=NAME`. NAME must be a domain name; whether it is a valid hostname is the preflight's verdict.
    public init(parsing text: String) throws(ParseError) {
        guard let equals = text.firstIndex(of: "=") else { throw .missingName(text) }
        let addressText = String(text[..<equals]), nameText = String(text[text.index(after: equals)...])
        guard !addressText.isEmpty else { throw .missingAddress(text) }
        guard !nameText.isEmpty else { throw .missingName(text) }
        guard !addressText.contains("/") else { throw .range(addressText) }
        guard let address = IPAddress(addressText) else { throw .malformedAddress(addressText) }
        guard let name = DNSName(nameText) else { throw .malformedName(nameText) }
        self.address = address
        self.name = name
    }

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case missingName(String)
        case missingAddress(String)
        case range(String)
        case malformedAddress(String)
        case malformedName(String)

        public var description: String {
            switch self {
            case .missingName(let text): "'\(text)' is not ADDRESS=NAME: --preflight needs the name to ask for"
            case .missingAddress(let text): "'\(text)' is not ADDRESS=NAME: the address is missing"
            case .range(let text): "'\(text)': --preflight takes one address per ADDRESS=NAME, not a range"
            case .malformedAddress(let text): "'\(text)' is not an IPv4 or IPv6 address"
            case .malformedName(let text): "'\(text)' is not a domain name (labels of 1 to 63 characters, 253 in all)"
            }
        }
    }
}

/// What `--preflight` found for one `ADDRESS=NAME`.
public struct PreflightResult: Sendable, Equatable {
    /// Whether AWS has the address as an Elastic IP of the account.
    public enum ElasticIP: Sendable, Equatable {
        /// `aws-ptr` is off.
        case notAsked
        /// AWS's records could not be read (`PreflightReport.awsError`).
        case unknown
        case listed
        case notListed
    }

    public let request: PreflightRequest
    /// The check's result as if NAME were the PTR, with the fixes (and AWS's record when listed).
    public let check: AddressResult
    public let elasticIP: ElasticIP
    /// What sets the PTR, in AWS's order: the aws command for an Elastic IP, else the PTR record (`run: …`,
    /// `set …`), after the forward record when NAME does not forward-confirm yet.
    public let command: String

    public var isReady: Bool {
        check.status == .ok && (elasticIP == .notAsked || elasticIP == .listed)
    }
}

/// Every `--preflight` result, and whether AWS could be asked.
public struct PreflightReport: Sendable, Equatable {
    public let results: [PreflightResult]
    /// Whether `aws-ptr on` had AWS's records asked for.
    public let awsAsked: Bool
    /// Why AWS's records could not be read; nil when they were, or were not asked for.
    public let awsError: String?
    public let region: String?

    public var isReady: Bool { results.allSatisfy(\.isReady) }

    /// 0 when every address is ready, 2 otherwise.
    public var exitCode: Int32 { isReady ? 0 : 2 }
}

/// The real resolver, except that the PTR question of one address gets one name: the check as it would run once
/// the PTR is set.
private struct AssumedPTR: DNSResolver {
    let resolver: any DNSResolver
    let reverseName: DNSName
    let name: DNSName

    func query(_ queried: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        guard type == .ptr, queried == reverseName else {
            return await resolver.query(queried, type: type, options: options)
        }
        return .reply(rcode: DNSMessage.rcodeNoError,
                      answers: [ResourceRecord(owner: reverseName, type: RecordType.ptr.rawValue, data: .name(name))])
    }
}
