import Foundation
import Glibc

/// Tests/Stubs/ec2-api-stub.py on a free loopback port: the EC2 Query API's `DescribeAddressesAttribute` for the
/// real `aws` command (`--endpoint-url http://127.0.0.1:PORT`), answering from a scenario file re-read per request
/// (the format is at the top of the script).
public final class EC2APIStub: @unchecked Sendable {
    public static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Stubs/ec2-api-stub.py").path
    }

    public let port: UInt16
    /// The directory of the scenario, the port file and the stub's log.
    public let directory: String
    private let process: Process

    public var scenarioPath: String { directory + "/scenario.json" }
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts the stub with `scenario` (JSON text) and waits until it listens.
    public static func start(scenario: String, timeout: TimeInterval = 20) throws -> EC2APIStub {
        let directory = NSTemporaryDirectory() + "rdnscheck-ec2-stub-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try scenario.write(toFile: directory + "/scenario.json", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [scriptPath, directory + "/scenario.json", "--port-file", directory + "/port"]
        FileManager.default.createFile(atPath: directory + "/stub.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stub.log"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.runWithEmptySignalMask()
        try? log.close()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: directory + "/port", encoding: .utf8),
               let port = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return EC2APIStub(port: port, directory: directory, process: process)
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        process.terminate()
        let written = (try? String(contentsOfFile: directory + "/stub.log", encoding: .utf8)) ?? ""
        throw TestSupportError("ec2-api-stub.py did not start within \(timeout) s: \(written)")
    }

    private init(port: UInt16, directory: String, process: Process) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    deinit {
        stop()
    }

    /// Replaces the scenario; the next request reads it.
    public func setScenario(_ scenario: String) throws {
        try scenario.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
    }

    /// One line per request it answered: `DescribeAddressesAttribute allocation-ids= -> 200`.
    public var log: String {
        (try? String(contentsOfFile: directory + "/stub.log", encoding: .utf8)) ?? ""
    }

    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
