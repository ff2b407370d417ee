import Foundation

extension RetryPolicy {
    /// The longest delay before retry number `retry` (1 for the first retry): exponential
    /// backoff, `initial_backoff × multiplier^(retry-1)`, capped at `max_backoff`.
    package func backoffCeiling(forRetry retry: Int) -> Duration {
        let initial = initialBackoff.secondsDouble
        let ceiling = initial * pow(multiplier, Double(max(0, retry - 1)))
        return .secondsDouble(min(ceiling, maxBackoff.secondsDouble))
    }

    /// The delay before retry number `retry`: "full jitter", a uniformly random delay
    /// between zero and ``backoffCeiling(forRetry:)``, so that many clients retrying
    /// together spread out (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
    /// A server's `Retry-After` is a floor.
    package func delay(
        forRetry retry: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator
    ) -> Duration {
        let ceiling = backoffCeiling(forRetry: retry).secondsDouble
        let jittered = ceiling > 0 ? Double.random(in: 0...ceiling, using: &generator) : 0
        let floor = retryAfter?.secondsDouble ?? 0
        return .secondsDouble(max(jittered, floor))
    }
}
