import Foundation

/// The nsd.conf for a test server, and discovery of the zone files in Tests/Zones.
enum NSDConfig {
    /// A configuration for running nsd in the foreground as the current user: no privilege drop, no
    /// chroot, no database, every state file in `directory`, no rate limiting (tests send bursts), one
    /// server process, no remote control.
    static func text(port: UInt16, ipv6: Bool, directory: String, zones: [String: String]) -> String {
        var lines = [
            "server:",
            "    ip-address: 127.0.0.1",
        ]
        if ipv6 { lines.append("    ip-address: ::1") }
        lines += [
            "    port: \(port)",
            "    server-count: 1",
            "    verbosity: 1",
            "    username: \"\"",
            "    chroot: \"\"",
            "    database: \"\"",
            "    zonesdir: \"\"",
            "    pidfile: \(quoted(directory + "/nsd.pid"))",
            "    logfile: \(quoted(directory + "/nsd.log"))",
            "    zonelistfile: \(quoted(directory + "/zone.list"))",
            "    xfrdfile: \(quoted(directory + "/xfrd.state"))",
            "    xfrdir: \(quoted(directory))",
            "    rrl-ratelimit: 0",
            "remote-control:",
            "    control-enable: no",
        ]
        for (name, file) in zones.sorted(by: { $0.key < $1.key }) {
            lines += ["zone:", "    name: \(quoted(name))", "    zonefile: \(quoted(absolute(file)))"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The zones in a directory: every `*.zone` file, named by its `$ORIGIN` line (file names cannot hold
    /// the `/` of an RFC 2317 zone such as 64/26.2.0.192.in-addr.arpa), else by the file name.
    static func zones(in directory: String) -> [String: String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var zones: [String: String] = [:]
        for file in files where file.hasSuffix(".zone") {
            let path = directory + "/" + file
            let name = origin(ofZoneFile: path) ?? String(file.dropLast(".zone".count))
            zones[name] = path
        }
        return zones
    }

    /// The name on the first `$ORIGIN` line, without the trailing dot.
    static func origin(ofZoneFile path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("$ORIGIN") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2 else { return nil }
            let name = String(fields[1])
            return name.hasSuffix(".") ? String(name.dropLast()) : name
        }
        return nil
    }

    /// nsd resolves relative zone file paths against its working directory, which is not ours to rely on.
    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    private static func quoted(_ value: String) -> String {
        "\"" + value + "\""
    }
}
