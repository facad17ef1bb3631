/// A failure of the test infrastructure itself (a server that would not start, a port that would not
/// bind), as opposed to a failure of the code under test. The message is meant to be read in test output.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with any log that explains it.
    public var message: String

    /// An error with this message.
    public init(_ message: String) {
        self.message = message
    }

    /// The message itself, so test output shows it verbatim.
    public var description: String { message }
}
