/// A circuit breaker for one (environment, project): after `failureThreshold` consecutive
/// failures that say the service is unhealthy it opens and fails calls at once, without a
/// network call; after `recoveryTimeout` it lets one trial call through (half-open); the
/// trial's success closes it, its failure opens it again.
///
/// Failures that prove the service answered (a missing secret, a denied permission) do
/// not count, and reset the count of consecutive failures.
package actor CircuitBreaker {
    /// The breaker's state.
    package enum State: Sendable, Hashable {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen

        /// `closed`, `open` or `half_open`, for stats and metrics.
        package var name: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half_open"
            }
        }
    }

    package let policy: CircuitBreakerPolicy
    private let clock: SecretManagerClock
    private(set) package var state: State = .closed(consecutiveFailures: 0) {
        didSet {
            if oldValue.name != state.name { onTransition?(state.name) }
        }
    }
    private var trialInFlight = false
    /// How many times the breaker opened.
    private(set) package var openings = 0
    /// The last unhealthy failure seen (code, HTTP status, message; never a value), so a
    /// call refused by the open breaker can say what is actually wrong upstream.
    private(set) package var lastFailure: String?
    /// Told the new state's ``State/name`` on every change of state (metrics).
    private let onTransition: (@Sendable (String) -> Void)?

    /// - Parameter onTransition: called with the new state's name (`closed`, `open`,
    ///   `half_open`) whenever the state changes; it must not block.
    package init(
        policy: CircuitBreakerPolicy, clock: SecretManagerClock, onTransition: (@Sendable (String) -> Void)? = nil
    ) {
        self.policy = policy
        self.clock = clock
        self.onTransition = onTransition
    }

    /// The answer to a request to make a call.
    package enum Permit: Sendable, Hashable {
        /// Go ahead (closed, or the half-open trial).
        case proceed
        /// Fail fast: the breaker is open until `retryAt`, or a half-open trial is under
        /// way (`retryAt` nil).
        case rejected(retryAt: ContinuousClock.Instant?)
    }

    /// Asks to make a call.
    package func permit() -> Permit {
        switch state {
        case .closed:
            return .proceed
        case .open(let until):
            if clock.now() >= until {
                state = .halfOpen
                trialInFlight = true
                return .proceed
            }
            return .rejected(retryAt: until)
        case .halfOpen:
            if trialInFlight { return .rejected(retryAt: nil) }
            trialInFlight = true
            return .proceed
        }
    }

    /// Records a call's outcome.
    ///
    /// - Parameters:
    ///   - unhealthy: whether the call failed in a way that says the service is
    ///     unhealthy; `false` for success and for answers such as NOT_FOUND.
    ///   - cause: for an unhealthy failure, a sentence describing it (kept for messages).
    package func record(unhealthy: Bool, cause: String? = nil) {
        if unhealthy, let cause { lastFailure = cause }
        switch state {
        case .closed(let failures):
            if unhealthy {
                let count = failures + 1
                if count >= policy.failureThreshold {
                    open()
                } else {
                    state = .closed(consecutiveFailures: count)
                }
            } else {
                state = .closed(consecutiveFailures: 0)
            }
        case .halfOpen:
            trialInFlight = false
            if unhealthy { open() } else { state = .closed(consecutiveFailures: 0) }
        case .open:
            // A call permitted before the breaker opened finished late; the breaker
            // already decided.
            break
        }
    }

    /// Releases a half-open trial that ended without a verdict (cancelled).
    package func abandonTrial() {
        if case .halfOpen = state { trialInFlight = false }
    }

    private func open() {
        state = .open(until: clock.now() + policy.recoveryTimeout)
        trialInFlight = false
        openings += 1
    }
}
