import RDNSCore
import Testing

/// Parses `text` as the whole of `/etc/rdnscheck/rdnscheck.conf`, from files in memory.
private func parse(_ text: String) -> (Configuration, [String]) {
    struct OneFile: ConfigurationSource {
        let text: String
        func read(_ path: String) -> Result<[UInt8], ConfigurationSourceError> { .success(Array(text.utf8)) }
        func expand(_ pattern: String) -> Result<[String], ConfigurationSourceError> { .success([]) }
    }
    let (configuration, errors) = ConfigurationParser.parse(file: "/c.conf", source: OneFile(text: text))
    return (configuration, errors.map(\.description))
}

@Suite("The directives of SPEC.md's host and AWS section: discover, aws-ptr, aws-command, aws-region")
struct HostDirectivesTests {
    @Test("SPEC.md's lines parse to their values")
    func specLines() {
        let (configuration, errors) = parse("""
            discover ec2 mail.example.com
            aws-ptr on
            aws-command /usr/bin/aws
            aws-region eu-west-1
            """)
        #expect(errors.isEmpty)
        #expect(configuration.discovery == Configuration.Discovery(source: .ec2,
                                                                   expectedName: DNSName("mail.example.com")))
        #expect(configuration.awsPTR)
        #expect(configuration.awsCommand == "/usr/bin/aws")
        #expect(configuration.awsRegion == "eu-west-1")
    }

    @Test("the defaults: no discovery, aws-ptr off, the aws command and region left to their own defaults")
    func defaults() {
        let (configuration, errors) = parse("check 192.0.2.1\n")
        #expect(errors.isEmpty)
        #expect(configuration.discovery == nil && !configuration.awsPTR)
        #expect(configuration.awsCommand == nil && configuration.awsRegion == nil)
        #expect(parse("discover interfaces\naws-ptr off\n").0.discovery == Configuration.Discovery(source: .interfaces))
    }

    @Test("region names as AWS spells them are accepted", arguments: [
        "us-east-1", "eu-central-2", "ap-southeast-5", "us-gov-west-1", "cn-northwest-1", "il-central-1",
    ])
    func regions(region: String) {
        #expect(parse("aws-region \(region)\n").1.isEmpty)
    }

    @Test("bad values are errors naming the line and what is wrong", arguments: [
        ("discover", "'discover' takes ec2 or interfaces and an optional expected PTR name"),
        ("discover gce", "discover 'gce' must be ec2 or interfaces"),
        ("discover ec2 a b", "'discover' takes ec2 or interfaces and an optional expected PTR name"),
        ("discover ec2 -mail.example.com", "expected name '-mail.example.com' is not a valid hostname"),
        ("aws-ptr yes", "aws-ptr 'yes' must be on or off"),
        ("aws-ptr", "'aws-ptr' takes one value"),
        ("aws-command aws", "aws-command 'aws' must be an absolute path to a program"),
        ("aws-region eu_west_1", "aws-region 'eu_west_1' is not an AWS region name such as eu-west-1"),
        ("aws-region EU-WEST-1", "aws-region 'EU-WEST-1' is not an AWS region name such as eu-west-1"),
        ("aws-region eu-west", "aws-region 'eu-west' is not an AWS region name such as eu-west-1"),
        ("aws-region eu-west-1;rm", "aws-region 'eu-west-1;rm' is not an AWS region name such as eu-west-1"),
    ])
    func badValues(line: String, message: String) {
        #expect(parse(line + "\n").1 == ["/c.conf:1: \(message)"])
    }

    @Test("discover, aws-ptr, aws-command and aws-region given twice are errors naming the first place")
    func givenTwice() {
        let (configuration, errors) = parse("discover ec2\ndiscover interfaces\naws-region eu-west-1\n"
                                            + "aws-region us-east-1\n")
        #expect(errors == ["/c.conf:2: 'discover' is already set at /c.conf:1",
                           "/c.conf:4: 'aws-region' is already set at /c.conf:3"])
        #expect(configuration.discovery?.source == .ec2)
        #expect(configuration.awsRegion == "eu-west-1")
    }
}
