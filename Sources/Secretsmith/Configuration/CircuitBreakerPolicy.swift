/// When the circuit breaker in front of Secret Manager opens, and for how long.
///
/// The breaker watches the failure *rate* of accesses over a sliding time window, as
/// resilience4j's `CircuitBreaker` and Hystrix do, and counts each access's final outcome
/// (after its retries), not each attempt: retries absorb transient errors, and the breaker
/// answers whether the service is failing the callers. It opens when, within `window`, at
/// least `minimumCalls` accesses finished and at least `failureRateThreshold` percent of
/// them failed in a way that says the service is unhealthy. After `recoveryTimeout` it lets
/// `halfOpenCalls` trial accesses through; if fewer than `failureRateThreshold` percent of
/// them fail it closes, else it opens again.
public struct CircuitBreakerPolicy: Sendable, Hashable {
    /// The failure rate, in percent (1–100), at or above which the breaker opens (default
    /// 50; `circuit_breaker.failure_rate_threshold`).
    public var failureRateThreshold: Double
    /// The fewest finished accesses in the window before the rate is judged at all
    /// (default 20; `circuit_breaker.minimum_calls`).
    public var minimumCalls: Int
    /// How far back the sliding window reaches (default 60 s; `circuit_breaker.window`).
    public var window: Duration
    /// How long the circuit stays open before trial accesses (default 30 s;
    /// `circuit_breaker.recovery_timeout`).
    public var recoveryTimeout: Duration
    /// How many trial accesses the half-open breaker lets through (default 3;
    /// `circuit_breaker.half_open_calls`).
    public var halfOpenCalls: Int

    public init(
        failureRateThreshold: Double = 50, minimumCalls: Int = 20, window: Duration = .seconds(60),
        recoveryTimeout: Duration = .seconds(30), halfOpenCalls: Int = 3
    ) {
        self.failureRateThreshold = failureRateThreshold
        self.minimumCalls = minimumCalls
        self.window = window
        self.recoveryTimeout = recoveryTimeout
        self.halfOpenCalls = halfOpenCalls
    }

    /// The policy `circuit_breaker.failure_threshold: N` stands for (the setting of earlier
    /// releases, which counted consecutive failures): the breaker opens once at least `N`
    /// accesses in the window finished and every one of them failed.
    public static func failureThreshold(_ count: Int) -> (failureRateThreshold: Double, minimumCalls: Int) {
        (100, count)
    }
}
