import Synchronization

/// A circuit breaker for one (environment, project), judged on the failure *rate* of
/// accesses over a sliding time window (the model of resilience4j's `CircuitBreaker` and
/// Hystrix), see ``CircuitBreakerPolicy``.
///
/// - Closed: every access proceeds; each finished access is recorded in the window. When
///   the window holds at least `minimumCalls` accesses and at least `failureRateThreshold`
///   percent of them failed unhealthily, the breaker opens.
/// - Open: accesses fail at once, without a network call, until `recoveryTimeout` passes.
/// - Half-open: up to `halfOpenCalls` trial accesses proceed; the others are refused. Once
///   the trials' failure rate is certain to reach the threshold the breaker opens again;
///   once every trial reported and it stayed below, it closes with an empty window.
///
/// The manager records an access's *final* outcome, after its retries, not each attempt.
/// A one-shot run makes one burst of accesses; counting attempts would let the burst's own
/// transient failures (which its retries would have cured) open the breaker and cut the
/// remaining retries short. Counting final outcomes means the breaker opens only when
/// accesses are failing after all their retries: the service is down for the callers, and
/// later accesses are better refused at once than sent into it.
///
/// Failures that prove the service answered (a missing secret, a denied permission) count
/// as successes: the service is up.
///
/// While open, ``openRefusal(now:)`` answers without an actor hop, so that a refused access
/// costs a lock and a comparison, not a suspension.
package actor CircuitBreaker {
    /// The breaker's state.
    package enum State: Sendable, Hashable {
        case closed
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

    /// Identifies one admitted access, so that its outcome is counted where it belongs: in
    /// the closed window, or as a trial of one half-open round.
    package struct Ticket: Sendable, Hashable {
        /// The half-open round the access is a trial of; `nil` for an access admitted while closed.
        fileprivate var trialRound: Int?
    }

    /// The answer to a request to make an access.
    package enum Permit: Sendable, Hashable {
        /// Go ahead; report the outcome with this ticket.
        case proceed(Ticket)
        /// Fail fast: the breaker is open until `retryAt`, or every half-open trial is
        /// under way (`retryAt` nil).
        case rejected(retryAt: ContinuousClock.Instant?)

        /// Whether the access may proceed.
        package var proceeds: Bool {
            if case .proceed = self { true } else { false }
        }
    }

    /// Why the breaker last opened: the window's counts when it did.
    package struct Opening: Sendable, Hashable {
        /// Unhealthy failures among `calls`.
        package var failures: Int
        /// Accesses finished in the window (or trials in the half-open round).
        package var calls: Int
    }

    /// One slice of the sliding window (a tenth of it).
    private struct Bucket {
        var start: ContinuousClock.Instant
        var calls = 0
        var failures = 0
    }

    package let policy: CircuitBreakerPolicy
    private let clock: SecretManagerClock
    private(set) package var state: State = .closed {
        didSet {
            if oldValue.name != state.name { onTransition?(state.name) }
            publish()
        }
    }
    private var buckets: [Bucket] = []
    private var round = 0
    private var trialsAdmitted = 0
    private var trialsReported = 0
    private var trialFailures = 0
    /// How many times the breaker opened.
    private(set) package var openings = 0
    /// The counts behind the last opening.
    private(set) package var lastOpening: Opening? {
        didSet { publish() }
    }
    /// The last unhealthy failure seen (code, HTTP status, message; never a value), so an
    /// access refused by the open breaker can say what is actually wrong upstream.
    private(set) package var lastFailure: String? {
        didSet { publish() }
    }

    /// What an access refused while the breaker is open is told, readable without a hop.
    package struct Refusal: Sendable, Hashable {
        /// When trial calls are let through.
        package var retryAt: ContinuousClock.Instant
        /// Why the breaker opened.
        package var opening: Opening?
        /// The last unhealthy failure seen.
        package var lastFailure: String?
    }

    /// The state as far as ``openRefusal(now:)`` needs it: the end of the open period (nil
    /// when not open), the last opening and failure. Written on every change of those.
    private let published = Mutex<Refusal?>(nil)
    /// The last ``refusalText(for:make:)``.
    private let refusalTexts = Mutex<(refusal: Refusal, text: String)?>(nil)
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

    private func publish() {
        let refusal: Refusal?
        if case .open(let until) = state {
            refusal = Refusal(retryAt: until, opening: lastOpening, lastFailure: lastFailure)
        } else {
            refusal = nil
        }
        published.withLock { $0 = refusal }
    }

    /// The refusal an access gets at `now` without asking the actor: non-nil only while the
    /// breaker is open and its recovery timeout has not passed. Otherwise (closed, half-open,
    /// or open but due for trials) ask ``permit()``, which also admits trial calls.
    package nonisolated func openRefusal(now: ContinuousClock.Instant) -> Refusal? {
        guard let refusal = published.withLock({ $0 }), now < refusal.retryAt else { return nil }
        return refusal
    }

    /// The text `make` builds for `refusal`, made once per refusal (one opening, its counts
    /// and last failure) and kept, so that the accesses it refuses share one string.
    package nonisolated func refusalText(for refusal: Refusal, make: () -> String) -> String {
        if let kept = refusalTexts.withLock({ $0 }), kept.refusal == refusal { return kept.text }
        let text = make()
        refusalTexts.withLock { $0 = (refusal, text) }
        return text
    }

    /// Asks to make an access.
    package func permit() -> Permit {
        switch state {
        case .closed:
            return .proceed(Ticket(trialRound: nil))
        case .open(let until):
            guard clock.now() >= until else { return .rejected(retryAt: until) }
            round += 1
            trialsAdmitted = 0
            trialsReported = 0
            trialFailures = 0
            state = .halfOpen
            return admitTrial()
        case .halfOpen:
            return admitTrial()
        }
    }

    private func admitTrial() -> Permit {
        guard trialsAdmitted < max(1, policy.halfOpenCalls) else { return .rejected(retryAt: nil) }
        trialsAdmitted += 1
        return .proceed(Ticket(trialRound: round))
    }

    /// Records an admitted access's final outcome.
    ///
    /// - Parameters:
    ///   - ticket: what ``permit()`` answered.
    ///   - unhealthy: whether the access failed in a way that says the service is
    ///     unhealthy; `false` for success and for answers such as NOT_FOUND.
    ///   - cause: for an unhealthy failure, a sentence describing it (kept for messages).
    package func record(_ ticket: Ticket, unhealthy: Bool, cause: String? = nil) {
        if unhealthy, let cause { lastFailure = cause }
        switch (state, ticket.trialRound) {
        case (.closed, nil):
            recordInWindow(unhealthy: unhealthy)
        case (.halfOpen, let trial?) where trial == round:
            trialsReported += 1
            if unhealthy { trialFailures += 1 }
            let trials = max(1, policy.halfOpenCalls)
            if Double(trialFailures) * 100 >= policy.failureRateThreshold * Double(trials) {
                // Even if every outstanding trial succeeds, the rate reaches the threshold.
                open(Opening(failures: trialFailures, calls: trialsReported))
            } else if trialsReported >= trials {
                buckets.removeAll()
                state = .closed
            }
        default:
            // An access admitted in an earlier state finished late; the breaker already
            // decided without it.
            break
        }
    }

    /// Releases an admitted access that ended without a verdict on the service's health
    /// (cancelled, or stopped before reaching it, e.g. no credentials).
    package func abandon(_ ticket: Ticket) {
        if case .halfOpen = state, let trial = ticket.trialRound, trial == round {
            trialsAdmitted -= 1
        }
    }

    /// The accesses and unhealthy failures currently in the window.
    package func windowCounts() -> Opening {
        prune(now: clock.now())
        return Opening(failures: buckets.reduce(0) { $0 + $1.failures }, calls: buckets.reduce(0) { $0 + $1.calls })
    }

    private func recordInWindow(unhealthy: Bool) {
        let now = clock.now()
        prune(now: now)
        let width = policy.window / 10
        if let last = buckets.last, now - last.start < width {
            buckets[buckets.count - 1].calls += 1
            if unhealthy { buckets[buckets.count - 1].failures += 1 }
        } else {
            buckets.append(Bucket(start: now, calls: 1, failures: unhealthy ? 1 : 0))
        }
        // Only a failure can push the rate up to the threshold.
        guard unhealthy else { return }
        let counts = Opening(
            failures: buckets.reduce(0) { $0 + $1.failures }, calls: buckets.reduce(0) { $0 + $1.calls })
        if counts.calls >= policy.minimumCalls,
            Double(counts.failures) * 100 >= policy.failureRateThreshold * Double(counts.calls)
        {
            open(counts)
        }
    }

    /// Drops the buckets that started a whole window ago or earlier.
    private func prune(now: ContinuousClock.Instant) {
        let firstKept = buckets.firstIndex { now - $0.start < policy.window } ?? buckets.count
        if firstKept > 0 { buckets.removeFirst(firstKept) }
    }

    private func open(_ counts: Opening) {
        state = .open(until: clock.now() + policy.recoveryTimeout)
        buckets.removeAll()
        lastOpening = counts
        openings += 1
    }
}
