import Secretsmith
import Synchronization

/// A token bucket per principal (by ``Principal/name``): each bucket holds up to `burst`
/// tokens, refills at `requests_per_second`, and every request takes one.
package final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameter now: the time source (tests move it by hand).
    package init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    /// Takes one token from the principal's bucket.
    ///
    /// - Returns: `nil` when the request may go on; else how long until a token is there.
    package func take(_ principal: String, limit: ServeConfiguration.RateLimit) -> Duration? {
        let now = self.now()
        return buckets.withLock { buckets in
            var bucket = buckets[principal] ?? Bucket(tokens: Double(limit.burst), updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(limit.burst), bucket.tokens + seconds * limit.requestsPerSecond)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[principal] = bucket
                return nil
            }
            buckets[principal] = bucket
            let wait = (1 - bucket.tokens) / limit.requestsPerSecond
            return .nanoseconds(Int64((wait * 1e9).rounded(.up)))
        }
    }
}
