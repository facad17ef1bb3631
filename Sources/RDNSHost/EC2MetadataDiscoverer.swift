import RDNSCore
import RDNSPOSIX

/// `discover ec2`: every public IPv4 and IPv6 of the instance's interfaces, and its region, from the instance
/// metadata service, IMDSv2 only (SPEC.md): a session token first (`PUT /latest/api/token`), then `GET`s with it.
/// The endpoint and the switch to turn it off are read as the AWS SDKs read them, from the environment given.
public struct EC2MetadataDiscoverer: AddressDiscoverer {
    public static let defaultEndpoint = "http://169.254.169.254"
    /// A bound on the requests one discovery makes (two per interface): the largest instance types attach a few
    /// dozen interfaces, and a longer list is an error rather than minutes of requests.
    static let maximumInterfaces = 64

    public var source: DiscoverySource { .ec2 }

    /// The endpoint, or why there is none (turned off, malformed); reported by every `discover()`.
    let endpoint: Result<HTTPEndpoint, DiscoveryError>
    let timeout: Double
    let attempts: Int

    /// `environment`: the process's environment (tests give their own): `AWS_EC2_METADATA_SERVICE_ENDPOINT`
    /// replaces `http://169.254.169.254`, `AWS_EC2_METADATA_DISABLED=true` (any case) turns discovery off.
    /// `timeout`: seconds per request; `attempts`: tries per request when it times out or its connection fails.
    public init(environment: [String: String], timeout: Double = 1, attempts: Int = 2) {
        self.timeout = timeout
        self.attempts = max(1, attempts)
        let configured = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? ""
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            endpoint = .failure(DiscoveryError("the metadata service is turned off (AWS_EC2_METADATA_DISABLED=true)"))
        } else {
            do {
                endpoint = .success(try HTTPEndpoint(parsing: configured.isEmpty ? Self.defaultEndpoint : configured))
            } catch {
                endpoint = .failure(DiscoveryError("AWS_EC2_METADATA_SERVICE_ENDPOINT: \(error)"))
            }
        }
    }

    public func discover() async throws(DiscoveryError) -> DiscoveredAddresses {
        let endpoint = try endpoint.get()
        let session = MetadataSession(client: HTTPClient(endpoint: endpoint, timeout: timeout,
                                                         limits: HTTPLimits(body: 65_536)),
                                      attempts: attempts)
        return try await onThreadOfItsOwn { Result { () throws(DiscoveryError) in try session.discover() } }.get()
    }
}

/// One discovery's requests, in order, on the calling thread.
struct MetadataSession: Sendable {
    let client: HTTPClient
    let attempts: Int

    private static let macsPath = "/latest/meta-data/network/interfaces/macs/"

    func discover() throws(DiscoveryError) -> DiscoveredAddresses {
        let token = try self.token()
        let macs = try lines(of: get(Self.macsPath, token: token, notFound: nil), path: Self.macsPath)
        guard !macs.isEmpty else { throw failure("GET \(Self.macsPath): no interfaces listed") }
        guard macs.count <= EC2MetadataDiscoverer.maximumInterfaces else {
            throw failure("GET \(Self.macsPath): \(macs.count) interfaces, more than "
                          + "\(EC2MetadataDiscoverer.maximumInterfaces)")
        }
        var addresses: [IPAddress] = []
        for entry in macs {
            guard let mac = Self.interfaceName(entry) else {
                throw failure("GET \(Self.macsPath): \(Self.quoted(entry)) is not an interface's MAC followed by '/'")
            }
            addresses += try self.addresses(at: Self.macsPath + mac + "/public-ipv4s", token: token, ipv4: true)
            addresses += try self.addresses(at: Self.macsPath + mac + "/ipv6s", token: token, ipv4: false)
        }
        let regionPath = "/latest/meta-data/placement/region"
        let region = try lines(of: get(regionPath, token: token, notFound: nil), path: regionPath)
        guard region.count == 1, (try? SettingValues.awsRegion(region[0])) != nil else {
            throw failure("GET \(regionPath): \(Self.quoted(region.joined(separator: " "))) is not a region name")
        }
        do {
            return try DiscoveredAddresses.checked(source: .ec2, addresses: addresses, region: region[0])
        } catch {
            throw failure(error.message)
        }
    }

    private func token() throws(DiscoveryError) -> String {
        let path = "/latest/api/token"
        let request = HTTPRequest(method: "PUT", path: path,
                                  headers: [HTTPHeader("X-aws-ec2-metadata-token-ttl-seconds", "21600")])
        let response = try send(request)
        guard response.status == 200 else {
            throw failure("PUT \(path) answered \(response.statusText)"
                          + (response.status == 403 ? " (is IMDS turned off for this instance?)" : ""))
        }
        guard (1...1024).contains(response.body.count), response.body.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw failure("PUT \(path): the token is not 1 to 1024 visible ASCII characters")
        }
        return String(decoding: response.body, as: UTF8.self)
    }

    /// The addresses listed at `path`, each of the family asked for; none when the path is not found. Taken as
    /// given: EC2 lists only public IPv4s under `public-ipv4s`, and an instance's IPv6s are global.
    private func addresses(at path: String, token: String, ipv4: Bool) throws(DiscoveryError) -> [IPAddress] {
        var found: [IPAddress] = []
        for line in try lines(of: get(path, token: token, notFound: []), path: path) {
            guard let address = IPAddress(line), address.isIPv4 == ipv4 else {
                throw failure("GET \(path): \(Self.quoted(line)) is not an \(ipv4 ? "IPv4" : "IPv6") address")
            }
            found.append(address)
        }
        return found
    }

    /// The body of a 200 answer; `notFound` for a 404 when given, else a 404 is an error too.
    private func get(_ path: String, token: String, notFound: [UInt8]?) throws(DiscoveryError) -> [UInt8] {
        let response = try send(HTTPRequest(method: "GET", path: path,
                                            headers: [HTTPHeader("X-aws-ec2-metadata-token", token)]))
        switch response.status {
        case 200: return response.body
        case 404 where notFound != nil: return notFound!
        case 401: throw failure("GET \(path) answered \(response.statusText): the session token was refused")
        default: throw failure("GET \(path) answered \(response.statusText)")
        }
    }

    /// The non-empty lines of a text answer (the service ends none of them, or the last, with a newline).
    private func lines(of body: [UInt8], path: String) throws(DiscoveryError) -> [String] {
        guard body.allSatisfy({ ($0 >= 32 && $0 < 127) || $0 == 10 }) else {
            throw failure("GET \(path): the answer is not lines of text")
        }
        return String(decoding: body, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// `request`'s response, tried up to `attempts` times while it times out or its connection fails.
    private func send(_ request: HTTPRequest) throws(DiscoveryError) -> HTTPResponse {
        var attempt = 1
        while true {
            do {
                return try client.send(request)
            } catch {
                guard error.isWorthRetrying && attempt < attempts else {
                    let tries = attempt == 1 ? "" : " (\(attempt) attempts)"
                    throw failure("\(request.method) \(request.path): \(error)\(tries)")
                }
                attempt += 1
            }
        }
    }

    private func failure(_ reason: String) -> DiscoveryError {
        DiscoveryError("metadata service at \(client.endpoint): \(reason)")
    }

    /// `0e:49:61:0f:c3:11/` -> `0e:49:61:0f:c3:11`: six pairs of hexadecimal digits, so nothing else reaches a path.
    static func interfaceName(_ entry: String) -> String? {
        guard entry.hasSuffix("/") else { return nil }
        let mac = entry.dropLast()
        let pairs = mac.split(separator: ":", omittingEmptySubsequences: false)
        let isHexadecimal = { (pair: Substring) in pair.utf8.allSatisfy { hexDigitValue($0) != nil } }
        guard pairs.count == 6, pairs.allSatisfy({ $0.utf8.count == 2 && isHexadecimal($0) }) else { return nil }
        return String(mac)
    }

    /// A line of the service's answer in quotes for a message: at most 60 characters of it, escaped to one line.
    private static func quoted(_ text: String) -> String {
        "'" + Escaping.excerpt(text, limit: 60) + "'"
    }

}
