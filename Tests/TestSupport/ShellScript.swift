import Glibc

/// Writes `body` as an executable `/bin/sh` script at `path`, through a close-on-exec descriptor: a program another
/// test starts meanwhile must not inherit it open for writing, or running the script fails with ETXTBSY (seen
/// with Foundation's file writing).
public func writeShellScript(_ body: String, to path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
    guard descriptor >= 0 else { throw TestSupportError("cannot create \(path)") }
    let text = Array(("#!/bin/sh\n" + body).utf8)
    let written = write(descriptor, text, text.count)
    close(descriptor)
    guard written == text.count else { throw TestSupportError("cannot write \(path)") }
}
