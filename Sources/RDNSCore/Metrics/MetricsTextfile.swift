/// The metrics of SPEC.md in the Prometheus text exposition format, for node_exporter's textfile collector.
///
/// Every metric is a gauge with `# HELP` and `# TYPE`. Labels hold only addresses and status words, never PTR
/// names (one series per address keeps the cardinality bounded by the configuration). Numbers are printed
/// without the C library, so the locale cannot change the decimal point.
public enum MetricsTextfile {
    /// The whole file for one completed run, ending with a newline.
    ///
    /// - Parameters:
    ///   - finishedAt: end of the run, in seconds since the epoch (`rdnscheck_last_run_timestamp_seconds`).
    ///   - lastSuccessAt: end of the last run in which every address was OK (see `lastSuccess`), or nil when
    ///     there has been none since the daemon started; the sample is then left out rather than given a made-up
    ///     value such as 0, which would read as "failing since 1970". HELP and TYPE stay; Prometheus parsers drop
    ///     a family without samples.
    ///   - intervalSeconds: the daemon's `interval`, so an alert rule can tell a stale textfile from a slow one;
    ///     nil for `--once`, whose period is cron's or the timer's, which rdnscheck does not know.
    public static func render(_ report: RunReport, finishedAt: Double, lastSuccessAt: Double?,
                              intervalSeconds: Int? = nil) -> String {
        let results = oneResultPerAddress(report.results)
        var out = ""
        func family(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for sample in samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        func byAddress(_ value: (AddressResult) -> Int) -> [(labels: String, value: String)] {
            results.map { (labels: "{address=\"\(Escaping.prometheusLabelValue($0.address.description))\"}", value: String(value($0))) }
        }

        family("rdnscheck_address_status", "Status of the address: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
               byAddress { $0.status.rawValue })
        family("rdnscheck_fcrdns_ok", "1 when every PTR name of the address forward-confirms, else 0 (also when "
               + "it has more than \(AddressResult.maximumPTRNames) PTR names: the others are not looked up).",
               byAddress { $0.isForwardConfirmed ? 1 : 0 })
        family("rdnscheck_temporary_failures", "Consecutive runs with a temporary DNS failure for the address.",
               byAddress(\.temporaryFailures))
        // A gauge, not a counter: `--once` starts from nothing every run, and a drift holds until the next run,
        // long enough for any scrape; alert rules and dashboards read it with max_over_time or changes.
        family("rdnscheck_drifted", "1 when the last run found a drift of the address (its PTR names, forward "
               + "answers, status, or whether it is on the host changed since the run before), else 0 (also with "
               + "no state to compare with).",
               byAddress { report.drifts[$0.address] == nil ? 0 : 1 })
        family("rdnscheck_receiver_accepts", "1 when a receiver applying the rule takes the address's mail without "
               + "penalty today, else 0 (receiver: gmail, postfix-client, postfix-reverse, spamassassin).",
               results.flatMap { result in
                   let address = Escaping.prometheusLabelValue(result.address.description)
                   return ReceiverVerdicts.all(for: result).map { outcome in
                       (labels: "{address=\"\(address)\",receiver=\"\(outcome.rule.rawValue)\"}",
                        value: outcome.accepts ? "1" : "0")
                   }
               })
        family("rdnscheck_addresses", "Addresses checked in the last run, by status.", Status.allCases.map { status in
            (labels: "{status=\"\(status.word)\"}", value: String(results.count { $0.status == status }))
        })
        family("rdnscheck_last_run_timestamp_seconds", "End of the last completed run, in seconds since the epoch.",
               [(labels: "", value: seconds(finishedAt))])
        family("rdnscheck_last_success_timestamp_seconds",
               "End of the last run in which every address was OK, in seconds since the epoch.",
               lastSuccessAt.map { [(labels: "", value: seconds($0))] } ?? [])
        family("rdnscheck_run_duration_seconds", "Duration of the last completed run, in seconds.",
               [(labels: "", value: seconds(report.durationSeconds))])
        family("rdnscheck_interval_seconds", "The daemon's interval between runs, in seconds (no sample for --once).",
               intervalSeconds.map { [(labels: "", value: String($0))] } ?? [])
        // Without `discover` or `aws-ptr on` these have no sample: 0 would read as "failing".
        family("rdnscheck_discovered_addresses",
               "Addresses the last run checked from discovery (the last ones found when it failed).",
               report.discovery.map { [(labels: "", value: String($0.addresses.count))] } ?? [])
        family("rdnscheck_discovery_ok", "1 when the last run's discovery of the host's addresses succeeded, else 0.",
               report.discovery.map { [(labels: "", value: $0.ok ? "1" : "0")] } ?? [])
        family("rdnscheck_aws_ok", "1 when the last run could read AWS's record of the Elastic IPs' PTRs, else 0.",
               report.aws.map { [(labels: "", value: $0.ok ? "1" : "0")] } ?? [])
        return out
    }

    /// The last-success time after `report`: `finishedAt` when every address was OK (a run with no addresses
    /// is UNKNOWN, not a success), else `previous`.
    public static func lastSuccess(after report: RunReport, finishedAt: Double, previous: Double?) -> Double? {
        report.status == .ok ? finishedAt : previous
    }

    /// One result per address, sorted. An address listed twice in the configuration (alone and in a range) is
    /// checked twice, but two series with the same labels make node_exporter reject the whole file; the worse
    /// result is kept, the first on a tie.
    private static func oneResultPerAddress(_ results: [AddressResult]) -> [AddressResult] {
        var kept: [IPAddress: AddressResult] = [:]
        for result in results where kept[result.address].map({ result.status > $0.status }) ?? true {
            kept[result.address] = result
        }
        return kept.values.sorted { $0.address < $1.address }
    }

    /// Millisecond precision: enough for a duration, and a timestamp needs no more.
    private static func seconds(_ value: Double) -> String {
        PlainFormat.decimal(value, places: 3)
    }
}
