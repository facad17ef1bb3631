/// The round-trip time of answered queries, smoothed as TCP does (RFC 6298), and the early retry it allows: a
/// query not answered within a few round trips while other queries are being answered was most likely dropped (by
/// a rate limiter), so the engine asks it again then instead of waiting out the whole timeout. Time is given to
/// it, never read.
struct RoundTripEstimator {
    /// No early retry sooner than this: a recursive resolver's slow answers (a cache miss) must not look dropped.
    static let minimumDelay = 0.2
    /// Early retries only while some answer came this recently: a server that answers nothing at all is down or
    /// unreachable, not limiting, and gets one datagram per attempt, as before.
    static let answersRecent = 1.0

    private var smoothed: Double?
    private var variation = 0.0
    private var lastAnswer = -Double.infinity
    /// The timeout of one attempt: an early retry that would come later than this is no retry at all.
    let timeout: Double

    init(timeout: Double) {
        self.timeout = timeout
    }

    /// A reply came at `now`; `roundTrip` is its time when the query had one datagram out (Karn's rule: the time
    /// of a query asked twice says nothing).
    mutating func answered(roundTrip: Double?, at now: Double) {
        lastAnswer = now
        guard let roundTrip else { return }
        if let smoothed {
            variation = 0.75 * variation + 0.25 * abs(smoothed - roundTrip)
            self.smoothed = 0.875 * smoothed + 0.125 * roundTrip
        } else {
            smoothed = roundTrip
            variation = roundTrip / 2
        }
    }

    /// Whether some answer came in the last `answersRecent` seconds.
    func answersFlowing(at now: Double) -> Bool {
        now - lastAnswer <= RoundTripEstimator.answersRecent
    }

    /// How long to wait for a datagram sent `resends` retries into its attempt before asking again: the smoothed
    /// round trip plus four deviations, at least `minimumDelay`, doubled with each retry (TCP's back-off); nil when
    /// it is the attempt's timeout that ends the wait (no round trip measured yet, no answers lately, or the delay
    /// has grown to the timeout).
    func retryDelay(afterResends resends: Int, at now: Double) -> Double? {
        guard let smoothed, answersFlowing(at: now), resends < 16 else { return nil }
        let delay = max(RoundTripEstimator.minimumDelay, smoothed + 4 * variation) * Double(1 << resends)
        return delay < timeout ? delay : nil
    }
}
