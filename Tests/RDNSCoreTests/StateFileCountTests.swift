import RDNSCore
import Testing

/// The state file is input like any other: its failure counts decide whether the next timeout is CRITICAL.
@Suite("StateFile failure counts")
struct StateFileCountTests {
    /// One address with this status and failure count.
    private func file(status: String, failures: Int) -> String {
        """
        {"version": 1, "addresses": {"192.0.2.10": {"status": "\(status)", "ptr_names": ["mail.example.com"], \
        "forward": {"mail.example.com": ["192.0.2.10"]}, "temporary_failures": \(failures), "since": 1795428000, \
        "checked_at": 1795428000}}}
        """
    }

    // A planted 3999999999 beside "ok" made the address's first timeout CRITICAL at once.
    @Test("a count beside an OK status, which rdnscheck never writes, is read as 0", arguments: [1, 2, 3_999_999_999])
    func countOfAnOKAddressIsCleared(failures: Int) throws {
        let states = try StateFile.decode(Array(file(status: "ok", failures: failures).utf8))
        #expect(states[IPAddress("192.0.2.10")!]?.temporaryFailures == 0)
        #expect(states[IPAddress("192.0.2.10")!]?.ptrNames == ["mail.example.com"], "the baseline is kept")
    }

    @Test("the count of an address that was failing is read as written",
          arguments: [("warning", 2), ("critical", 7), ("unknown", 1)])
    func countOfAFailingAddressIsKept(status: String, failures: Int) throws {
        let states = try StateFile.decode(Array(file(status: status, failures: failures).utf8))
        #expect(states[IPAddress("192.0.2.10")!]?.temporaryFailures == failures)
    }
}
