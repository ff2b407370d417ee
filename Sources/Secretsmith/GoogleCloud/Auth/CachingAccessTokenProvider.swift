import Logging

/// An ``AccessTokenProvider`` that caches the token of an ``AccessTokenSource`` and
/// refreshes it ahead of expiry, one refresh at a time.
///
/// - Caching: a token is reused until `refreshMargin` before it expires. Google's auth
///   libraries refresh 3 minutes 45 seconds early (google-auth-library-python
///   `_helpers.REFRESH_THRESHOLD`, cloud.google.com/go/auth `defaultExpiryDelta`), so a
///   request never starts with a token that could expire in flight. A token living less
///   than twice that margin (only emulators issue such tokens) is refreshed at half its
///   lifetime instead, so it is still reused.
/// - Single flight: however many tasks ask while no fresh token is cached, one call to
///   the source is made and every waiter gets its result (or its error). The call is a
///   ``SharedTask``: a waiter that is cancelled leaves at once without cancelling it for
///   the others, and the call is cancelled when every waiter has left.
/// - ``invalidate(_:)`` forgets a token a server refused (HTTP 401), so the next request
///   obtains a new one.
/// - A failed exchange is remembered for ``failureHoldOff``: requests in that window get
///   the same error at once. A render of many secrets runs its fetches in waves
///   (`concurrency:`); without this, every wave would repeat a refused exchange, or wait
///   again for an absent metadata server.
///
/// Time comes from a ``SecretManagerClock`` so tests move it instead of sleeping.
package actor CachingAccessTokenProvider: AccessTokenProvider {
    /// How long before expiry a token is refreshed: 3 min 45 s, as Google's libraries do.
    package static let refreshMargin: Duration = .seconds(225)
    /// How long a failed exchange is answered from memory: 5 s.
    package static let failureHoldOff: Duration = .seconds(5)

    private struct Entry {
        var value: String
        var refreshAt: ContinuousClock.Instant?
    }

    package nonisolated let source: String
    /// The credentials type for metrics and spans (``CredentialsConfiguration/typeName``).
    package nonisolated let credentialType: String
    /// The source's quota project (``AccessTokenSource/quotaProject``).
    package nonisolated let quotaProject: String?
    private let tokenSource: any AccessTokenSource
    private let clock: SecretManagerClock
    private let logger: Logger
    private let observer: (any TokenExchangeObserver)?
    private var cached: Entry?
    private var failure: (error: any Error, until: ContinuousClock.Instant)?
    private var inFlight: (generation: Int, task: SharedTask<String>)?
    private var generation = 0
    /// How many times the source was asked for a token.
    package private(set) var fetches = 0

    /// - Parameters:
    ///   - tokenSource: where new tokens come from.
    ///   - credentialType: the configured `type:` (`adc`, `service_account_file`, …).
    ///   - clock: the time source for expiry.
    ///   - logger: receives the exchange events of ``TokenExchangeObservation`` (never a token).
    ///   - observer: told the outcome of each exchange (the owning manager's stats).
    package init(
        tokenSource: any AccessTokenSource, credentialType: String, clock: SecretManagerClock, logger: Logger,
        observer: (any TokenExchangeObserver)? = nil
    ) {
        self.source = tokenSource.source
        self.quotaProject = tokenSource.quotaProject
        self.credentialType = credentialType
        self.tokenSource = tokenSource
        self.clock = clock
        self.logger = logger
        self.observer = observer
    }

    /// A valid access token: the cached one while it is fresh, else a new one.
    ///
    /// - Throws: ``AuthenticationError`` from the source; every task waiting for the same
    ///   refresh receives the same error, and so does every call in the following
    ///   ``failureHoldOff``; the first call after that tries again.
    package func accessToken() async throws -> String {
        if let cached, isFresh(cached) { return cached.value }
        if let inFlight, !inFlight.task.isAbandoned { return try await inFlight.task.value() }
        if let failure, clock.now() < failure.until { throw failure.error }
        generation += 1
        let current = generation
        fetches += 1
        // The task inherits this task's locals, so the exchange's span is a child of the
        // access that needed the token.
        let task = SharedTask { [self, tokenSource, clock, credentialType, source, logger, observer] in
            let started = clock.now()
            do {
                let fetched = try await TokenExchangeObservation.observe(
                    credentialType: credentialType, source: source, endpoint: tokenSource.tokenEndpoint,
                    logger: logger, clock: clock, observer: observer
                ) { _ in try await tokenSource.fetchToken() }
                await self.store(fetched, requestedAt: started, generation: current)
                return fetched.value
            } catch {
                await self.abandon(generation: current, error: error)
                throw error
            }
        }
        inFlight = (current, task)
        return try await task.value()
    }

    /// Forgets `token` if it is the cached one, so the next call obtains a new token.
    package func invalidate(_ token: String) async {
        if cached?.value == token {
            cached = nil
            logger.debug("access token invalidated after a 401", metadata: ["auth.source": "\(source)"])
        }
    }

    private func isFresh(_ entry: Entry) -> Bool {
        guard let refreshAt = entry.refreshAt else { return true }
        return clock.now() < refreshAt
    }

    private func store(_ fetched: FetchedAccessToken, requestedAt started: ContinuousClock.Instant, generation: Int) {
        guard inFlight?.generation == generation else { return }
        inFlight = nil
        failure = nil
        var refreshAt: ContinuousClock.Instant?
        if let lifetime = fetched.expiresIn {
            refreshAt = started + lifetime - Self.margin(forLifetime: lifetime)
        }
        cached = Entry(value: fetched.value, refreshAt: refreshAt)
    }

    private func abandon(generation: Int, error: any Error) {
        guard inFlight?.generation == generation else { return }
        inFlight = nil
        if !(error is CancellationError) {
            failure = (error, clock.now() + Self.failureHoldOff)
        }
    }

    /// How long before expiry a token of `lifetime` is refreshed: ``refreshMargin``, or
    /// half the lifetime for tokens shorter than twice the margin.
    package static func margin(forLifetime lifetime: Duration) -> Duration {
        lifetime >= refreshMargin * 2 ? refreshMargin : lifetime / 2
    }
}
