import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// `--once`'s report on stdout as the results come (`CheckRun.streamedOnce`), through the formats' one writer
/// (`ReportWriter`), holding no result: what must wait goes to a `SpoolFile`, never to memory.
///
/// Two things wait. Nagios's result lines wait for its first line, which has the counts: they are spooled and
/// copied after it. With `--quiet` a run that is OK prints nothing, which is known only at its end, unless an
/// address is not OK (or a warning was logged) before: until then the output is spooled, then copied out and the
/// rest written straight on; at the end of a quiet run that stayed OK it is dropped.
public final class StreamedReport {
    private let format: ReportFormat
    private let receivers: Bool
    private let output: Int32
    private let destination: Destination
    /// Unchecked: touched by one task at a time (the report is not Sendable), and the run-time check of exclusive
    /// access cost about 90 instructions a result.
    @exclusivity(unchecked) private var writer: ReportWriter?
    /// Whether what is written will be printed (always, without `--quiet`).
    private var printing: Bool

    /// Where the writer's pieces go: the spool while it is there, else the output.
    private final class Destination {
        let output: Int32
        var spool: SpoolFile?
        var failure: SpoolFile.Failure?

        init(_ spool: SpoolFile?, output: Int32) {
            self.spool = spool
            self.output = output
        }

        func write(_ bytes: UnsafeRawBufferPointer) {
            // Write errors on the output are ignored, as for stdout on a closed pipe.
            guard let spool else { return _ = writeAll(bytes, to: output) }
            do {
                try spool.write(bytes)
            } catch {
                failure = failure ?? error
            }
        }
    }

    /// Written to `output` (stdout). Nil when the report needs a spool (nagios, `--quiet`) and none can be made:
    /// the caller keeps the whole run instead.
    public init?(format: ReportFormat, receivers: Bool, quiet: Bool, environment: [String: String],
                 output: Int32 = STDOUT_FILENO) {
        self.format = format
        self.receivers = receivers
        self.output = output
        printing = !quiet
        guard quiet || format.tailComesFirst else {
            destination = Destination(nil, output: output)
            return
        }
        guard let spool = try? SpoolFile(environment: environment) else { return nil }
        destination = Destination(spool, output: output)
    }

    /// Before the first result: the targets tell the text format's address column, `checkedAt` is the run's start.
    /// `printing`: something already decided that the output is printed (a warning was logged).
    public func begin(targets: CheckTargets, checkedAt: Int, printing: Bool) {
        let destination = self.destination
        writer = ReportWriter(format, receivers: receivers, ipv6: targets.holdsIPv6) { destination.write($0) }
        if !format.tailComesFirst { writer?.head(checkedAt: checkedAt) }
        if printing { startPrinting() }
    }

    public func add(_ result: AddressResult) {
        writer?.result(result, drift: nil)
        if !printing && result.status != .ok { startPrinting() }
    }

    /// Writes the tail, or drops everything when `print` is false (a quiet run that stayed OK). Nil when done, else
    /// why output held back was lost.
    public func finish(_ tail: ReportTail, print: Bool) -> SpoolFile.Failure? {
        guard print else { return nil }
        if !printing { startPrinting() }
        if format.tailComesFirst {
            writer?.flush()
            let spool = destination.spool
            destination.spool = nil
            writer?.tail(tail)
            writer?.flush()
            do {
                try spool?.copy(to: output)
            } catch {
                destination.failure = destination.failure ?? error
            }
        } else {
            writer?.tail(tail)
            writer?.flush()
        }
        return destination.failure
    }

    /// From now on the output is printed: what was held back for `--quiet` is copied out, the rest written straight
    /// to stdout (nagios's lines still wait for its first).
    private func startPrinting() {
        printing = true
        guard !format.tailComesFirst, let spool = destination.spool else { return }
        writer?.flush()
        do {
            try spool.copy(to: output)
        } catch {
            destination.failure = destination.failure ?? error
        }
        destination.spool = nil
    }
}
