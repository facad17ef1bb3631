import Foundation
import Testing
import TestSupport

/// The built binary's arguments, configuration handling and exit codes, without DNS.
@Suite("rdnscheck command line")
struct CommandLineTests {
    @Test("--version prints 'rdnscheck X.Y.Z' on its first line and exits 0", arguments: ["--version", "-V"])
    func version(flag: String) async throws {
        let result = try await rdnscheck([flag])
        #expect(result.exitStatus == 0)
        #expect(result.stdoutText.lines.first?.wholeMatch(of: /rdnscheck \d+\.\d+\.\d+/) != nil)
    }

    /// Swift reads the arguments from /proc/self/cmdline. Hiding /proc needs a mount namespace (root); a sanitized
    /// binary cannot run without /proc at all (its runtime reads /proc/self/maps), so the sanitized runs skip this.
    @Test("without /proc the command line is unreadable: exit 3 with a clear line, never the daemon with defaults",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
                       && !Sanitizers.any,
                   "needs root and unshare(1) to hide /proc in a mount namespace, and no sanitizer"))
    func withoutProc() async throws {
        let binary = ProcessRunner.builtProduct("rdnscheck")
        let result = try await offThePool {
            try ProcessRunner.run("/usr/bin/unshare", arguments: [
                "--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount -t tmpfs none /proc && exec \"$0\" --once --nameserver 127.0.0.1:9 192.0.2.1", binary,
            ], timeout: 30)
        }
        #expect(result.exitStatus == 3)
        #expect(result.stderrText == "rdnscheck: cannot read the command line (/proc/self/cmdline is missing: "
            + "is /proc mounted?)\n")
        #expect(result.stdoutText.isEmpty)
    }

    @Test("--help describes the usage and exits 0", arguments: ["--help", "-h"])
    func help(flag: String) async throws {
        let result = try await rdnscheck([flag])
        #expect(result.exitStatus == 0)
        #expect(result.stdoutText.hasPrefix("Usage: rdnscheck"))
        #expect(result.stdoutText.contains("--check-config"))
    }

    @Test("bad arguments exit 3 with one clear line and a pointer to --help", arguments: [
        (["--bogus"], "unknown option '--bogus'"),
        (["--once", "203.0.113.256"], "'203.0.113.256' is not an IPv4 or IPv6 address or range"),
        (["--once", "10.0.0.0/15"], "at most 65536"),
        (["--once", "2001:db8::/111"], "at most 65536"),
        (["--once", "203.0.113.1/24"], "did you mean 203.0.113.0/24"),
        (["--once", "203.0.113.5=bad_-.example..com"], "is not a valid hostname"),
        (["--once", "--format", "xml", "203.0.113.5"], "unknown format 'xml'"),
        (["--once", "--timeout", "0s", "203.0.113.5"], "timeout '0s'"),
        (["--once", "--timeout"], "option '--timeout' needs a value"),
        (["--once", "--rate", "0", "203.0.113.5"],
         "rate '0' is not a number of queries a second from 1 to 1000000, or o"),
        (["--once", "--rate=1.5", "203.0.113.5"], "rate '1.5' is not a number of queries a second"),
        (["--once", "--nameserver", "[::1]5300", "203.0.113.5"], "is not a nameserver"),
        (["--once", "--nameserver", "127.0.0.1:0", "203.0.113.5"], "is not a nameserver"),
        (["--once", "--nameserver", "0.0.0.0:53", "203.0.113.5"], "'0.0.0.0:53' is not a nameserver: 0.0.0.0 is the "),
        (["--once", "--nameserver", "::", "203.0.113.5"], "'::' is not a nameserver: :: is the unspecified"),
        (["--once", "--nameserver", "224.0.0.251", "203.0.113.5"], "224.0.0.0/4 is multicast"),
        (["--once", "--timeout", "1s0s", "203.0.113.5"], "timeout '1s0s' is not a duration: the unit 's' is given "),
        (["--once", "--timeout=", "203.0.113.5"], "timeout is empty, not a duration"),
        (["--once", "--state", "relative.json", "203.0.113.5"], "must be an absolute path"),
        (["--once", "--quiet=yes", "203.0.113.5"], "takes no value"),
        (["--once", "--receivers=yes", "203.0.113.5"], "option '--receivers' takes no value"),
    ] as [([String], String)])
    func badArguments(arguments: [String], message: String) async throws {
        let result = try await rdnscheck(arguments)
        #expect(result.exitStatus == 3)
        #expect(result.stdoutText.isEmpty)
        #expect(result.stderrText.lines.count == 1)
        #expect(result.stderrText.contains(message), "\(result.stderrText)")
        #expect(result.stderrText.contains("--help"))
    }

    @Test("a bad argument holding a newline and escape codes is reported on one escaped line (found by fuzzing)")
    func hostileArgument() async throws {
        let result = try await rdnscheck(["--once", "192.0.2.1\n\u{1b}[31mCRITICAL"])
        #expect(result.exitStatus == 3)
        #expect(result.stderrText.lines.count == 1)
        #expect(!result.stderrText.hasRawControlBytes)
        #expect(result.stderrText.contains("192.0.2.1\\010\\027[31mCRITICAL"))
    }

    @Test("--check-config prints 'configuration OK' for a valid file")
    func checkConfigValid() async throws {
        let result = try await rdnscheck(["--check-config", "-c", repositoryRoot + "/config/demo.conf"])
        #expect(result.exitStatus == 0)
        #expect(result.stdoutText == "configuration OK\n")
    }

    @Test("--check-config prints every error as FILE:LINE: message and exits 6")
    func checkConfigInvalid() async throws {
        let path = try temporaryFile("""
            timeout 90s
            attempts two
            check 192.0.2.10
            frobnicate yes
            check 192.0.2.0/24 mail.example.com
            """)
        let result = try await rdnscheck(["--check-config", "-c", path])
        #expect(result.exitStatus == 6)
        let errors = result.stderrText.lines
        #expect(errors.map { $0.split(separator: ":").dropFirst().first.map(String.init) } == ["1", "2", "4", "5"])
        #expect(errors.allSatisfy { $0.hasPrefix(path + ":") })
        #expect(errors[2].hasSuffix("unknown directive 'frobnicate'"))
    }

    @Test("a missing configuration file is named in the error")
    func missingConfigFile() async throws {
        let result = try await rdnscheck(["--check-config", "-c", "/nonexistent/rdnscheck.conf"])
        #expect(result.exitStatus == 6)
        #expect(result.stderrText.contains("cannot read /nonexistent/rdnscheck.conf: No such file or directory"))
    }

    @Test("--once with an invalid configuration is UNKNOWN (exit 3) and lists the errors")
    func onceWithInvalidConfig() async throws {
        let path = try temporaryFile("check 192.0.2.10\nattempts 0\n")
        let result = try await rdnscheck(["--once", "-c", path])
        #expect(result.exitStatus == 3)
        #expect(result.stderrText.contains("\(path):2: attempts '0' is not a number from 1 to 5"))
    }

    @Test("one file for the state and the textfile is an error (each run's metrics overwrote the state)")
    func stateIsTextfile() async throws {
        let onceResult = try await rdnscheck(["--once", "--state", "/tmp/same.file", "--textfile", "/tmp/same.file",
                                              "192.0.2.10"])
        #expect(onceResult.exitStatus == 3)
        #expect(onceResult.stderrText.contains("command line: state and textfile are the same file, /tmp/same.file"),
                "\(onceResult.stderrText)")
        let path = try temporaryFile("state /var/tmp/rdns.data\ntextfile /var/tmp/rdns.data\ncheck 192.0.2.10\n")
        let checked = try await rdnscheck(["--check-config", "-c", path])
        #expect(checked.exitStatus == 6)
        #expect(checked.stderrText.contains("\(path): state and textfile are the same file, /var/tmp/rdns.data"))
    }

    @Test("a configuration without addresses is UNKNOWN: nothing to check")
    func nothingToCheck() async throws {
        let result = try await rdnscheck(["--once", "-c", repositoryRoot + "/config/rdnscheck.conf"])
        #expect(result.exitStatus == 3)
        #expect(result.stderrText.contains("nothing to check"))
    }
}
