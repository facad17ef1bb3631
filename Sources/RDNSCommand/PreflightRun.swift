import RDNSCore
import RDNSPOSIX
import RDNSResolver

/// `rdnscheck --preflight ADDRESS=NAME …`: whether each NAME is ready to be asked for as ADDRESS's PTR; exit 0 when
/// every one is, 2 otherwise, 3 when the configuration or the resolver is unusable.
enum PreflightRun {
    static func run(_ options: CommandLineOptions, requests: [PreflightRequest]) async -> Int32 {
        // The configuration of -c (nameservers, timeout, engine, aws-ptr, aws-region), checked as --once checks it;
        // the addresses stand in for its `check` lines, without the names (one address may come with two).
        var withTargets = options
        for request in requests { try? withTargets.targets.add(CheckTarget(request.address)) }
        let (configuration, errors) = RDNSCheckCommand.loadConfiguration(withTargets)
        guard errors.isEmpty else { return RDNSCheckCommand.unusable(errors) }
        let resolver: any DNSResolver
        do {
            resolver = try configuration.engine.makeResolver(settings: ResolverSettings(configuration),
                                                             concurrency: options.concurrency)
        } catch {
            Output.error("rdnscheck: UNKNOWN: \(error)")
            return Status.unknown.exitCode
        }
        defer { resolver.shutdown() }

        let environment = environmentVariables()
        let aws = configuration.awsPTR ? awsPTRSource(for: configuration, environment: environment) : nil
        let region = aws == nil ? nil : await awsRegion(for: configuration, environment: environment)
        let report = await Preflight(resolver: resolver, policy: configuration.policy, aws: aws,
                                     region: region).run(requests)
        Output.write(options.format == .json ? PreflightOutput.json(report) : PreflightOutput.text(report))
        return report.exitCode
    }
}
