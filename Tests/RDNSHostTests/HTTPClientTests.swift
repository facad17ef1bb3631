import RDNSCore
import RDNSHost
import RDNSPOSIX
import Testing
import TestSupport

@Suite("HTTPClient: one request, one deadline, a strict reading of the answer")
struct HTTPClientTests {
    private func client(_ server: ScriptedServer, timeout: Double = 5, limits: HTTPLimits = HTTPLimits())
        -> HTTPClient {
        HTTPClient(endpoint: HTTPEndpoint(address: .v4(0x7F00_0001), port: server.port), timeout: timeout,
                   limits: limits)
    }

    /// The client's outcome and the seconds it took, measured on the thread that ran it (no task scheduling in
    /// it): the client blocks, so tests run it off Swift's pool.
    private func send(_ request: HTTPRequest, with client: HTTPClient) async
        -> (result: Result<HTTPResponse, HTTPError>, seconds: Double) {
        await onThreadOfItsOwn {
            let started = RDNSPOSIX.monotonicSeconds()
            let result = Result { () throws(HTTPError) in try client.send(request) }
            return (result, RDNSPOSIX.monotonicSeconds() - started)
        }
    }

    private let get = HTTPRequest(method: "GET", path: "/latest/meta-data/placement/region")

    @Test("the request names the host, closes the connection, carries its headers and a PUT's empty body")
    func requestText() async throws {
        let server = try ScriptedServer([.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ntoken")])
        let request = HTTPRequest(method: "PUT", path: "/latest/api/token",
                                  headers: [HTTPHeader("X-aws-ec2-metadata-token-ttl-seconds", "21600")])
        let (result, _) = await send(request, with: client(server))
        #expect(try result.get().body == Array("token".utf8))
        #expect(server.receivedRequest == "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n"
                + "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }

    @Test("a response in pieces, chunked, is read whole")
    func chunkedInPieces() async throws {
        let server = try ScriptedServer([
            .send("HTTP/1.1 200 OK\r\nTransfer-"), .pause(0.05), .send("Encoding: chunked\r\n\r\n4\r\neu-w"),
            .pause(0.05), .send("\r\n5\r\nest-1\r\n0\r\n"), .pause(0.05), .send("\r\n"), .hold,
        ])
        let (result, _) = await send(get, with: client(server))
        #expect(try result.get().body == Array("eu-west-1".utf8))
    }

    @Test("a server that accepts and never answers is a timeout at the deadline")
    func silentServer() async throws {
        let server = try ScriptedServer([.hold])
        let (result, seconds) = await send(get, with: client(server, timeout: 0.5))
        #expect(result.failure == HTTPError(.timeout, "no answer within 0.5s (reading the response)"))
        #expect(seconds >= 0.49)
        #expect(seconds < 0.5 + busyMachineAllowance)
    }

    @Test("a server that keeps sending a byte at a time still ends at the deadline of the whole request")
    func drippingServer() async throws {
        // 30 s of drip: a deadline per read instead of per request would wait for all of it.
        let server = try ScriptedServer([.send("HTTP/1.1 200 OK\r\nX-Pad: "), .drip(97, interval: 0.1, count: 300)])
        let (result, seconds) = await send(get, with: client(server, timeout: 0.5))
        #expect(result.failure?.kind == .timeout)
        #expect(seconds < 0.5 + busyMachineAllowance)
    }

    @Test("a slow answer within the deadline is taken")
    func slowButInTime() async throws {
        let server = try ScriptedServer([.pause(0.3), .send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")])
        let (result, _) = await send(get, with: client(server, timeout: 5))
        #expect(try result.get().status == 200)
    }

    @Test("a body larger than the limit is refused as soon as its length is known")
    func oversized() async throws {
        let server = try ScriptedServer([.send("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\nxxxx"), .hold])
        let (result, seconds) = await send(get, with: client(server, timeout: 5, limits: HTTPLimits(body: 65_536)))
        let reason = "a body of 1048576 bytes, more than the limit of 65536"
        #expect(result.failure == HTTPError(.malformedResponse, "malformed response: \(reason)"))
        #expect(seconds < 5)
    }

    @Test("a chunked body growing past the limit is refused")
    func oversizedChunked() async throws {
        let chunk = String(repeating: "x", count: 1000)
        let server = try ScriptedServer([.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")]
                                        + Array(repeating: .send("3e8\r\n\(chunk)\r\n"), count: 70) + [.hold])
        let (result, _) = await send(get, with: client(server, timeout: 5, limits: HTTPLimits(body: 65_536)))
        #expect(result.failure == HTTPError(.malformedResponse,
                                            "malformed response: a chunked body of more than 65536 bytes"))
    }

    @Test("a body cut short by the server closing is a connection error, not a shorter body")
    func truncated() async throws {
        let server = try ScriptedServer([.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n203.0.113.10")])
        let (result, _) = await send(get, with: client(server))
        #expect(result.failure == HTTPError(.connection, "connection closed after 12 of 100 bytes"))
    }

    @Test("garbage on an open connection fails at once, not at the deadline")
    func garbage() async throws {
        let server = try ScriptedServer([.send("\u{16}\u{3}\u{1}\u{0}garbage"), .hold])
        let (result, seconds) = await send(get, with: client(server, timeout: 20))
        #expect(result.failure?.kind == .malformedResponse)
        #expect(seconds < 20)
    }

    @Test("a chunked body with a bad chunk size is malformed")
    func badChunked() async throws {
        let server = try ScriptedServer([.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n"),
                                         .hold])
        let (result, _) = await send(get, with: client(server, timeout: 20))
        #expect(result.failure == HTTPError(.malformedResponse, "malformed response: bad chunk-size line 'zz'"))
    }

    @Test("a port nobody listens on is a connection error, at once")
    func refused() async throws {
        let port = try ScriptedServer.closedPort()
        let client = HTTPClient(endpoint: HTTPEndpoint(address: .v4(0x7F00_0001), port: port), timeout: 20)
        let (result, seconds) = await send(get, with: client)
        #expect(result.failure == HTTPError(.connection, "cannot connect: Connection refused"))
        #expect(seconds < 20)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
