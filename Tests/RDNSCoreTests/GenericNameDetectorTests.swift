import RDNSCore
import Testing

private func genericReason(_ name: String, _ address: String) throws -> String? {
    GenericNameDetector.reason(try #require(DNSName(name)), for: try #require(IPAddress(address)))
}

@Suite("GenericNameDetector: cloud defaults and names that embed the address")
struct GenericNameDetectorTests {
    @Test("cloud providers' default names are generic, whatever address they name", arguments: [
        ("ec2-203-0-113-25.compute-1.amazonaws.com", "203.0.113.25", "AWS EC2"),
        ("ec2-203-0-113-25.eu-west-1.compute.amazonaws.com", "203.0.113.25", "AWS EC2"),
        ("EC2-203-0-113-25.US-WEST-2.COMPUTE.AMAZONAWS.COM.", "203.0.113.25", "AWS EC2"),
        ("ec2-198-51-100-9.compute-1.amazonaws.com", "203.0.113.25", "AWS EC2"),
        ("25.113.0.203.bc.googleusercontent.com", "203.0.113.25", "Google Cloud"),
        ("mailvm.westeurope.cloudapp.azure.com", "203.0.113.25", "Azure"),
        ("mailvm.cloudapp.net", "203.0.113.25", "Azure"),
    ])
    func cloudDefaults(name: String, address: String, provider: String) throws {
        #expect(try genericReason(name, address) == "the \(provider) default name")
    }

    @Test("a name in a provider's zone without the provider's default prefix is not a cloud default")
    func providerZoneWithoutPrefix() throws {
        #expect(try genericReason("mail.compute.amazonaws.com", "203.0.113.25") == nil)
        #expect(try genericReason("notec2-1.compute-1.amazonaws.com", "203.0.113.25") == nil)
    }

    @Test("names that embed the address are generic", arguments: [
        ("203-0-113-25.dsl.example.net", "203.0.113.25"),
        ("203.0.113.25.static.example.net", "203.0.113.25"),
        ("25.113.0.203.static.example.net", "203.0.113.25"),
        ("25-113-0-203.example.net", "203.0.113.25"),
        ("host-203_0_113_25.example.net", "203.0.113.25"),
        ("203-000-113-025.pool.example.net", "203.0.113.25"),
        ("203.000.113.025.pool.example.net", "203.0.113.25"),
        ("dyn203000113025.example.net", "203.0.113.25"),
        ("cb007119.example.net", "203.0.113.25"),
        ("ip-10-0-1-2.ec2.internal", "10.0.1.2"),
        ("host10-0-1-2.example.net", "10.0.1.2"),
        ("10-0-1-2", "10.0.1.2"),
        ("2001-db8--25.example.net", "2001:db8::25"),
        ("20010db8000000000000000000000025.example.net", "2001:db8::25"),
    ])
    func embedsAddress(name: String, address: String) throws {
        #expect(try genericReason(name, address) == "a name that embeds the address")
    }

    @Test("names that merely contain the address's digits or embed another address are not generic", arguments: [
        ("h10012.example.net", "10.0.1.2"),
        ("mail.example.com", "203.0.113.25"),
        ("mx1.example.com", "10.0.1.2"),
        ("203-0-113-26.dsl.example.net", "203.0.113.25"),
        ("203-0-113-250.dsl.example.net", "203.0.113.25"),
        ("1203-0-113-25.dsl.example.net", "203.0.113.25"),
        ("26.113.0.203.static.example.net", "203.0.113.25"),
        ("ec2-203-0-113-25.example.com", "198.51.100.9"),
        ("mail2001.example.net", "2001:db8::25"),
    ])
    func notGeneric(name: String, address: String) throws {
        #expect(try genericReason(name, address) == nil)
    }
}
