/// One HTTP/1.1 request: the client adds `Host:` and `Connection: close`, and `Content-Length: 0` to a `PUT`.
public struct HTTPRequest: Sendable, Equatable {
    public let method: String
    public let path: String
    public let headers: [HTTPHeader]

    public init(method: String, path: String, headers: [HTTPHeader] = []) {
        self.method = method
        self.path = path
        self.headers = headers
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A response as read: status, headers, the whole body (chunked encoding undone).
public struct HTTPResponse: Sendable, Equatable {
    public let status: Int
    public let reason: String
    public let headers: [HTTPHeader]
    public let body: [UInt8]

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// `200 OK`, for messages: the reason phrase is the server's text (obs-text, a C1 control, is allowed in it),
    /// so it is shown as every server text is.
    public var statusText: String {
        reason.isEmpty ? String(status) : "\(status) \(HTTPResponseParser.shown(reason.utf8, limit: 80))"
    }
}

/// The most a response may hold; beyond it the response is an error, not truncated.
public struct HTTPLimits: Sendable, Equatable {
    /// Bytes of the body, chunked encoding undone.
    public var body: Int
    /// Bytes of the status line and headers together (chunked trailers too).
    public var headerBytes: Int
    /// Header lines (chunked trailers too).
    public var headerCount: Int

    public init(body: Int = 65_536, headerBytes: Int = 16_384, headerCount: Int = 64) {
        self.body = body
        self.headerBytes = headerBytes
        self.headerCount = headerCount
    }
}

/// Why a request got no usable response: one line for a log.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The deadline passed before the whole response came.
        case timeout
        /// The connection could not be made, or broke (refused, reset, no route); worth another attempt.
        case connection
        /// The server's answer breaks HTTP/1.1 or the limits; another attempt would get the same.
        case malformedResponse
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Timeouts and broken connections may pass; a malformed answer will not.
    public var isWorthRetrying: Bool { kind != .malformedResponse }

    public var description: String { message }
}
