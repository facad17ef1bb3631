/// The text of `rdnscheck --help`.
enum HelpText {
    static let text = """
        Usage: rdnscheck [OPTIONS] [ADDRESS[=NAME] | CIDR ...]

        Checks forward-confirmed reverse DNS (FCrDNS): each address's PTR names must resolve back to it.

          --once                  check everything once, print a report and exit with its status
          -c, --config FILE       configuration file (default /etc/rdnscheck/rdnscheck.conf, read only
                                  when no addresses are given)
              --check-config      validate the configuration: prints 'configuration OK' or every error (exit 6)
              --preflight ADDRESS=NAME ...
                                  before asking for a PTR: is NAME a valid, non-generic hostname whose
                                  A/AAAA records include ADDRESS (and, with aws-ptr on, ADDRESS an Elastic
                                  IP of the account)? Prints what to fix and the command to run; exit 0
                                  when every address is ready, 2 otherwise (--format text or json)
              --format FORMAT     text (default), nagios or json
              --receivers         text: under each address, what each receiver rule (gmail, postfix-client,
                                  postfix-reverse, spamassassin) does with its mail (json always says it)
          -q, --quiet             print nothing when every address is OK, nothing changed and nothing
                                  went wrong (no warning or error was logged)
              --nameserver IP[:PORT]
                                  nameserver to ask (repeatable, at most 3; [IPv6]:PORT with a port);
                                  default: /etc/resolv.conf's (systemd-resolved's upstream servers
                                  when it names only resolved's stub)
              --timeout DURATION  per attempt, whole seconds from 1s to 30s (default 5s)
              --rate QPS|off      at most QPS queries a second to all nameservers together (1 to
                                  1000000); default off: the pipelined engine slows down by itself
                                  when a nameserver drops queries
              --engine ENGINE     libresolv (default: glibc's res_nmkquery + res_nsend on a pool of threads) or
                                  pipelined (one thread, many UDP queries in flight: for large ranges)
              --concurrency N     libresolv: N threads (default 16, at most 256); pipelined: at most N
                                  queries in flight (1 to 4096, default 100)
              --state FILE        state file: drift since the last run, fail-after (also with --once)
              --textfile FILE     Prometheus textfile for node_exporter, written after each run
          -h, --help              show this help
          -V, --version           show the version

        Addresses: 203.0.113.25, 203.0.113.25=mail.example.com (the PTR name it must have), 2001:db8::25,
        ranges such as 203.0.113.0/24 or 2001:db8::/120 (at most 65536 addresses each). Addresses on the
        command line replace the configuration's 'check' lines.

        Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad arguments or configuration, resolver
        unusable); 6 for --check-config on an invalid configuration.

        """
}
