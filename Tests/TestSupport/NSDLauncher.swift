import Foundation
import Glibc

/// Launching nsd once and waiting for it to answer.
extension NSDServer {
    /// nsd could not bind the port we picked (someone took it after we released it): try another.
    struct PortClash: Error {
        var underlying: TestSupportError
    }

    static func launch(zones: [String: String], ipv6: Bool, timeout: TimeInterval) throws -> NSDServer {
        // Find a free port by binding it ourselves, then release it for nsd; PortClash covers the race.
        let probe = try Loopback.bindPortSockets(ipv6: ipv6)
        probe.closeAll()
        let directory = try makeTemporaryDirectory()
        let config = directory + "/nsd.conf"
        let text = NSDConfig.text(port: probe.port, ipv6: ipv6, directory: directory, zones: zones)
        try text.write(toFile: config, atomically: true, encoding: .utf8)

        _ = FileManager.default.createFile(atPath: directory + "/nsd.stderr", contents: nil)
        let output = FileHandle(forWritingAtPath: directory + "/nsd.stderr")
        defer { try? output?.close() }
        let process: Process
        let lifeline: FileHandle
        do {
            (process, lifeline) = try NSDSupervisor.start(nsd: executablePath, config: config, directory: directory,
                                                          output: output)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw TestSupportError("cannot run \(executablePath): \(error)")
        }
        let server = NSDServer(port: probe.port, servesIPv6: ipv6, zones: zones, workDirectory: directory,
                               process: process, lifeline: lifeline)
        do {
            try server.waitUntilAnswering(timeout: timeout)
            return server
        } catch let error as TestSupportError {
            let log = server.log
            server.stop()
            if log.contains("Address already in use") { throw PortClash(underlying: error) }
            throw error
        }
    }

    /// Polls every zone's SOA over UDP on 127.0.0.1 (and the first zone on ::1) until all answer.
    private func waitUntilAnswering(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var waiting = zones.keys.sorted()
        while !waiting.isEmpty {
            guard server.process.isRunning else {
                throw failure("nsd exited with status \(server.process.terminationStatus) before answering")
            }
            guard Date() < deadline else { throw failure("nsd did not answer within \(timeout) s") }
            guard let reply = DNSProbe.query(waiting[0], type: DNSWire.typeSOA, port: port) else {
                usleep(50_000)  // not listening yet: a refused probe comes back at once, so do not spin
                continue
            }
            guard reply.rcode == 0, reply.authoritative else {
                throw failure("nsd answered RCODE \(reply.rcode) for the SOA of \(waiting[0]) (zone not loaded?)")
            }
            waiting.removeFirst()
        }
        if servesIPv6, let first = zones.keys.sorted().first,
           DNSProbe.query(first, type: DNSWire.typeSOA, port: port, family: .ipv6, timeoutMilliseconds: 2000) == nil {
            throw failure("nsd answers on 127.0.0.1 but not on ::1")
        }
    }

    private func failure(_ what: String) -> TestSupportError {
        TestSupportError("\(what) (port \(port), config \(workDirectory)/nsd.conf)\n--- nsd log ---\n\(log)")
    }

    /// A new directory under the temporary directory, named `rdnscheck-<label>.XXXXXX`.
    static func makeTemporaryDirectory(_ label: String = "nsd") throws -> String {
        let pattern = FileManager.default.temporaryDirectory.appendingPathComponent("rdnscheck-\(label).XXXXXX").path
        var template = Array(pattern.utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSupportError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }
}
