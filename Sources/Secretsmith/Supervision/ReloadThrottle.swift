/// "Never more than once per window": the gate `secretsmith watch` asks before it signals
/// or restarts its child.
///
/// A value the watch loop owns (a `var`): ``admit()`` answers at once (and records the
/// reload when it says yes); ``waitForAdmission()`` suspends until a reload may happen,
/// then records it. A change refused by ``admit()`` is not forgotten by the throttle's
/// caller: it asks ``delayUntilAdmission`` and tries again, so the last change of a burst
/// still reaches the child, one window after the previous reload (trailing edge).
///
/// Time comes from a ``SecretManagerClock``, so tests move it by hand.
package struct ReloadThrottle: Sendable {
    /// The shortest time between two admitted reloads; zero or negative admits every one.
    package let window: Duration
    private let clock: SecretManagerClock
    /// When the last reload was admitted; `nil` before the first.
    package private(set) var lastAdmission: ContinuousClock.Instant?

    package init(window: Duration, clock: SecretManagerClock = .continuous) {
        self.window = window
        self.clock = clock
    }

    /// How long until a reload may happen: zero when one may happen now.
    package var delayUntilAdmission: Duration {
        guard let lastAdmission else { return .zero }
        let elapsed = clock.now() - lastAdmission
        return elapsed >= window ? .zero : window - elapsed
    }

    /// Admits a reload now if the last one was at least ``window`` ago (or there was
    /// none), recording it.
    ///
    /// - Returns: `true` when the caller may reload now; `false` when it must wait
    ///   ``delayUntilAdmission``.
    package mutating func admit() -> Bool {
        guard delayUntilAdmission == .zero else { return false }
        lastAdmission = clock.now()
        return true
    }

    /// Suspends until a reload may happen (on the throttle's clock), then records it.
    ///
    /// - Throws: `CancellationError` when the calling task is cancelled while waiting
    ///   (nothing is recorded then).
    package mutating func waitForAdmission() async throws {
        while true {
            let delay = delayUntilAdmission
            if delay == .zero { break }
            try await clock.sleep(delay)
        }
        try Task.checkCancellation()
        lastAdmission = clock.now()
    }
}
