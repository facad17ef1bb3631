/// A token bucket: `rate` tokens a second, at most `capacity` held, one token per query sent. It is what a
/// rate-limiting resolver runs (the VPC resolver's 1,024 packets a second), and what rdnscheck runs against it:
/// `--rate` and the pacing the pipelined engine adapts. Time is given to it, never read, so tests drive it with
/// plain numbers.
public struct TokenBucket: Sendable {
    public private(set) var rate: Double
    public private(set) var capacity: Double
    private var tokens: Double
    private var updated: Double?

    /// A full bucket. `rate` must be above 0; `capacity` is raised to one token when it is below.
    public init(rate: Double, capacity: Double) {
        self.rate = rate
        self.capacity = max(1, capacity)
        tokens = self.capacity
    }

    /// The bucket rdnscheck paces itself with: 10 ms worth of tokens, so it sends evenly rather than in bursts
    /// that a rate limiter with a shallow bucket would drop.
    public static func pacing(rate: Double) -> TokenBucket {
        TokenBucket(rate: rate, capacity: rate / 100)
    }

    /// Takes one token if there is one at `now`.
    public mutating func take(at now: Double) -> Bool {
        refill(at: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Takes the next token, waiting in line: returns when it is due (`now` if one is there). Tokens taken ahead
    /// are owed: whoever asks next waits behind them, so threads that share the bucket are served in turn.
    public mutating func reserve(at now: Double) -> Double {
        refill(at: now)
        tokens -= 1
        return tokens >= 0 ? now : now - tokens / rate
    }

    /// When `count` tokens are there (at most the capacity): `now` if they are already.
    public mutating func nextToken(at now: Double, count: Int = 1) -> Double {
        refill(at: now)
        let wanted = min(Double(count), capacity)
        return tokens >= wanted ? now : now + (wanted - tokens) / rate
    }

    /// Another rate (the adaptive pacing's), with the capacity `pacing(rate:)` gives it; the tokens held stay,
    /// up to that capacity.
    public mutating func change(rate: Double, at now: Double) {
        refill(at: now)
        self.rate = rate
        capacity = max(1, rate / 100)
        tokens = min(tokens, capacity)
    }

    private mutating func refill(at now: Double) {
        if let updated, now > updated {
            tokens = min(capacity, tokens + (now - updated) * rate)
        }
        updated = max(updated ?? now, now)
    }
}
