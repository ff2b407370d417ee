/// How failed Secret Manager calls are retried: exponential backoff with a cap.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (default 5; `retry.max_attempts`).
    public var maxAttempts: Int
    /// The wait before the first retry (default 250 ms; `retry.initial_backoff`).
    public var initialBackoff: Duration
    /// The longest wait between attempts (default 10 s; `retry.max_backoff`).
    public var maxBackoff: Duration
    /// The factor applied to the wait after each retry (default 2; `retry.multiplier`).
    public var multiplier: Double

    public init(
        maxAttempts: Int = 5,
        initialBackoff: Duration = .milliseconds(250),
        maxBackoff: Duration = .seconds(10),
        multiplier: Double = 2
    ) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
    }
}
