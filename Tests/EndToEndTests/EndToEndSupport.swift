import Foundation
import TestSupport

/// The repository's top folder, from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Runs the built `rdnscheck` with `arguments`.
func rdnscheck(_ arguments: [String], environment: [String: String]? = nil) async throws -> ProcessResult {
    try await offThePool {
        try ProcessRunner.run(ProcessRunner.builtProduct("rdnscheck"), arguments: arguments, environment: environment,
                              timeout: 60)
    }
}

/// Runs `rdnscheck --once --nameserver 127.0.0.1:PORT` (the shared NSD) plus `arguments`.
func rdnscheckOnce(_ arguments: [String], port: UInt16? = nil) async throws -> ProcessResult {
    let port = if let port { port } else { try await NSDServer.standard().port }
    return try await rdnscheck(["--once", "--nameserver", "127.0.0.1:\(port)", "--timeout", "1s"] + arguments)
}

/// Writes `text` to a fresh file and returns its path.
func temporaryFile(_ text: String, name: String = "rdnscheck.conf") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rdnscheck-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The JSON object printed on stdout.
func jsonObject(_ result: ProcessResult) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else {
        throw CocoaError(.propertyListReadCorrupt)
    }
    return object
}

extension String {
    /// True when the text holds a control character other than newline, or DEL.
    var hasRawControlBytes: Bool {
        unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f }
    }

    var lines: [String] {
        split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}
