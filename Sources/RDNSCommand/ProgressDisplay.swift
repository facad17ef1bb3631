import Dispatch
import RDNSCore

#if canImport(Glibc)
import Glibc
#endif

/// `12345/65536 addresses checked` on stderr, redrawn twice a second, for long runs in a terminal only: cron,
/// pipes and log files never see it.
final class ProgressDisplay: @unchecked Sendable {
    // @unchecked: the timer is a Dispatch source, safe to cancel from any thread; the rest is immutable.
    let counter = CheckProgress()
    private let total: Int
    private let timer: any DispatchSourceTimer

    /// Runs shorter than this are over before a display would help.
    static let minimumAddresses = 1_024

    /// A display when stderr is a terminal and the run is long, else nil.
    static func start(total: Int) -> ProgressDisplay? {
        guard total >= minimumAddresses, isatty(STDERR_FILENO) == 1 else { return nil }
        return ProgressDisplay(total: total)
    }

    private init(total: Int) {
        self.total = total
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "rdnscheck.progress"))
        let counter = self.counter
        timer.setEventHandler {
            Output.write("\r\(counter.done.load(ordering: .relaxed))/\(total) addresses checked", to: STDERR_FILENO)
        }
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.resume()
    }

    /// Stops redrawing and clears the line.
    func finish() {
        timer.cancel()
        Output.write("\r\u{1b}[K", to: STDERR_FILENO)
    }
}
