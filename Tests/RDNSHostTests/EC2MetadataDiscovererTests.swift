import RDNSCore
@testable import RDNSHost
import RDNSPOSIX
import Testing
import TestSupport

@Suite("EC2MetadataDiscoverer: IMDSv2 against Tests/Stubs/imds-stub.py")
struct EC2MetadataDiscovererTests {
    /// Two interfaces with Elastic IPs; the second has no IPv6 (the service answers 404).
    static let twoInterfaces = """
        {"region": "eu-west-1", "interfaces": [
          {"mac": "0e:49:61:0f:c3:11", "public-ipv4s": ["203.0.113.10", "203.0.113.11"], "ipv6s": ["2001:db8::10"]},
          {"mac": "0e:49:61:0f:c3:22", "public-ipv4s": ["198.51.100.7"]}]}
        """

    private func discoverer(_ stub: MetadataStub, timeout: Double = 1) -> EC2MetadataDiscoverer {
        EC2MetadataDiscoverer(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": stub.endpoint], timeout: timeout)
    }

    private func failure(_ discoverer: EC2MetadataDiscoverer) async -> DiscoveryError? {
        do {
            _ = try await discoverer.discover()
            return nil
        } catch {
            return error
        }
    }

    private func scenario(faults: String, interfaces: String? = nil) -> String {
        let interfaces = interfaces ?? #"[{"mac": "0e:49:61:0f:c3:11", "public-ipv4s": ["203.0.113.10"]}]"#
        return #"{"region": "eu-west-1", "interfaces": \#(interfaces), "faults": {\#(faults)}}"#
    }

    @Test("every interface's public IPv4s and IPv6s and the region come back, each GET with the session token")
    func severalInterfaces() async throws {
        let stub = try MetadataStub(scenario: Self.twoInterfaces)
        let found = try await discoverer(stub).discover()
        #expect(found == DiscoveredAddresses(source: .ec2, addresses: [
            IPAddress("198.51.100.7")!, IPAddress("203.0.113.10")!, IPAddress("203.0.113.11")!,
            IPAddress("2001:db8::10")!,
        ], region: "eu-west-1"))
        let macs = "/latest/meta-data/network/interfaces/macs/"
        #expect(stub.requests == [
            "PUT /latest/api/token 200 token=missing",
            "GET \(macs) 200 token=ok",
            "GET \(macs)0e:49:61:0f:c3:11/public-ipv4s 200 token=ok",
            "GET \(macs)0e:49:61:0f:c3:11/ipv6s 200 token=ok",
            "GET \(macs)0e:49:61:0f:c3:22/public-ipv4s 200 token=ok",
            "GET \(macs)0e:49:61:0f:c3:22/ipv6s 404 token=ok",
            "GET /latest/meta-data/placement/region 200 token=ok",
        ])
    }

    @Test("an IPv6 endpoint in brackets is reached over IPv6", .enabled(if: Loopback.hasIPv6, "no IPv6 loopback here"))
    func ipv6Endpoint() async throws {
        let stub = try MetadataStub(scenario: Self.twoInterfaces, address: "::1")
        #expect(stub.endpoint == "http://[::1]:\(stub.port)")
        #expect(try await discoverer(stub).discover().addresses.count == 4)
    }

    @Test("an address that goes away between two discoveries is gone from the second")
    func addressDisappears() async throws {
        let stub = try MetadataStub(scenario: Self.twoInterfaces)
        let discoverer = discoverer(stub)
        #expect(try await discoverer.discover().addresses.contains(IPAddress("198.51.100.7")!))
        try stub.setScenario("""
            {"region": "eu-west-1", "interfaces": [
              {"mac": "0e:49:61:0f:c3:11", "public-ipv4s": ["203.0.113.10"], "ipv6s": ["2001:db8::10"]}]}
            """)
        #expect(try await discoverer.discover().addresses == [IPAddress("203.0.113.10")!, IPAddress("2001:db8::10")!])
    }

    @Test("an interface without any public address contributes none")
    func interfaceWithoutPublicAddresses() async throws {
        let stub = try MetadataStub(scenario: #"{"region": "us-east-1", "interfaces": [{"mac": "0e:00:00:00:00:01"}]}"#)
        #expect(try await discoverer(stub).discover() == DiscoveredAddresses(source: .ec2, addresses: [],
                                                                              region: "us-east-1"))
    }

    @Test("a refused session token is an error that says so")
    func tokenRefused() async throws {
        let stub = try MetadataStub(scenario: #"{"region": "eu-west-1", "interfaces": [], "refuse-tokens": true}"#)
        #expect(await failure(discoverer(stub)) == DiscoveryError(
            "metadata service at \(stub.endpoint): GET /latest/meta-data/network/interfaces/macs/ answered "
            + "401 Unauthorized: the session token was refused"))
    }

    @Test("AWS_EC2_METADATA_DISABLED=true, in any case, turns discovery off without a request", arguments: [
        "true", "TRUE", "True",
    ])
    func disabled(value: String) async throws {
        let stub = try MetadataStub(scenario: Self.twoInterfaces)
        let discoverer = EC2MetadataDiscoverer(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": stub.endpoint,
                                                             "AWS_EC2_METADATA_DISABLED": value])
        #expect(await failure(discoverer) == DiscoveryError(
            "the metadata service is turned off (AWS_EC2_METADATA_DISABLED=true)"))
        #expect(stub.requests.isEmpty)
    }

    @Test("AWS_EC2_METADATA_DISABLED other than true leaves it on")
    func notDisabled() async throws {
        let stub = try MetadataStub(scenario: Self.twoInterfaces)
        let discoverer = EC2MetadataDiscoverer(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": stub.endpoint,
                                                             "AWS_EC2_METADATA_DISABLED": "false"])
        #expect(try await discoverer.discover().addresses.count == 4)
    }

    @Test("a malformed endpoint is an error naming the variable and the value")
    func badEndpoint() async {
        let discoverer = EC2MetadataDiscoverer(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "localhost:8111"])
        #expect(await failure(discoverer) == DiscoveryError(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT: 'localhost:8111' is not an endpoint of the form "
            + "http://ADDRESS[:PORT]: it does not start with http://"))
    }

    @Test("without the variable, or with it empty, the endpoint is 169.254.169.254", arguments: [
        [:], ["AWS_EC2_METADATA_SERVICE_ENDPOINT": ""],
    ])
    func defaultEndpoint(environment: [String: String]) throws {
        // Only what it would ask: tests never leave loopback.
        #expect(try EC2MetadataDiscoverer(environment: environment).endpoint.get()
                == HTTPEndpoint(address: IPAddress("169.254.169.254")!, port: 80))
    }

    @Test("a request that gets no answer once is tried again")
    func retriedOnce() async throws {
        let stub = try MetadataStub(scenario: scenario(faults: #""/latest/api/token": {"mode": "silent", "times": 1}"#))
        #expect(try await discoverer(stub, timeout: 0.5).discover().addresses == [IPAddress("203.0.113.10")!])
        #expect(stub.requests.prefix(2) == ["PUT /latest/api/token silent token=missing",
                                            "PUT /latest/api/token 200 token=missing"])
    }

    @Test("a service that never answers fails after two attempts, each at its deadline")
    func silentService() async throws {
        let stub = try MetadataStub(scenario: scenario(faults: #""/latest/api/token": {"mode": "silent"}"#))
        let (error, seconds) = await timed { await failure(discoverer(stub, timeout: 0.5)) }
        #expect(error == DiscoveryError("metadata service at \(stub.endpoint): PUT /latest/api/token: "
                                        + "no answer within 0.5s (reading the response) (2 attempts)"))
        #expect(seconds >= 0.99)
        #expect(seconds < 1 + busyMachineAllowance)
    }

    @Test("a slow answer past the deadline is a timeout too")
    func slowService() async throws {
        let region = #""/latest/meta-data/placement/region": {"mode": "slow", "delay": 3}"#
        let stub = try MetadataStub(scenario: scenario(faults: region))
        let message = await failure(discoverer(stub, timeout: 0.5))?.message
        #expect(message == "metadata service at \(stub.endpoint): GET /latest/meta-data/placement/region: "
                + "no answer within 0.5s (reading the response) (2 attempts)")
    }

    @Test("a 404 is not retried")
    func notFoundNotRetried() async throws {
        let stub = try MetadataStub(scenario: #"{"interfaces": [{"mac": "0e:49:61:0f:c3:11"}]}"#)
        #expect(await failure(discoverer(stub)) == DiscoveryError(
            "metadata service at \(stub.endpoint): GET /latest/meta-data/placement/region answered 404 Not Found"))
        #expect(stub.requests.filter { $0.contains("region") }.count == 1)
    }

    @Test("a server's reason phrase or header value reaches the message escaped, C1 controls included", arguments: [
        ("HTTP/1.1 500 \u{9B}31mRed\r\nContent-Length: 0\r\n\r\n", " answered 500 \\194\\15531mRed"),
        ("HTTP/1.1 500 \u{1B}[2J\r\nContent-Length: 0\r\n\r\n",
         ": malformed response: bad status line 'HTTP/1.1 500 \\027[2J'"),
        ("HTTP/1.1 500 A\u{0}B\r\nContent-Length: 0\r\n\r\n",
         ": malformed response: bad status line 'HTTP/1.1 500 A\\000B'"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: \u{9B}6n\r\n\r\n",
         ": malformed response: Transfer-Encoding '\\194\\1556n' (only chunked is accepted)"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\u{9B}\r\n\r\n",
         ": malformed response: Content-Length '2\\194\\155' is not a number"),
    ])
    func hostileServerText(answer: String, shown: String) async throws {
        let server = try ScriptedServer([.send(answer)])
        let endpoint = "http://127.0.0.1:\(server.port)"
        let discoverer = EC2MetadataDiscoverer(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint],
                                               attempts: 1)
        #expect(await failure(discoverer) == DiscoveryError(
            "metadata service at \(endpoint): PUT /latest/api/token" + shown))
    }

    /// The stub's garbage is the bytes 0 to 255; the message shows the first 24 as `\000` to `\023`.
    static let garbageStart = (0..<24).map { (byte: Int) -> String in "\\0" + (byte < 10 ? "0" : "") + String(byte) }
        .joined()

    @Test("answers broken at the HTTP level fail with the reason, once", arguments: [
        ("oversized", "malformed response: a body of 1048576 bytes, more than the limit of 65536"),
        ("bad-status", "malformed response: bad status line 'HTTP/1.1 OK'"),
        ("bad-header", "malformed response: bad header line 'Content-Length 2'"),
        ("no-length",
         "malformed response: neither Content-Length nor chunked encoding: the end of the body is unknown"),
        ("bad-chunked", "malformed response: bad chunk-size line 'zz'"),
        ("garbage", "malformed response: it does not start with 'HTTP/1.' but with '\(garbageStart)…'"),
    ])
    func brokenHTTP(mode: String, reason: String) async throws {
        let path = "/latest/meta-data/network/interfaces/macs/"
        let stub = try MetadataStub(scenario: scenario(faults: #""\#(path)": {"mode": "\#(mode)"}"#))
        let message = await failure(discoverer(stub))?.message
        #expect(message == "metadata service at \(stub.endpoint): GET \(path): " + reason)
        #expect(stub.requests.filter { $0.contains(path) }.count == 1)
    }

    @Test("a service that hangs up without a word, or answers with an error status, fails with the reason", arguments: [
        (#"{"mode": "close"}"#, "GET /latest/meta-data/placement/region: connection closed without a response "
         + "(2 attempts)"),
        (#"{"mode": "status", "status": 500}"#, "GET /latest/meta-data/placement/region answered "
         + "500 Internal Server Error"),
        (#"{"mode": "body", "body": "eu-west-1\neu-west-2"}"#, "GET /latest/meta-data/placement/region: "
         + "'eu-west-1 eu-west-2' is not a region name"),
    ])
    func otherFailures(fault: String, reason: String) async throws {
        let stub = try MetadataStub(scenario: scenario(faults: #""/latest/meta-data/placement/region": \#(fault)"#))
        #expect(await failure(discoverer(stub)) == DiscoveryError("metadata service at \(stub.endpoint): " + reason))
    }

    @Test("a truncated answer is retried, then fails with the reason")
    func truncated() async throws {
        let fault = #""/latest/meta-data/placement/region": {"mode": "truncated"}"#
        let stub = try MetadataStub(scenario: scenario(faults: fault))
        #expect(await failure(discoverer(stub)) == DiscoveryError(
            "metadata service at \(stub.endpoint): GET /latest/meta-data/placement/region: "
            + "connection closed after 12 of 100 bytes (2 attempts)"))
    }

    @Test("a chunked answer is read like any other")
    func chunked() async throws {
        let path = "/latest/meta-data/network/interfaces/macs/0e:49:61:0f:c3:11/public-ipv4s"
        let stub = try MetadataStub(scenario: scenario(faults: #""\#(path)": {"mode": "chunked"}"#))
        #expect(try await discoverer(stub).discover().addresses == [IPAddress("203.0.113.10")!])
    }

    /// An answer line longer than a message shows (100 digits), and the reason, which shows 60 of them.
    static let longLine = (
        #"[{"mac": "0e:49:61:0f:c3:11", "public-ipv4s": ["\#(String(repeating: "9", count: 100))"]}]"#,
        "GET /latest/meta-data/network/interfaces/macs/0e:49:61:0f:c3:11/public-ipv4s: '"
            + String(repeating: "9", count: 60) + "…' is not an IPv4 address")

    @Test("answers that are not what the service gives are errors naming the line", arguments: [
        (#"[{"mac": "0e:49:61:0f:c3:11", "public-ipv4s": ["203.0.113.10", "2001:db8::1"]}]"#,
         "GET /latest/meta-data/network/interfaces/macs/0e:49:61:0f:c3:11/public-ipv4s: "
         + "'2001:db8::1' is not an IPv4 address"),
        (#"[{"mac": "0e:49:61:0f:c3:11", "ipv6s": ["2001:db8::1", "fe80::1%eth0"]}]"#,
         "GET /latest/meta-data/network/interfaces/macs/0e:49:61:0f:c3:11/ipv6s: "
         + "'fe80::1%eth0' is not an IPv6 address"),
        (#"[{"mac": "../../iam/security-credentials"}]"#,
         "GET /latest/meta-data/network/interfaces/macs/: '../../iam/security-credentials/' is not an interface's "
         + "MAC followed by '/'"),
        longLine,
        (#"[]"#, "GET /latest/meta-data/network/interfaces/macs/: no interfaces listed"),
        ("[" + (1...65).map { #"{"mac": "0e:00:00:00:00:\#(($0 < 16 ? "0" : "") + String($0, radix: 16))"}"# }
                .joined(separator: ",") + "]",
         "GET /latest/meta-data/network/interfaces/macs/: 65 interfaces, more than 64"),
    ])
    func badContent(interfaces: String, reason: String) async throws {
        let stub = try MetadataStub(scenario: scenario(faults: "", interfaces: interfaces))
        #expect(await failure(discoverer(stub)) == DiscoveryError("metadata service at \(stub.endpoint): " + reason))
    }

    @Test("a region that is not a region name is an error")
    func badRegion() async throws {
        let stub = try MetadataStub(scenario: #"{"region": "eu west 1", "interfaces": [{"mac": "0e:00:00:00:00:01"}]}"#)
        #expect(await failure(discoverer(stub)) == DiscoveryError(
            "metadata service at \(stub.endpoint): GET /latest/meta-data/placement/region: 'eu west 1' is not a "
            + "region name"))
    }

    @Test("the stub serves the instance role's credentials the way awscli reads them")
    func roleCredentials() async throws {
        let stub = try MetadataStub(scenario: Self.twoInterfaces)
        let endpoint = try HTTPEndpoint(parsing: stub.endpoint)
        let client = HTTPClient(endpoint: endpoint, timeout: 5)
        let responses = try await onThreadOfItsOwn { Result { () throws(HTTPError) -> [HTTPResponse] in
            let token = try client.send(HTTPRequest(method: "PUT", path: "/latest/api/token", headers: [
                HTTPHeader("X-aws-ec2-metadata-token-ttl-seconds", "21600")]))
            let header = [HTTPHeader("X-aws-ec2-metadata-token", String(decoding: token.body, as: UTF8.self))]
            let roles = "/latest/meta-data/iam/security-credentials/"
            let name = try client.send(HTTPRequest(method: "GET", path: roles, headers: header))
            let role = try client.send(HTTPRequest(method: "GET", path: roles + "rdnscheck-instance", headers: header))
            return [name, role]
        } }.get()
        #expect(String(decoding: responses[0].body, as: UTF8.self) == "rdnscheck-instance")
        let credentials = String(decoding: responses[1].body, as: UTF8.self)
        for key in ["\"Code\": \"Success\"", "\"Type\": \"AWS-HMAC\"", "\"AccessKeyId\"", "\"SecretAccessKey\"",
                    "\"Token\"", "\"Expiration\"", "\"LastUpdated\""] {
            #expect(credentials.contains(key))
        }
    }
}
