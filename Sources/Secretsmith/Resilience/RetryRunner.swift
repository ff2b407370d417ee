/// The one retry loop of the library: Secret Manager calls and the authentication flows'
/// requests both run through it.
///
/// Attempts are made up to the policy's `maxAttempts`; between them it sleeps on the
/// clock for the policy's backoff (exponential, full jitter, a `Retry-After` floor), or not
/// at all when the decision says so. Cancellation is seen before each attempt, after a
/// failed one (an HTTP client may report a cancelled request as its own error) and
/// during the sleep, and always surfaces as `CancellationError`.
package struct RetryRunner: Sendable {
    /// What to do after a failed attempt (asked only when attempts remain).
    package enum Decision: Sendable, Hashable {
        /// Retry after the policy's backoff, at least `floor` (a server's `Retry-After`).
        case retry(floor: Duration? = nil)
        /// Retry at once (a refreshed token, not a struggling server).
        case retryNow
        /// Give up: the attempt's error is thrown.
        case stop
    }

    package var policy: RetryPolicy
    package var clock: SecretManagerClock

    package init(policy: RetryPolicy, clock: SecretManagerClock) {
        self.policy = policy
        self.clock = clock
    }

    /// Runs `attempt` (told its number, from 1) until it returns, `decide` says stop,
    /// attempts run out or the task is cancelled.
    ///
    /// - Parameters:
    ///   - decide: told a failed attempt's error and number; whether and how to retry.
    ///   - willRetry: told the error, the attempt's number and the delay before the next
    ///     one (logs, metrics).
    /// - Throws: the last attempt's error, or `CancellationError`.
    package func run<T: Sendable>(
        _ attempt: (Int) async throws -> T,
        decide: (any Error, Int) -> Decision,
        willRetry: (any Error, Int, Duration) -> Void = { _, _, _ in }
    ) async throws -> T {
        var generator = SystemRandomNumberGenerator()
        var number = 0
        while true {
            number += 1
            try Task.checkCancellation()
            do {
                return try await attempt(number)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                guard number < policy.maxAttempts else { throw error }
                let delay: Duration
                switch decide(error, number) {
                case .stop: throw error
                case .retryNow: delay = .zero
                case .retry(let floor): delay = policy.delay(forRetry: number, retryAfter: floor, using: &generator)
                }
                willRetry(error, number, delay)
                try await clock.sleep(delay)
            }
        }
    }
}
