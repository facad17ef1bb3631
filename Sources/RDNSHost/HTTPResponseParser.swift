import RDNSCore

/// Reads an HTTP/1.1 response from the bytes received so far, strictly (RFC 9112): a status line
/// `HTTP/1.x NNN reason`, header lines ending in CRLF, and a body framed by `Content-Length` or by
/// `Transfer-Encoding: chunked`, never by the end of the connection. Anything else is an error saying what, so that
/// a hostile or broken server cannot make rdnscheck take a partial or smuggled answer for a whole one.
enum HTTPResponseParser {
    /// The response in `bytes`, nil when more bytes are needed; `atEnd`: the server closed the connection, so
    /// nothing more will come. Throws as soon as the bytes so far cannot start a valid response.
    static func parse(_ bytes: [UInt8], limits: HTTPLimits, atEnd: Bool) throws(HTTPError) -> HTTPResponse? {
        try checkStart(bytes)
        guard let headerEnd = find(crlfcrlf, in: bytes[...]) else {
            if bytes.count > limits.headerBytes { throw malformed("headers longer than \(limits.headerBytes) bytes") }
            if atEnd {
                throw HTTPError(.connection, bytes.isEmpty ? "connection closed without a response"
                                                           : "connection closed in the middle of the headers")
            }
            return nil
        }
        guard headerEnd + 4 <= limits.headerBytes else {
            throw malformed("headers longer than \(limits.headerBytes) bytes")
        }
        var lines = try splitLines(bytes[..<(headerEnd + 2)])
        let (status, reason) = try statusLine(lines.removeFirst())
        guard lines.count <= limits.headerCount else { throw malformed("more than \(limits.headerCount) headers") }
        let headers = try lines.map(header)
        let body = bytes[(headerEnd + 4)...]
        guard let content = try readBody(body, status: status, headers: headers, limits: limits, atEnd: atEnd) else {
            return nil
        }
        return HTTPResponse(status: status, reason: reason, headers: headers, body: content)
    }

    private static let crlf: [UInt8] = [13, 10]
    private static let crlfcrlf: [UInt8] = [13, 10, 13, 10]

    private static func malformed(_ reason: String) -> HTTPError {
        HTTPError(.malformedResponse, "malformed response: \(reason)")
    }

    /// Fails early on an answer that is not HTTP at all, rather than waiting for headers that will never end.
    private static func checkStart(_ bytes: [UInt8]) throws(HTTPError) {
        let prefix = Array("HTTP/1.".utf8)
        guard bytes.prefix(prefix.count).elementsEqual(prefix.prefix(bytes.count)) else {
            throw malformed("it does not start with 'HTTP/1.' but with '\(shown(bytes, limit: 24))'")
        }
        guard let lineFeed = bytes.firstIndex(of: 10) else { return }
        guard lineFeed > 0, bytes[lineFeed - 1] == 13 else { throw malformed("a line ends in LF without CR") }
        _ = try statusLine(bytes[..<(lineFeed - 1)])
    }

    private static func statusLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> (Int, String) {
        let text = Array(line)
        func bad() -> HTTPError { malformed("bad status line '\(shown(line, limit: 80))'") }
        guard text.count >= 13, text.starts(with: Array("HTTP/1.".utf8)), text[7] == 48 || text[7] == 49,
              text[8] == 32, text[9...11].allSatisfy(isDecimalDigit), text[12] == 32 else { throw bad() }
        let status = text[9...11].reduce(0) { $0 * 10 + Int($1 - 48) }
        let reason = text[13...]
        guard status >= 100, reason.allSatisfy(isFieldByte) else { throw bad() }
        return (status, String(decoding: reason, as: UTF8.self))
    }

    /// The CRLF-ended lines of `section` (which ends in CRLF); a bare CR or LF is an error.
    private static func splitLines(_ section: ArraySlice<UInt8>) throws(HTTPError) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = section.startIndex
        var index = section.startIndex
        while index < section.endIndex {
            let byte = section[index]
            if byte == 13 {
                guard index + 1 < section.endIndex, section[index + 1] == 10 else {
                    throw malformed("a bare CR in the headers")
                }
                lines.append(section[start..<index])
                index += 2
                start = index
            } else {
                guard byte != 10 else { throw malformed("a line ends in LF without CR") }
                index += 1
            }
        }
        return lines
    }

    private static func header(_ line: ArraySlice<UInt8>) throws(HTTPError) -> HTTPHeader {
        guard let first = line.first, first != 32 && first != 9 else {
            throw malformed("a folded header line '\(shown(line, limit: 80))'")
        }
        guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
              line[..<colon].allSatisfy(isTokenByte) else {
            throw malformed("bad header line '\(shown(line, limit: 80))'")
        }
        let value = line[(colon + 1)...].drop { $0 == 32 || $0 == 9 }.reversed().drop { $0 == 32 || $0 == 9 }
        guard value.allSatisfy(isFieldByte) else {
            throw malformed("a control character in header '\(shown(line[..<colon], limit: 80))'")
        }
        return HTTPHeader(String(decoding: line[..<colon], as: UTF8.self),
                          String(decoding: value.reversed(), as: UTF8.self))
    }

    private static func readBody(_ body: ArraySlice<UInt8>, status: Int, headers: [HTTPHeader], limits: HTTPLimits,
                                 atEnd: Bool) throws(HTTPError) -> [UInt8]? {
        guard status >= 200 else { throw malformed("an interim \(status) response (none was asked for)") }
        let lengths = headers.filter { $0.name.lowercased() == "content-length" }.map(\.value)
        let encodings = headers.filter { $0.name.lowercased() == "transfer-encoding" }.map(\.value)
        if status == 204 || status == 304 {
            guard body.isEmpty else { throw malformed("a body after a \(status) response") }
            return []
        }
        switch (lengths.count, encodings.count) {
        case (0, 0):
            throw malformed("neither Content-Length nor chunked encoding: the end of the body is unknown")
        case (0, 1):
            guard encodings[0].lowercased() == "chunked" else {
                throw malformed("Transfer-Encoding '\(shown(encodings[0].utf8, limit: 80))' (only chunked is accepted)")
            }
            return try ChunkedBody.decode(body, limits: limits, atEnd: atEnd)
        case (1, 0):
            let text = lengths[0]
            guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy(isDecimalDigit),
                  let length = Int(text) else {
                throw malformed("Content-Length '\(shown(text.utf8, limit: 80))' is not a number")
            }
            guard length <= limits.body else {
                throw malformed("a body of \(length) bytes, more than the limit of \(limits.body)")
            }
            if body.count > length { throw malformed("\(body.count - length) bytes more than Content-Length") }
            if body.count < length {
                if atEnd { throw HTTPError(.connection, "connection closed after \(body.count) of \(length) bytes") }
                return nil
            }
            return Array(body)
        default:
            throw malformed(encodings.isEmpty ? "more than one Content-Length"
                                              : "both Content-Length and Transfer-Encoding")
        }
    }

    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        while index <= haystack.endIndex - needle.count {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }

    /// A server's bytes for a one-line message: at most `limit` characters of them, escaped as every error line
    /// is (`Escaping.oneLine`; bytes that are not UTF-8 read as U+FFFD).
    static func shown(_ bytes: some Sequence<UInt8>, limit: Int) -> String {
        Escaping.excerpt(String(decoding: Array(bytes), as: UTF8.self), limit: limit)
    }

    /// tchar of RFC 9110 5.6.2.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
    }

    /// What a reason phrase or a field value may hold: HTAB, SP, visible ASCII, and obs-text (RFC 9110 5.5).
    static func isFieldByte(_ byte: UInt8) -> Bool {
        byte == 9 || (byte >= 32 && byte != 127)
    }
}

/// `Transfer-Encoding: chunked` undone (RFC 9112 7.1): `SIZE[;extensions] CRLF DATA CRLF` … `0 CRLF`, trailer
/// lines, CRLF.
enum ChunkedBody {
    /// The body, nil when more bytes are needed.
    static func decode(_ bytes: ArraySlice<UInt8>, limits: HTTPLimits, atEnd: Bool) throws(HTTPError) -> [UInt8]? {
        var body: [UInt8] = []
        var rest = bytes
        func more() throws(HTTPError) -> [UInt8]? {
            if atEnd { throw HTTPError(.connection, "connection closed in the middle of the chunked body") }
            return nil
        }
        while true {
            guard let lineEnd = HTTPResponseParser.find([13, 10], in: rest) else {
                if rest.count > 1024 { throw malformed("a chunk-size line longer than 1024 bytes") }
                return try more()
            }
            let size = try chunkSize(rest[..<lineEnd])
            rest = rest[(lineEnd + 2)...]
            if size == 0 { break }
            guard body.count + size <= limits.body else {
                throw malformed("a chunked body of more than \(limits.body) bytes")
            }
            guard rest.count >= size + 2 else { return try more() }
            guard rest[rest.startIndex + size] == 13, rest[rest.startIndex + size + 1] == 10 else {
                throw malformed("chunk data not followed by CRLF where its size says it ends")
            }
            body += rest.prefix(size)
            rest = rest.dropFirst(size + 2)
        }
        var trailers = 0
        while true {
            guard let lineEnd = HTTPResponseParser.find([13, 10], in: rest) else {
                if rest.count > limits.headerBytes {
                    throw malformed("trailers longer than \(limits.headerBytes) bytes")
                }
                return try more()
            }
            if lineEnd == rest.startIndex {
                guard rest.count == 2 else { throw malformed("\(rest.count - 2) bytes after the chunked body") }
                return body
            }
            trailers += 1
            guard trailers <= limits.headerCount, rest[..<lineEnd].allSatisfy(HTTPResponseParser.isFieldByte),
                  rest[..<lineEnd].contains(58) else {
                throw malformed("a bad trailer line after the chunked body")
            }
            rest = rest[(lineEnd + 2)...]
        }
    }

    /// 1 to 8 hexadecimal digits (more could overflow; nothing rdnscheck reads comes near 4 GiB), then optional
    /// `;extensions`, which are ignored.
    private static func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPError) -> Int {
        let digits = line.prefix { hexDigitValue($0) != nil }
        let extensions = line[digits.endIndex...]
        guard (1...8).contains(digits.count), extensions.isEmpty || extensions.first == 59,
              extensions.allSatisfy(HTTPResponseParser.isFieldByte) else {
            throw malformed("bad chunk-size line '\(HTTPResponseParser.shown(line, limit: 40))'")
        }
        return digits.reduce(0) { $0 * 16 + Int(hexDigitValue($1)!) }
    }

    private static func malformed(_ reason: String) -> HTTPError {
        HTTPError(.malformedResponse, "malformed response: \(reason)")
    }
}
