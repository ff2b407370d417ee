/// When the circuit breaker in front of Secret Manager opens, and for how long.
public struct CircuitBreakerPolicy: Sendable, Hashable {
    /// Consecutive failures that open the circuit (default 5; `circuit_breaker.failure_threshold`).
    public var failureThreshold: Int
    /// How long the circuit stays open before one trial call (default 30 s;
    /// `circuit_breaker.recovery_timeout`).
    public var recoveryTimeout: Duration

    public init(failureThreshold: Int = 5, recoveryTimeout: Duration = .seconds(30)) {
        self.failureThreshold = failureThreshold
        self.recoveryTimeout = recoveryTimeout
    }
}
