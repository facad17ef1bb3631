import RDNSCore
import RDNSHost
import Testing

@Suite("HTTPEndpoint: http:// and a literal address, nothing else")
struct HTTPEndpointTests {
    @Test("literal addresses with and without a port parse, and print canonically", arguments: [
        ("http://169.254.169.254", "169.254.169.254", 80, "http://169.254.169.254"),
        ("http://169.254.169.254/", "169.254.169.254", 80, "http://169.254.169.254"),
        ("http://127.0.0.1:8111", "127.0.0.1", 8111, "http://127.0.0.1:8111"),
        ("http://[fd00:ec2::254]", "fd00:ec2::254", 80, "http://[fd00:ec2::254]"),
        ("http://[FD00:EC2:0::254]:8080/", "fd00:ec2::254", 8080, "http://[fd00:ec2::254]:8080"),
    ])
    func valid(text: String, address: String, port: Int, printed: String) throws {
        let endpoint = try HTTPEndpoint(parsing: text)
        #expect(endpoint.address == IPAddress(address))
        #expect(Int(endpoint.port) == port)
        #expect(endpoint.description == printed)
    }

    @Test("anything else is an error naming the text and what is wrong", arguments: [
        ("https://169.254.169.254", "only http:// is supported"),
        ("169.254.169.254", "it does not start with http://"),
        ("http://", "no address"),
        ("http://localhost:8111", "'localhost' is not an IPv4 address (no host names)"),
        ("http://instance-data.ec2.internal", "'instance-data.ec2.internal' is not an IPv4 address (no host names)"),
        ("http://169.254.169.254/latest", "it has a path, query or user part"),
        ("http://user@169.254.169.254", "it has a path, query or user part"),
        ("http://fd00:ec2::254", "an IPv6 address must be in brackets"),
        ("http://[fd00:ec2::254", "the '[' of the IPv6 address is not closed"),
        ("http://[169.254.169.254]", "'169.254.169.254' is not an IPv6 address"),
        ("http://[fd00::1]x", "unexpected text after the ']'"),
        ("http://127.0.0.1:", "'' is not a port number from 1 to 65535"),
        ("http://127.0.0.1:0", "'0' is not a port number from 1 to 65535"),
        ("http://127.0.0.1:65536", "'65536' is not a port number from 1 to 65535"),
        ("http://127.0.0.1:+80", "'+80' is not a port number from 1 to 65535"),
    ])
    func invalid(text: String, reason: String) {
        let message = "'\(text)' is not an endpoint of the form http://ADDRESS[:PORT]: \(reason)"
        #expect(throws: HTTPEndpointError(message)) {
            try HTTPEndpoint(parsing: text)
        }
    }
}
