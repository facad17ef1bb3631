import RDNSCore
import RDNSHost
import RDNSPOSIX
import RDNSRun

#if canImport(Glibc)
import Glibc
#endif

/// What asks about the host for `configuration`: the discoverer of its `discover` line and, with `aws-ptr on`, the
/// `aws` command. `environment` is this process's (the metadata endpoint, and the command's `HOME` and `AWS_*`).
func hostSources(for configuration: Configuration, environment: [String: String]) -> HostSources {
    let discoverer: (any AddressDiscoverer)? = switch configuration.discovery?.source {
    case .ec2: EC2MetadataDiscoverer(environment: environment)
    case .interfaces: InterfaceDiscoverer()
    case nil: nil
    }
    return HostSources(discoverer: discoverer,
                       aws: configuration.awsPTR ? awsPTRSource(for: configuration, environment: environment) : nil)
}

/// The region to ask AWS in, as the runs choose it: `aws-region`, else with `discover ec2` the instance's (from the
/// metadata service; nil when it cannot be asked, and the `aws` command then uses its own).
func awsRegion(for configuration: Configuration, environment: [String: String]) async -> String? {
    if let region = configuration.awsRegion { return region }
    guard configuration.discovery?.source == .ec2 else { return nil }
    return try? await EC2MetadataDiscoverer(environment: environment).discover().region
}

/// AWS's record of the account's Elastic IPs' PTRs, through the `aws` command (`aws-command`, else `aws` from the
/// clean PATH). `environment` is this process's: the command gets `HOME` and every `AWS_*` variable from it.
func awsPTRSource(for configuration: Configuration, environment: [String: String]) -> (any AWSPTRSource)? {
    AWSCommand(program: configuration.awsCommand, inherited: environment)
}
