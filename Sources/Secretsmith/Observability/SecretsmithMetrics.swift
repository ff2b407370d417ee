import CoreMetrics
import Metrics
import Synchronization

/// The metrics secretsmith records, through swift-metrics: the library only records, the
/// process that embeds it chooses the backend (the CLI bootstraps swift-prometheus for
/// `--metrics-file`; without a bootstrap every call is a no-op).
///
/// Names follow Prometheus conventions (<https://prometheus.io/docs/practices/naming/>):
/// `secretsmith_` prefix, `_total` for counters, base units (`_seconds`). Labels are
/// bounded: environment and project names from the configuration, error codes from a
/// fixed set, credential types, output names. Never a secret name, a value or a token.
package enum SecretsmithMetrics {
    // MARK: Names (each with its help text, for the exposition's `# HELP` lines)

    package static let accessRequests = "secretsmith_access_requests_total"
    package static let accessDuration = "secretsmith_access_duration_seconds"
    package static let cacheHits = "secretsmith_cache_hits_total"
    package static let cacheMisses = "secretsmith_cache_misses_total"
    package static let cacheStaleServed = "secretsmith_cache_stale_served_total"
    package static let cacheEvictions = "secretsmith_cache_evictions_total"
    package static let singleFlightJoins = "secretsmith_singleflight_joins_total"
    package static let upstreamRequests = "secretsmith_upstream_requests_total"
    package static let retries = "secretsmith_retries_total"
    package static let breakerState = "secretsmith_circuit_breaker_state"
    package static let breakerTransitions = "secretsmith_circuit_breaker_transitions_total"
    package static let breakerRejections = "secretsmith_circuit_breaker_rejections_total"
    package static let tokenRefreshes = "secretsmith_token_refreshes_total"
    package static let tokenRefreshDuration = "secretsmith_token_refresh_duration_seconds"
    package static let outputs = "secretsmith_outputs_total"

    /// Help text per metric name (the CLI's exposition adds them as `# HELP` lines).
    package static let help: [String: String] = [
        accessRequests: "Secret version accesses by environment, project and status (OK or the error code).",
        accessDuration: "Time to answer one access, cache and retries included, in seconds.",
        cacheHits: "Accesses answered from a fresh cache entry.",
        cacheMisses: "Accesses that needed an upstream call.",
        cacheStaleServed: "Accesses answered from an expired entry while upstream failed (stale-if-error).",
        cacheEvictions: "Cache entries evicted because the cache was full.",
        singleFlightJoins: "Accesses that waited for another request's upstream call.",
        upstreamRequests: "HTTP requests to Secret Manager by method and status (OK or the error code).",
        retries: "Retries of a Secret Manager call by reason (the error code).",
        breakerState: "Circuit breaker state per environment and project: 0 closed, 1 half-open, 2 open.",
        breakerTransitions: "Circuit breaker state changes by the state entered.",
        breakerRejections: "Calls refused at once by an open circuit breaker.",
        tokenRefreshes: "Access token exchanges by credential type and result (ok or error).",
        tokenRefreshDuration: "Time of one access token exchange, in seconds.",
        outputs: "Outputs handled by a render, by output name and result (written or unchanged).",
    ]

    /// Overrides the bootstrapped factory for this task and its children (tests).
    @TaskLocal package static var factoryOverride: (any MetricsFactory)?

    private static var factory: any MetricsFactory { factoryOverride ?? MetricsSystem.factory }

    // MARK: Recording

    /// One finished access. `status` is `OK` or an error code.
    static func recordAccess(environment: String, project: String, status: String, duration: Duration) {
        let labels = [("environment", environment), ("project", project)]
        Counter(label: accessRequests, dimensions: labels + [("status", status)], factory: factory).increment()
        Timer(label: accessDuration, dimensions: labels, factory: factory).recordNanoseconds(duration.nonNegativeNanoseconds)
    }

    /// The handles of the metrics every access of one (environment, project) records, made
    /// once instead of looked up in the factory on every access (a Prometheus factory finds a
    /// metric by name and labels under a lock).
    final class AccessHandles: Sendable {
        /// The factory's ``AccessHandleSlot/identity(of:)``.
        let factoryType: ObjectIdentifier
        let accessOK: Counter
        let accessCircuitOpen: Counter
        let duration: Timer
        let cacheHits: Counter
        let cacheMisses: Counter
        let breakerRejections: Counter

        init(factory: any MetricsFactory, environment: String, project: String) {
            factoryType = AccessHandleSlot.identity(of: factory)
            let labels = [("environment", environment), ("project", project)]
            accessOK = Counter(label: SecretsmithMetrics.accessRequests, dimensions: labels + [("status", "OK")], factory: factory)
            accessCircuitOpen = Counter(
                label: SecretsmithMetrics.accessRequests,
                dimensions: labels + [("status", SecretManagerError.Code.circuitOpen.description)], factory: factory)
            duration = Timer(label: SecretsmithMetrics.accessDuration, dimensions: labels, factory: factory)
            cacheHits = Counter(label: SecretsmithMetrics.cacheHits, dimensions: [("environment", environment)], factory: factory)
            cacheMisses = Counter(label: SecretsmithMetrics.cacheMisses, dimensions: [("environment", environment)], factory: factory)
            breakerRejections = Counter(label: SecretsmithMetrics.breakerRejections, dimensions: labels, factory: factory)
        }

        /// One finished access: `OK` and `CIRCUIT_OPEN` through the handles, other codes
        /// looked up.
        func recordAccess(environment: String, project: String, status: String, duration: Duration) {
            switch status {
            case "OK": accessOK.increment()
            case SecretManagerError.Code.circuitOpen.description: accessCircuitOpen.increment()
            default:
                Counter(
                    label: SecretsmithMetrics.accessRequests,
                    dimensions: [("environment", environment), ("project", project), ("status", status)],
                    factory: SecretsmithMetrics.factory
                ).increment()
            }
            self.duration.recordNanoseconds(duration.nonNegativeNanoseconds)
        }
    }

    /// Where one (environment, project)'s ``AccessHandles`` are kept, bound to the factory
    /// in force when they were made.
    final class AccessHandleSlot: Sendable {
        private let environment: String
        private let project: String
        private let bound = Mutex<AccessHandles?>(nil)

        init(environment: String, project: String) {
            self.environment = environment
            self.project = project
        }

        /// A factory's identity: the instance for a class, else its type (a struct such as
        /// swift-prometheus' factory cannot be told from a copy).
        /// Read on every access: the instance is taken by reinterpreting the class reference
        /// (`factory as AnyObject` asks the runtime's bridging casts each time).
        static func identity(of factory: any MetricsFactory) -> ObjectIdentifier {
            func identity<Factory: MetricsFactory>(_ factory: Factory) -> ObjectIdentifier {
                guard Factory.self is AnyObject.Type else { return ObjectIdentifier(Factory.self) }
                return ObjectIdentifier(unsafeBitCast(factory, to: AnyObject.self))
            }
            return identity(factory)
        }

        /// The handles for the factory in force: `nil` under ``factoryOverride`` (the
        /// caller then records through ``SecretsmithMetrics``' look-ups, as the override
        /// asks); made again when the bootstrapped factory changed (a process bootstraps
        /// swift-metrics once, usually before the first access, possibly after).
        var handles: AccessHandles? {
            guard SecretsmithMetrics.factoryOverride == nil else { return nil }
            let factory = MetricsSystem.factory
            let identity = Self.identity(of: factory)
            if let current = bound.withLock({ $0 }), current.factoryType == identity { return current }
            let made = AccessHandles(factory: factory, environment: environment, project: project)
            bound.withLock { $0 = made }
            return made
        }
    }

    /// One cache decision, labelled by environment (the cache is keyed per environment).
    static func recordCache(_ name: String, environment: String) {
        Counter(label: name, dimensions: [("environment", environment)], factory: factory).increment()
    }

    /// One HTTP request to Secret Manager. `method` is `access` or `get`.
    static func recordUpstream(environment: String, project: String, method: String, status: String) {
        Counter(
            label: upstreamRequests,
            dimensions: [("environment", environment), ("project", project), ("method", method), ("status", status)],
            factory: factory
        ).increment()
    }

    /// One retry; `reason` is the error code that caused it.
    static func recordRetry(environment: String, project: String, reason: String) {
        Counter(
            label: retries, dimensions: [("environment", environment), ("project", project), ("reason", reason)],
            factory: factory
        ).increment()
    }

    /// A circuit breaker's state (set when it is created and on every change).
    ///
    /// - Parameters:
    ///   - state: `closed`, `half_open` or `open`.
    ///   - transition: whether the state changed (counted), or the breaker was just made.
    static func recordBreaker(environment: String, project: String, state: String, transition: Bool) {
        let labels = [("environment", environment), ("project", project)]
        let value: Double =
            switch state {
            case "open": 2
            case "half_open": 1
            default: 0
            }
        Gauge(label: breakerState, dimensions: labels, factory: factory).record(value)
        if transition {
            Counter(label: breakerTransitions, dimensions: labels + [("to", state)], factory: factory).increment()
        }
    }

    /// One call refused by an open breaker.
    static func recordBreakerRejection(environment: String, project: String) {
        Counter(
            label: breakerRejections, dimensions: [("environment", environment), ("project", project)],
            factory: factory
        ).increment()
    }

    /// One access token exchange.
    ///
    /// - Parameters:
    ///   - credentialType: the `type:` of the credentials (`service_account_file`, `adc`,
    ///     `metadata`, `impersonate`, ...); see ``CredentialsConfiguration/typeName``.
    ///   - succeeded: whether a token was obtained.
    ///   - duration: how long the exchange took.
    package static func recordTokenRefresh(credentialType: String, succeeded: Bool, duration: Duration) {
        Counter(
            label: tokenRefreshes,
            dimensions: [("credential_type", credentialType), ("result", succeeded ? "ok" : "error")],
            factory: factory
        ).increment()
        Timer(label: tokenRefreshDuration, dimensions: [("credential_type", credentialType)], factory: factory)
            .recordNanoseconds(duration.nonNegativeNanoseconds)
    }

    /// The bounded code of an access's failure, for the `status` label, `error.code` log
    /// fields and the stats' errors: a ``SecretsmithError``'s
    /// ``SecretsmithError/shortDescription`` (Secret Manager's `NOT_FOUND`, `UNAVAILABLE`,
    /// `CIRCUIT_OPEN`, ..., `AUTHENTICATION`), `CANCELLED`, else `OTHER`.
    package static func errorCode(_ error: any Error) -> String {
        // The common case first: a cast to a concrete type costs less than one to a protocol.
        if let error = error as? SecretManagerError { return error.shortDescription }
        return switch error {
        case let error as any SecretsmithError: error.shortDescription
        case is CancellationError: "CANCELLED"
        default: "OTHER"
        }
    }

    /// One output of a render: `written` or `unchanged`.
    static func recordOutput(name: String, written: Bool) {
        Counter(
            label: outputs, dimensions: [("output", name), ("result", written ? "written" : "unchanged")],
            factory: factory
        ).increment()
    }
}
