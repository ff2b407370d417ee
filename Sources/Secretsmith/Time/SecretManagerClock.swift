/// The library's source of time: the manager's cache TTLs and circuit breakers, retry
/// backoff, token expiry and run deadlines read it, so tests can move time instead of
/// sleeping.
public struct SecretManagerClock: Sendable {
    /// The current instant.
    public var now: @Sendable () -> ContinuousClock.Instant
    /// Suspends for a duration (backoff between retries).
    ///
    /// - Throws: `CancellationError` when the task is cancelled while sleeping.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        now: @escaping @Sendable () -> ContinuousClock.Instant,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.sleep = sleep
    }

    /// The system's monotonic clock (`ContinuousClock`), which keeps counting while the
    /// machine sleeps.
    public static let continuous = SecretManagerClock(
        now: { ContinuousClock.now },
        sleep: { try await ContinuousClock().sleep(for: $0) }
    )
}
