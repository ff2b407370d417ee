import AsyncHTTPClient
import Foundation
import Logging
import Synchronization
import Tracing

/// Reads secrets for every environment of a ``Configuration``: the entry point of the
/// Swift library.
///
/// Each access goes through an in-memory TTL cache with single-flight de-duplication
/// (N concurrent requests for one version make one upstream call, cancelled when the last
/// of them is), a circuit breaker per (environment, project), a retry policy with
/// exponential backoff and full jitter, a bound on calls in flight per environment
/// (`concurrency:`), and the shared `HTTPClient`'s connection pool. Cancelling the calling
/// task cancels the work done for it.
///
/// ```swift
/// let configuration = try Configuration.load(path: "secretsmith.yaml", environment: ProcessInfo.processInfo.environment)
/// let manager = MultiEnvironmentSecretManager(configuration: configuration)
/// let password = try await manager.accessSecretVersion("prod/billing/db-password")
/// try await manager.withEnvironment("dev") {
///     let key = try await manager.accessSecretVersion("billing/stripe-key")   // dev
/// }
/// ```
///
/// Values are ``SecretValue``s, whose descriptions are redacted; no value reaches a log
/// line, an error or a stats field.
public final class MultiEnvironmentSecretManager: Sendable {
    /// The configuration the manager reads secrets for.
    public let configuration: Configuration
    package let httpClient: HTTPClient
    package let processEnvironment: [String: String]
    package let logger: Logger
    package let clock: SecretManagerClock
    package let cache: SecretCache
    private let limiters = Mutex<[LimiterKey: ConcurrencyLimiter]>([:])
    private let breakers = Mutex<[BreakerKey: CircuitBreaker]>([:])
    private let tokenProviders = Mutex<[CredentialsConfiguration: any AccessTokenProvider]>([:])
    private let endpoints = Mutex<[EndpointKey: SecretManagerEndpoint]>([:])
    /// One ``HTTP2ConnectionSpread`` per HTTPS base URL (one pool key of `httpClient`):
    /// the calls of every environment reading from it count together.
    private let spreads = Mutex<[String: HTTP2ConnectionSpread]>([:])
    /// `SECRETSMITH_ENV` of ``processEnvironment``, read once.
    private let defaultEnvironment: String?
    /// Routes of the references accessed so far, by their text or parsed form and the active
    /// environment they were resolved in (see ``AccessRoute``); emptied when it reaches
    /// ``routeMemoLimit`` entries.
    private let routes = Mutex(RouteMemo())
    private static let routeMemoLimit = 4096
    /// Metric handles per (environment, project).
    private let metricSlots = Mutex<[BreakerKey: SecretsmithMetrics.AccessHandleSlot]>([:])

    private struct RouteMemo {
        struct TextKey: Hashable {
            var text: String
            var activeEnvironment: String?
        }
        struct ReferenceKey: Hashable {
            var reference: SecretReference
            var activeEnvironment: String?
        }
        var byText: [TextKey: AccessRoute] = [:]
        var byReference: [ReferenceKey: AccessRoute] = [:]
    }

    private struct EndpointKey: Hashable {
        var configured: String
        var location: String?
    }
    package let counters = ManagerCounters()

    private struct BreakerKey: Hashable {
        var environment: String
        var projectID: String
    }

    /// The active environment of relative references inside ``withEnvironment(_:operation:)``.
    @TaskLocal package static var activeEnvironment: String?

    /// Creates a manager.
    ///
    /// - Parameters:
    ///   - configuration: the loaded `secretsmith.yaml`.
    ///   - httpClient: the client whose connection pool every request uses; the caller
    ///     owns it and shuts it down. Defaults to `HTTPClient.shared`; a client made with
    ///     ``recommendedHTTPClientConfiguration(concurrency:)`` fails fast when nothing
    ///     listens at the endpoint (the shared client retries the connection until each
    ///     request's timeout).
    ///   - processEnvironment: where `SECRET_MANAGER_EMULATOR_HOST`, `SECRETSMITH_ENV` and
    ///     credential variables are read from.
    ///   - logger: receives one access event per resolved reference (never the value):
    ///     `info` when it reached Secret Manager, `debug` when the cache answered. The
    ///     default discards every event (a library logs only where its caller asks).
    ///   - clock: the time source of the cache, breaker and retry backoff.
    public init(
        configuration: Configuration,
        httpClient: HTTPClient = .shared,
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "secretsmith", factory: { _ in SwiftLogNoOpLogHandler() }),
        clock: SecretManagerClock = .continuous
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.processEnvironment = processEnvironment
        self.logger = logger
        self.clock = clock
        self.cache = SecretCache(capacity: configuration.defaults.cache.maxEntries, clock: clock)
        self.defaultEnvironment = processEnvironment["SECRETSMITH_ENV"]
    }

    // MARK: Public API

    /// Accesses the secret version a reference names and returns its payload (or the JSON
    /// value its `#pointer` selects).
    ///
    /// - Parameter reference: `ENV/PROJECT/SECRET[@VERSION][#POINTER]`, or
    ///   `PROJECT/SECRET[...]` relative to the environment of the enclosing
    ///   ``withEnvironment(_:operation:)``, else `SECRETSMITH_ENV`.
    /// - Throws: ``ReferenceError`` or ``ConfigurationError`` for a reference the
    ///   configuration does not allow; ``SecretManagerError`` when Secret Manager refuses,
    ///   fails after retries, or the circuit is open; ``AuthenticationError``;
    ///   ``JSONPointerError`` when the pointer does not select a value.
    public func accessSecretVersion(_ reference: String) async throws -> SecretValue {
        let active = Self.activeEnvironment ?? defaultEnvironment
        let key = RouteMemo.TextKey(text: reference, activeEnvironment: active)
        if let route = routes.withLock({ $0.byText[key] }) {
            return try await accessValue(route)
        }
        let parsed = try SecretReference.parse(reference)
        let secret = try configuration.resolve(parsed, activeEnvironment: active)
        guard let route = try? makeRoute(secret, reference: parsed) else {
            // The endpoint cannot be set up: the access fails, observed as such.
            return try await accessResolved(secret, reference: parsed)
        }
        routes.withLock { memo in
            if memo.byText.count >= Self.routeMemoLimit { memo.byText.removeAll() }
            memo.byText[key] = route
        }
        return try await accessValue(route)
    }

    /// Accesses the secret version a parsed reference names. See ``accessSecretVersion(_:)-(String)``.
    public func accessSecretVersion(_ reference: SecretReference) async throws -> SecretValue {
        try await accessSecretVersion(reference, activeEnvironment: Self.activeEnvironment ?? defaultEnvironment)
    }

    /// Accesses the secret version a resolved reference names: the fastest way to read the
    /// same secret many times (a cache hit is a hash look-up and a few counter updates).
    ///
    /// A reference resolved by another manager is resolved again by this one, in the
    /// environment it was resolved in.
    ///
    /// - Throws: ``SecretManagerError`` when Secret Manager refuses, fails after retries, or
    ///   the circuit is open; ``AuthenticationError``; ``ConfigurationError`` when the
    ///   endpoint or credentials cannot be set up; ``JSONPointerError`` when the pointer does
    ///   not select a value.
    public func accessSecretVersion(_ resolved: ResolvedSecretReference) async throws -> SecretValue {
        guard resolved.route.owner == ObjectIdentifier(self) else {
            return try await accessSecretVersion(resolved.reference, activeEnvironment: resolved.secret.environment)
        }
        return try await accessValue(resolved.route)
    }

    /// Resolves a reference once, for ``accessSecretVersion(_:)-(ResolvedSecretReference)``:
    /// parsing, the configuration's layers, the endpoint, the cache key, the breaker and the
    /// metric handles are settled here and not on every access. Relative references resolve
    /// in the environment of the enclosing ``withEnvironment(_:operation:)``, else
    /// `SECRETSMITH_ENV`, as now (not at access time).
    ///
    /// - Parameter reference: `ENV/PROJECT/SECRET[@VERSION][#POINTER]` or `PROJECT/SECRET[...]`.
    /// - Throws: ``ReferenceError``; ``ConfigurationError`` for a reference the configuration
    ///   does not allow or an endpoint that cannot be used.
    public func resolve(_ reference: String) throws -> ResolvedSecretReference {
        try resolve(try SecretReference.parse(reference))
    }

    /// Resolves a parsed reference once. See ``resolve(_:)-(String)``.
    public func resolve(_ reference: SecretReference) throws -> ResolvedSecretReference {
        let active = Self.activeEnvironment ?? defaultEnvironment
        let secret = try configuration.resolve(reference, activeEnvironment: active)
        return ResolvedSecretReference(route: try makeRoute(secret, reference: reference))
    }

    /// Accesses a reference resolved with an explicit active environment (the
    /// environment-bound manager's path: neither the task-local nor `SECRETSMITH_ENV` applies).
    func accessSecretVersion(_ reference: SecretReference, activeEnvironment: String?) async throws -> SecretValue {
        let key = RouteMemo.ReferenceKey(reference: reference, activeEnvironment: activeEnvironment)
        if let route = routes.withLock({ $0.byReference[key] }) { return try await accessValue(route) }
        let secret = try configuration.resolve(reference, activeEnvironment: activeEnvironment)
        guard let route = try? makeRoute(secret, reference: reference) else {
            // The endpoint cannot be set up: the access fails, observed as such.
            return try await accessResolved(secret, reference: reference)
        }
        remember(route, under: key)
        return try await accessValue(route)
    }

    /// The route of a parsed reference in an active environment, resolved on first use and
    /// then kept (for `serve`, which resolves the references of its requests).
    ///
    /// - Throws: ``ConfigurationError`` for a reference the configuration does not allow or
    ///   an endpoint that cannot be used.
    package func route(for reference: SecretReference, activeEnvironment: String?) throws -> AccessRoute {
        let key = RouteMemo.ReferenceKey(reference: reference, activeEnvironment: activeEnvironment)
        if let route = routes.withLock({ $0.byReference[key] }) { return route }
        let secret = try configuration.resolve(reference, activeEnvironment: activeEnvironment)
        let route = try makeRoute(secret, reference: reference)
        remember(route, under: key)
        return route
    }

    private func remember(_ route: AccessRoute, under key: RouteMemo.ReferenceKey) {
        routes.withLock { memo in
            if memo.byReference.count >= Self.routeMemoLimit { memo.byReference.removeAll() }
            memo.byReference[key] = route
        }
    }

    /// One access of a resolved secret without a route (its endpoint failed): observed as a
    /// failed access.
    private func accessResolved(_ secret: SecretConfig, reference: SecretReference) async throws -> SecretValue {
        let value = try await access(secret, reference: reference.description).value
        guard let pointer = reference.pointer else { return value }
        return SecretValue(bytes: try pointer.evaluate(in: value.bytes), version: value.version)
    }

    /// One access through a route, with the pointer applied.
    private func accessValue(_ route: AccessRoute) async throws -> SecretValue {
        let value: SecretValue
        if let answer = try immediateAnswer(route) {
            value = answer.value
        } else {
            value = try await observedAccess(route: route).value
        }
        guard let pointer = route.pointer else { return value }
        return SecretValue(bytes: try pointer.evaluate(in: value.bytes), version: value.version)
    }

    /// The effective settings of a reference: resource name, endpoint, credentials,
    /// cache, retry and breaker settings, and the layer each came from.
    ///
    /// - Throws: ``ConfigurationError`` when the configuration does not allow it.
    public func secretConfig(for reference: SecretReference) throws -> SecretConfig {
        try configuration.resolve(reference, activeEnvironment: Self.activeEnvironment ?? defaultEnvironment)
    }

    /// A manager bound to one environment, whose accesses can only reach that
    /// environment's declared projects. It resolves every reference in `environment`
    /// whatever `SECRETSMITH_ENV` or an enclosing ``withEnvironment(_:operation:)`` says,
    /// and does not expose this manager.
    ///
    /// - Throws: ``ConfigurationError`` when the configuration has no such environment.
    public func environmentManager(for environment: String) throws -> EnvironmentSpecificSecretManager {
        guard configuration.environment(named: environment) != nil else {
            throw ConfigurationError.unknownEnvironment(environment, in: configuration)
        }
        return EnvironmentSpecificSecretManager(manager: self, environment: environment)
    }

    /// Runs `operation` with `environment` as the active environment of relative
    /// references, for this task and its child tasks (a task-local value).
    ///
    /// - Throws: ``ConfigurationError`` when the environment is unknown, or what
    ///   `operation` throws.
    public func withEnvironment<Result: Sendable>(
        _ environment: String, operation: () async throws -> Result
    ) async throws -> Result {
        guard configuration.environment(named: environment) != nil else {
            throw ConfigurationError.unknownEnvironment(environment, in: configuration)
        }
        return try await Self.$activeEnvironment.withValue(environment) { try await operation() }
    }

    /// Counts since the manager was created: requests, cache outcomes, upstream calls,
    /// retries, errors by code and the state of each circuit breaker.
    public func stats() async -> SecretManagerStats {
        let cacheCounters = cache.snapshot()
        let breakerList = breakers.withLock { Array($0) }
        var breakerStats: [SecretManagerStats.Breaker] = []
        for (key, breaker) in breakerList {
            breakerStats.append(
                .init(
                    environment: key.environment, projectID: key.projectID,
                    state: await breaker.state.name, openings: await breaker.openings))
        }
        breakerStats.sort { ($0.environment, $0.projectID) < ($1.environment, $1.projectID) }
        return counters.snapshot(cache: cacheCounters, breakers: breakerStats)
    }

    // MARK: Package API (the CLI's render, check and get)

    /// Drops the cached versions that a Secret Manager event may have changed, in every
    /// environment, so the next access fetches them again. Which entries an event affects
    /// is ``SecretEvent/affects(versionName:)``'s rule; calls under way for them are detached
    /// (their results are not stored).
    ///
    /// - Returns: how many entries and calls were dropped (0 for an irrelevant event).
    @discardableResult
    package func invalidateCache(for event: SecretEvent) async -> Int {
        guard event.isRelevant else { return 0 }
        return cache.invalidate { event.affects(versionName: $0.versionName) }
    }

    /// The access token provider of one `credentials:` configuration, the one Secret
    /// Manager calls use (its `cloud-platform` scope also covers Pub/Sub).
    ///
    /// - Throws: ``AuthenticationError`` or ``ConfigurationError`` when the credentials
    ///   cannot be set up.
    package func accessTokenProvider(for credentials: CredentialsConfiguration) throws -> any AccessTokenProvider {
        try tokenProvider(for: credentials)
    }

    /// The outcome of one access.
    package struct AccessResult: Sendable {
        package var value: SecretValue
        package var cache: CacheOutcome
        package var attempts: Int
    }

    /// Accesses one resolved secret version through the cache, breaker and retries.
    ///
    /// - Parameter reference: the reference as written, for the access log only.
    package func access(_ secret: SecretConfig, reference: String) async throws -> AccessResult {
        let route: AccessRoute
        do {
            route = try makeRoute(secret, referenceText: reference, pointer: nil)
        } catch {
            let observation = AccessObservation(
                subject: .secret(secret, reference: reference), logger: logger, clock: clock, counters: counters,
                metrics: nil)
            return try await observation.run { _, _ in throw error }
        }
        return try await access(route: route)
    }

    /// Accesses one route's version through the cache, breaker and retries (without its
    /// pointer). A cache hit takes no lock but the cache's and the counters', suspends
    /// nowhere and starts no span unless a tracer is in force.
    package func access(route: AccessRoute) async throws -> AccessResult {
        if let answer = try immediateAnswer(route) { return answer }
        return try await observedAccess(route: route)
    }

    /// The answers that need no call, taken synchronously: a fresh cache entry, or an open
    /// circuit breaker's refusal (or the stale entry that answers for it). No observation,
    /// closure, task or suspension, but the same stats, metrics and access log event as
    /// ``observedAccess(route:)`` records for them. `nil` when that path must answer: no
    /// fresh entry and a call to make or join, a tracer in force (the access gets its span),
    /// or a cancelled task (which fails there with `CancellationError`).
    ///
    /// - Throws: the breaker's ``SecretManagerError`` (`circuitOpen`).
    private func immediateAnswer(_ route: AccessRoute) throws -> AccessResult? {
        guard !Task.isCancelled, !SecretsmithSpans.tracingActive else { return nil }
        let started = clock.now()
        let result: AccessResult
        if let value = cache.freshValue(for: route.key, now: started) {
            let metrics = route.metricSlot.handles
            recordCacheHit(route, metrics: metrics)
            result = AccessResult(value: value, cache: .hit, attempts: 0)
            AccessObservation.recordSuccess(
                result, duration: clock.now() - started, reference: route.reference, environment: route.secret.environment,
                projectID: route.secret.projectID, counters: counters, metrics: metrics, logger: logger)
            return result
        }
        guard let refusal = route.breaker.openRefusal(now: started) else { return nil }
        let metrics = route.metricSlot.handles
        do throws(SecretManagerError) {
            // `nil`: a call is under way, nothing was counted; the observed path joins it.
            guard let answer = try refusedAnswer(route, refusal: refusal, now: started, metrics: metrics, span: nil) else {
                return nil
            }
            result = answer
        } catch {
            AccessObservation.recordFailure(
                code: error.shortDescription, duration: clock.now() - started, reference: route.reference,
                environment: route.secret.environment, projectID: route.secret.projectID, counters: counters,
                metrics: metrics, logger: logger)
            throw error
        }
        AccessObservation.recordSuccess(
            result, duration: clock.now() - started, reference: route.reference, environment: route.secret.environment,
            projectID: route.secret.projectID, counters: counters, metrics: metrics, logger: logger)
        return result
    }

    /// How an access that an open breaker refuses to call for is answered: an entry stored
    /// meanwhile (a hit), a stale entry within `max_stale`, else the breaker's error; no call,
    /// no task, no closure. `nil` when a call is already under way (to be joined; nothing is
    /// counted then). Counts the cache outcome and the rejection, not the access.
    ///
    /// - Throws: the breaker's ``SecretManagerError`` (`circuitOpen`), and nothing else.
    private func refusedAnswer(
        _ route: AccessRoute, refusal: CircuitBreaker.Refusal, now: ContinuousClock.Instant,
        metrics: SecretsmithMetrics.AccessHandles?, span: (any Span)?
    ) throws(SecretManagerError) -> AccessResult? {
        let secret = route.secret
        switch cache.lookUpRefused(for: route.key, maxStale: secret.cache.maxStale, now: now) {
        case .hit(let value):
            recordCacheHit(route, metrics: metrics)
            return AccessResult(value: value, cache: .hit, attempts: 0)
        case .stale(let value):
            recordRejection(secret, metrics: metrics, span: span)
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheMisses, environment: secret.environment)
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheStaleServed, environment: secret.environment)
            return AccessResult(value: value, cache: .stale, attempts: 0)
        case .refused:
            recordRejection(secret, metrics: metrics, span: span)
            if let metrics {
                metrics.cacheMisses.increment()
            } else {
                SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheMisses, environment: secret.environment)
            }
            throw circuitOpenError(secret: secret, refusal: refusal, breaker: route.breaker, now: now)
        case .callUnderWay:
            return nil
        }
    }

    /// ``access(route:)`` inside its observation (span, stats, metrics, access log).
    private func observedAccess(route: AccessRoute) async throws -> AccessResult {
        let metrics = route.metricSlot.handles
        let observation = AccessObservation(
            subject: .route(route), logger: logger, clock: clock, counters: counters, metrics: metrics)
        return try await observation.run { span, now in
            try Task.checkCancellation()
            if let value = cache.freshValue(for: route.key, now: now) {
                recordCacheHit(route, metrics: metrics)
                return AccessResult(value: value, cache: .hit, attempts: 0)
            }
            let secret = route.secret
            if let refusal = route.breaker.openRefusal(now: now),
                let answer = try refusedAnswer(route, refusal: refusal, now: now, metrics: metrics, span: span)
            {
                return answer
            }
            let client = try route.client ?? client(for: secret, endpoint: route.endpoint)
            let attempts = AttemptCounter(span: span)
            let (value, outcome) = try await cache.value(
                for: route.key, ttl: secret.cache.ttl, maxStale: secret.cache.maxStale,
                refusal: { [self] in
                    // Opened since the look-up above (or a call is under way, joined at once).
                    let now = clock.now()
                    guard let refusal = route.breaker.openRefusal(now: now) else { return nil }
                    recordRejection(secret, metrics: metrics, span: span)
                    return circuitOpenError(secret: secret, refusal: refusal, breaker: route.breaker, now: now)
                }
            ) { [self] in
                try await route.limiter.run {
                    try await self.callWithRetries(secret: secret, breaker: route.breaker, attempts: attempts) { timeout in
                        try await client.accessSecretVersion(name: secret.versionName, timeout: timeout)
                    }
                }
            }
            return AccessResult(value: value, cache: outcome, attempts: attempts.value)
        }
    }

    /// Counts a cache hit in the metrics (the cache counts it in the stats).
    private func recordCacheHit(_ route: AccessRoute, metrics: SecretsmithMetrics.AccessHandles?) {
        if let metrics {
            metrics.cacheHits.increment()
        } else {
            SecretsmithMetrics.recordCache(SecretsmithMetrics.cacheHits, environment: route.secret.environment)
        }
    }

    /// Counts an access refused by an open breaker: stats, metric and span event.
    private func recordRejection(_ secret: SecretConfig, metrics: SecretsmithMetrics.AccessHandles?, span: (any Span)?) {
        counters.recordBreakerRejection()
        if let metrics {
            metrics.breakerRejections.increment()
        } else {
            SecretsmithMetrics.recordBreakerRejection(environment: secret.environment, project: secret.projectID)
        }
        if let span {
            AttemptCounter(span: span).event(1, status: SecretManagerError.Code.circuitOpen.description, httpStatus: nil)
        }
    }

    /// Settles everything an access needs but the value: the cache key (and so the
    /// endpoint), the client, breaker, limiter and metric handles.
    ///
    /// - Throws: the endpoint's configuration error.
    private func makeRoute(_ secret: SecretConfig, reference: SecretReference) throws -> AccessRoute {
        try makeRoute(secret, referenceText: reference.description, pointer: reference.pointer, parsed: reference)
    }

    private func makeRoute(
        _ secret: SecretConfig, referenceText: String, pointer: JSONPointer?, parsed: SecretReference? = nil
    ) throws -> AccessRoute {
        let endpoint = try endpoint(for: secret)
        let slotKey = BreakerKey(environment: secret.environment, projectID: secret.projectID)
        let slot = metricSlots.withLock { slots in
            if let existing = slots[slotKey] { return existing }
            let created = SecretsmithMetrics.AccessHandleSlot(environment: secret.environment, project: secret.projectID)
            slots[slotKey] = created
            return created
        }
        return AccessRoute(
            owner: ObjectIdentifier(self),
            reference: parsed ?? SecretReference(
                environment: secret.environment, project: secret.projectAlias, secret: secret.secretName,
                version: secret.version, pointer: pointer),
            referenceText: referenceText, secret: secret, endpoint: endpoint,
            key: SecretCacheKey(environment: secret.environment, endpoint: endpoint.baseURL, versionName: secret.versionName),
            client: try? client(for: secret, endpoint: endpoint),
            breaker: breaker(for: secret), limiter: limiter(for: secret, endpoint: endpoint), metricSlot: slot)
    }

    /// Gets one resolved version's metadata (no payload), with the breaker and retries
    /// but without the cache.
    package func metadata(_ secret: SecretConfig) async throws -> SecretVersionMetadata {
        try await withSpan(SecretsmithSpans.metadata) { span in
            SecretsmithSpans.describe(span, secret: secret, reference: secret.versionName)
            let client = try client(for: secret)
            let attempts = AttemptCounter(span: span)
            let breaker = breaker(for: secret)
            return try await limiter(for: secret, endpoint: client.endpoint).run {
                try await self.callWithRetries(secret: secret, breaker: breaker, attempts: attempts, method: "get") { timeout in
                    try await client.getSecretVersion(name: secret.versionName, timeout: timeout)
                }
            }
        }
    }

    /// Obtains an access token with the credentials `secret` resolves to (nothing when its
    /// endpoint needs none), for a service's readiness check.
    ///
    /// - Throws: ``AuthenticationError`` or the endpoint's configuration error.
    package func checkCredentials(for secret: SecretConfig) async throws {
        _ = try await client(for: secret).tokenProvider?.accessToken()
    }

    // MARK: Internals

    /// One access with the breaker and retries. The breaker is asked once, before the
    /// first attempt, and told the access's final outcome (see ``CircuitBreaker``): an
    /// admitted access keeps its retries even if the breaker opens meanwhile, so a
    /// one-shot run's own burst of transient failures cannot cut its retries short.
    private func callWithRetries<T: Sendable>(
        secret: SecretConfig, breaker: CircuitBreaker, attempts: AttemptCounter, method: String = "access",
        _ call: @Sendable (Duration) async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let ticket: CircuitBreaker.Ticket
        switch await breaker.permit() {
        case .proceed(let admitted):
            ticket = admitted
        case .rejected(let retryAt):
            counters.recordBreakerRejection()
            SecretsmithMetrics.recordBreakerRejection(environment: secret.environment, project: secret.projectID)
            attempts.event(1, status: SecretManagerError.Code.circuitOpen.description, httpStatus: nil)
            throw circuitOpenError(
                secret: secret, retryAt: retryAt, opening: await breaker.lastOpening,
                lastFailure: await breaker.lastFailure)
        }
        do {
            let result = try await retrying(secret: secret, attempts: attempts, method: method, call)
            await breaker.record(ticket, unhealthy: false)
            return result
        } catch let error as SecretManagerError {
            await breaker.record(ticket, unhealthy: error.indicatesUnhealthyService, cause: error.causeSummary)
            throw error
        } catch {
            // Cancelled, or stopped before reaching the service (no credentials): no verdict.
            await breaker.abandon(ticket)
            throw error
        }
    }

    /// The attempts of one access: retried kinds are retried with backoff up to
    /// `retry.max_attempts` (a 401 once at once, with a new token); cancellation stops
    /// them at once, also during a backoff.
    private func retrying<T: Sendable>(
        secret: SecretConfig, attempts: AttemptCounter, method: String,
        _ call: @Sendable (Duration) async throws -> T
    ) async throws -> T {
        var refreshedToken = false
        let runner = RetryRunner(policy: secret.retry, clock: clock)
        return try await runner.run { attempt in
            attempts.value = attempt
            counters.recordUpstreamCall()
            do {
                let result = try await call(secret.timeout)
                SecretsmithMetrics.recordUpstream(
                    environment: secret.environment, project: secret.projectID, method: method, status: "OK")
                attempts.event(attempt, status: "OK", httpStatus: 200)
                return result
            } catch let error as SecretManagerError {
                SecretsmithMetrics.recordUpstream(
                    environment: secret.environment, project: secret.projectID, method: method, status: error.shortDescription)
                attempts.event(attempt, status: error.shortDescription, httpStatus: error.httpStatus)
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                attempts.event(attempt, status: SecretsmithSpans.errorType(error), httpStatus: nil)
                throw error
            }
        } decide: { error, _ in
            guard let error = error as? SecretManagerError else { return .stop }
            if error.code == .unauthenticated && !refreshedToken
                && secret.credentialsRequireToken(processEnvironment: processEnvironment)
            {
                refreshedToken = true
                return .retryNow
            }
            return error.isRetryable ? .retry(floor: error.retryAfter) : .stop
        } willRetry: { error, attempt, delay in
            let code = SecretsmithMetrics.errorCode(error)
            counters.recordRetry()
            SecretsmithMetrics.recordRetry(environment: secret.environment, project: secret.projectID, reason: code)
            logger.debug(
                "retrying secret manager call",
                metadata: [
                    "gcp.resource": "\(secret.versionName)", "error.code": "\(code)",
                    "attempt": "\(attempt)", "delay_ms": "\(Int(delay.secondsDouble * 1000))",
                ])
        }
    }

    /// The error of an access refused by an open breaker: the message's text up to the
    /// time left is made once per opening (the breaker keeps it), only that time each call.
    private func circuitOpenError(
        secret: SecretConfig, refusal: CircuitBreaker.Refusal, breaker: CircuitBreaker, now: ContinuousClock.Instant
    ) -> SecretManagerError {
        let prefix = breaker.refusalText(for: refusal) {
            var text = "not called: the circuit breaker for project \(secret.projectID) in environment \(secret.environment) is open"
            if let opening = refusal.opening {
                text += " after \(opening.failures) of the last \(opening.calls) accesses failed"
            }
            if let lastFailure = refusal.lastFailure { text += " (last: \(lastFailure))" }
            return text + "; it lets trial calls through in "
        }
        return SecretManagerError(
            code: .circuitOpen, resource: secret.versionName, message: prefix + (refusal.retryAt - now).shortText)
    }

    private func circuitOpenError(
        secret: SecretConfig, retryAt: ContinuousClock.Instant?, opening: CircuitBreaker.Opening?,
        lastFailure: String?
    ) -> SecretManagerError {
        var message = "not called: the circuit breaker for project \(secret.projectID) in environment \(secret.environment) is open"
        if let retryAt {
            let wait = retryAt - clock.now()
            if let opening {
                message += " after \(opening.failures) of the last \(opening.calls) accesses failed"
            }
            if let lastFailure { message += " (last: \(lastFailure))" }
            message += "; it lets trial calls through in \(wait.shortText)"
        } else {
            message += " (half-open: its trial calls are under way)"
            if let lastFailure { message += "; last failure: \(lastFailure)" }
        }
        return SecretManagerError(code: .circuitOpen, resource: secret.versionName, message: message)
    }

    /// The bounds on calls in flight of an environment that has made calls, in increasing
    /// order: one, or one per transport when the built-in default applies (for tests).
    package func concurrencyLimits(ofEnvironment environment: String) -> [Int] {
        limiters.withLock { $0.filter { $0.key.environment == environment }.map(\.value.limit).sorted() }
    }

    /// Which calls share one bound: an environment's, and with the built-in default also
    /// the transport's (`plainHTTP`), whose defaults differ.
    private struct LimiterKey: Hashable {
        var environment: String
        /// `nil` when `concurrency:` is set: one bound for all the environment's calls.
        var plainHTTP: Bool?
    }

    /// The limiter of the secret's environment: `concurrency:` bounds the Secret Manager
    /// calls in flight per environment (the environment's setting, else the defaults').
    /// Without either, the built-in default of the transport applies
    /// (``EffectiveSettings/concurrency(toward:)``: 200 over HTTPS, 100 over plain HTTP),
    /// and an environment whose projects use both transports has one bound for each, so the
    /// bound does not depend on which project is read first.
    private func limiter(for secret: SecretConfig, endpoint: SecretManagerEndpoint) -> ConcurrencyLimiter {
        let key = LimiterKey(
            environment: secret.environment,
            plainHTTP: secret.settings.origins["concurrency"] == .builtIn ? endpoint.isPlainHTTP : nil)
        return limiters.withLock { limiters in
            if let existing = limiters[key] { return existing }
            let created = ConcurrencyLimiter(limit: secret.settings.concurrency(toward: endpoint))
            limiters[key] = created
            return created
        }
    }

    private func breaker(for secret: SecretConfig) -> CircuitBreaker {
        let key = BreakerKey(environment: secret.environment, projectID: secret.projectID)
        return breakers.withLock { breakers in
            if let existing = breakers[key] { return existing }
            let (environment, project) = (key.environment, key.projectID)
            let created = CircuitBreaker(policy: secret.circuitBreaker, clock: clock) { state in
                SecretsmithMetrics.recordBreaker(environment: environment, project: project, state: state, transition: true)
            }
            SecretsmithMetrics.recordBreaker(environment: environment, project: project, state: "closed", transition: false)
            breakers[key] = created
            return created
        }
    }

    private func client(for secret: SecretConfig) throws -> SecretManagerClient {
        try client(for: secret, endpoint: try endpoint(for: secret))
    }

    /// The validated endpoint of a secret's (endpoint, location), resolved once per pair.
    private func endpoint(for secret: SecretConfig) throws -> SecretManagerEndpoint {
        let endpointKey = EndpointKey(configured: secret.endpoint, location: secret.location)
        if let known = endpoints.withLock({ $0[endpointKey] }) { return known }
        let endpoint = try SecretManagerEndpoint.resolve(
            configured: secret.endpoint, location: secret.location,
            emulatorHost: processEnvironment["SECRET_MANAGER_EMULATOR_HOST"])
        endpoints.withLock { $0[endpointKey] = endpoint }
        return endpoint
    }

    private func client(for secret: SecretConfig, endpoint: SecretManagerEndpoint) throws -> SecretManagerClient {
        var provider: (any AccessTokenProvider)?
        if endpoint.requiresCredentials {
            provider = try tokenProvider(for: secret.credentials)
        }
        return SecretManagerClient(
            httpClient: httpClient, endpoint: endpoint, tokenProvider: provider,
            quotaProject: secret.quotaProject, spread: spread(for: endpoint), logger: logger)
    }

    /// The connection spread of an HTTPS endpoint; `nil` over plain HTTP, and when the
    /// HTTP client has a tracer: the requests of a spread cannot carry the trace context
    /// (AsyncHTTPClient's `HTTPClient.Request` API starts their spans outside the caller's
    /// task and sends no `traceparent`), so traced requests share one HTTP/2 connection.
    private func spread(for endpoint: SecretManagerEndpoint) -> HTTP2ConnectionSpread? {
        guard !endpoint.isPlainHTTP else { return nil }
        if let tracer = httpClient.tracer, !(tracer is NoOpTracer) { return nil }
        return spreads.withLock { spreads in
            if let existing = spreads[endpoint.baseURL] { return existing }
            let created = HTTP2ConnectionSpread(eventLoopGroup: httpClient.eventLoopGroup)
            spreads[endpoint.baseURL] = created
            return created
        }
    }

    private func tokenProvider(for credentials: CredentialsConfiguration) throws -> any AccessTokenProvider {
        if let existing = tokenProviders.withLock({ $0[credentials] }) { return existing }
        let created = try AccessTokenProviders.make(
            for: credentials, environment: processEnvironment, httpClient: httpClient, logger: logger, clock: clock,
            observer: counters)
        return tokenProviders.withLock { providers in
            if let existing = providers[credentials] { return existing }
            providers[credentials] = created
            return created
        }
    }
}

extension SecretConfig {
    /// Whether calls for this secret carry a token that a 401 could be cured by refreshing.
    func credentialsRequireToken(processEnvironment: [String: String]) -> Bool {
        (processEnvironment["SECRET_MANAGER_EMULATOR_HOST"] ?? "").isEmpty
    }
}

/// The number of attempts of one access, written by the retry loop and read by the access
/// log; each attempt is also an event on the access span.
final class AttemptCounter: Sendable {
    private let storage = Mutex(0)
    private let span: (any Span)?

    init(span: (any Span)? = nil) {
        self.span = span
    }

    /// Adds a `secretsmith.attempt` event: the attempt's number, `OK` or the error code,
    /// and the HTTP status when there was an answer.
    func event(_ attempt: Int, status: String, httpStatus: Int?) {
        guard let span else { return }
        var attributes: SpanAttributes = [:]
        attributes["secretsmith.attempt"] = attempt
        attributes["secretsmith.status"] = status
        if let httpStatus { attributes["http.response.status_code"] = httpStatus }
        if status != "OK" { attributes["error.type"] = status }
        span.addEvent(SpanEvent(name: SecretsmithSpans.attemptEvent, attributes: attributes))
    }

    var value: Int {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
