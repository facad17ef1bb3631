@testable import RDNSHost
import Testing

@Suite("HTTPResponseParser: a response is taken whole and valid, or not at all")
struct HTTPResponseParserTests {
    private let limits = HTTPLimits(body: 64, headerBytes: 256, headerCount: 4)

    private func parse(_ text: String, atEnd: Bool = true) throws(HTTPError) -> HTTPResponse? {
        try HTTPResponseParser.parse(Array(text.utf8), limits: limits, atEnd: atEnd)
    }

    private func failure(_ text: String, atEnd: Bool = true) -> HTTPError? {
        do {
            _ = try parse(text, atEnd: atEnd)
            return nil
        } catch {
            return error
        }
    }

    @Test("a body framed by Content-Length is the bytes it says")
    func contentLength() throws {
        let response = try #require(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello"))
        #expect(response.status == 200)
        #expect(response.reason == "OK")
        #expect(response.body == Array("hello".utf8))
        #expect(response.header("x-a") == "b")
        #expect(response.statusText == "200 OK")
    }

    @Test("a chunked body is the chunks joined, extensions and trailers skipped")
    func chunked() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n"
        let response = try #require(try parse(text))
        #expect(response.body == Array("hello, world!!!".utf8))
    }

    @Test("an empty reason phrase and HTTP/1.0 are valid; a 404 has its body")
    func statusVariants() throws {
        let response = try #require(try parse("HTTP/1.0 404 \r\nContent-Length: 2\r\n\r\nno"))
        #expect(response.status == 404)
        #expect(response.statusText == "404")
        #expect(response.body == Array("no".utf8))
    }

    @Test("a 204 has no body and needs no length")
    func noContent() throws {
        #expect(try parse("HTTP/1.1 204 No Content\r\n\r\n")?.body == [])
    }

    @Test("a response still arriving asks for more", arguments: [
        "",
        "HTTP/1.1 2",
        "HTTP/1.1 200 OK\r\nContent-Len",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
    ])
    func incomplete(text: String) throws {
        #expect(try parse(text, atEnd: false) == nil)
    }

    @Test("a connection closed before the response is whole is a connection error saying where", arguments: [
        ("", "connection closed without a response"),
        ("HTTP/1.1 200 OK\r\nContent-Len", "connection closed in the middle of the headers"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "connection closed after 3 of 5 bytes"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
         "connection closed in the middle of the chunked body"),
    ])
    func truncated(text: String, message: String) {
        #expect(failure(text) == HTTPError(.connection, message))
    }

    @Test("what breaks HTTP/1.1 or the limits is a malformed response with its reason", arguments: [
        ("SSH-2.0-OpenSSH_9.6\r\n", "it does not start with 'HTTP/1.' but with 'SSH-2.0-OpenSSH_9.6\\013\\010'"),
        ("HTTP/1.1 OK\r\n\r\n", "bad status line 'HTTP/1.1 OK'"),
        ("HTTP/1.1 200\r\n\r\n", "bad status line 'HTTP/1.1 200'"),
        ("HTTP/1.2 200 OK\r\n\r\n", "bad status line 'HTTP/1.2 200 OK'"),
        ("HTTP/1.1 099 Low\r\n\r\n", "bad status line 'HTTP/1.1 099 Low'"),
        ("HTTP/1.1 200 O\u{1}K\r\n\r\n", "bad status line 'HTTP/1.1 200 O\\001K'"),
        ("HTTP/1.1 100 Continue\r\n\r\n", "an interim 100 response (none was asked for)"),
        ("HTTP/1.1 200 OK\nContent-Length: 0\n\n", "a line ends in LF without CR"),
        ("HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n", "a line ends in LF without CR"),
        ("HTTP/1.1 200 OK\r\nA: b\rC: d\r\n\r\n", "a bare CR in the headers"),
        ("HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nhi", "bad header line 'Content-Length 2'"),
        ("HTTP/1.1 200 OK\r\n: x\r\n\r\n", "bad header line ': x'"),
        ("HTTP/1.1 200 OK\r\nA: b\r\n  c\r\n\r\n", "a folded header line '  c'"),
        ("HTTP/1.1 200 OK\r\nA: b\u{7F}\r\n\r\n", "a control character in header 'A'"),
        ("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", "more than 4 headers"),
        ("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 300) + "\r\n\r\n", "headers longer than 256 bytes"),
        ("HTTP/1.1 200 OK\r\n\r\nhello", "neither Content-Length nor chunked encoding: the end of the body is unknown"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
         "both Content-Length and Transfer-Encoding"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", "more than one Content-Length"),
        ("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nhi", "Content-Length '+2' is not a number"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nhi", "Content-Length '0x2' is not a number"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
         "Content-Length '99999999999999999999' is not a number"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n", "a body of 65 bytes, more than the limit of 64"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi!", "1 bytes more than Content-Length"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         "Transfer-Encoding 'gzip, chunked' (only chunked is accepted)"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n", "bad chunk-size line 'zz'"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\nhi\r\n0\r\n\r\n", "bad chunk-size line ' 2'"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", "bad chunk-size line '123456789'"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX\r\n0\r\n\r\n",
         "chunk data not followed by CRLF where its size says it ends"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n", "a chunked body of more than 64 bytes"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nmore", "4 bytes after the chunked body"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a trailer\r\n\r\n",
         "a bad trailer line after the chunked body"),
        ("HTTP/1.1 204 No Content\r\n\r\nx", "a body after a 204 response"),
    ])
    func malformed(text: String, reason: String) {
        #expect(failure(text) == HTTPError(.malformedResponse, "malformed response: \(reason)"))
    }

    @Test("garbage fails at once, before the rest of a response could come", arguments: [
        "\u{0}\u{1}\u{2}", "GET / HTTP/1.1\r\n", "HTTP/1.1 OK\r\n",
    ])
    func garbageFailsEarly(text: String) {
        #expect(failure(text, atEnd: false)?.kind == .malformedResponse)
    }

    @Test("a body exactly at the limit is taken, by either framing")
    func bodyAtTheLimit() throws {
        let body = String(repeating: "a", count: 64)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + body)?.body.count == 64)
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n\(body)\r\n0\r\n\r\n"
        #expect(try parse(chunked)?.body.count == 64)
    }
}
