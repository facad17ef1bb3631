import Foundation
import Glibc

/// Tests/Stubs/imds-stub.py, the EC2 metadata service stand-in, run on a free loopback port for one test. Its
/// scenario is JSON (the format is documented at the top of the script); `setScenario` changes it between two runs.
public final class MetadataStub: @unchecked Sendable {
    // @unchecked: every property is set once in `init`; `process` is only stopped, which Foundation makes safe.
    public let port: UInt16
    /// `http://127.0.0.1:PORT` (or `http://[::1]:PORT`), the value for AWS_EC2_METADATA_SERVICE_ENDPOINT.
    public let endpoint: String
    private let directory: String
    private let process: Process

    public static let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Stubs/imds-stub.py").path

    /// Starts the stub with `scenario` (JSON text) on `address` (127.0.0.1 or ::1) and waits until it listens
    /// (10 s at most).
    public init(scenario: String, address: String = Loopback.ipv4Address) throws {
        directory = NSTemporaryDirectory() + "rdnscheck-imds-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try scenario.write(toFile: directory + "/scenario.json", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", MetadataStub.scriptPath, directory + "/scenario.json",
                             "--log", directory + "/requests.log", "--bind", address]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.runWithEmptySignalMask()
        let line = MetadataStub.firstLine(of: output.fileHandleForReading.fileDescriptor, within: 10)
        try? output.fileHandleForReading.close()
        guard let line, let port = UInt16(line), port > 0 else {
            process.terminate()
            throw TestSupportError("imds-stub.py did not say its port within 10 s (got \(line ?? "nothing"))")
        }
        self.port = port
        endpoint = address.contains(":") ? "http://[\(address)]:\(port)" : "http://\(address):\(port)"
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Replaces the scenario; the stub reads it for its next request. Renamed into place, so that no request
    /// reads half a file.
    public func setScenario(_ scenario: String) throws {
        try scenario.write(toFile: directory + "/scenario.json", atomically: true, encoding: .utf8)
    }

    /// One line per request served so far: `METHOD PATH STATUS token=ok|missing|wrong` (STATUS is the fault mode,
    /// e.g. `silent`, for a fault that sends no status).
    public var requests: [String] {
        let text = (try? String(contentsOfFile: directory + "/requests.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    private static func firstLine(of descriptor: Int32, within seconds: Double) -> String? {
        let deadline = monotonicSeconds() + seconds
        var bytes: [UInt8] = []
        while monotonicSeconds() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) >= 0 || errno == EINTR else { return nil }
            guard poller.revents != 0 else { continue }
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }
}
