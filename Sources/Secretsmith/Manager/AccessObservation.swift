import Logging
import Tracing

/// Observes one access of a secret version: the `secretsmith.secret.access` span, the
/// access log event, the access metrics and the manager's stats. Never sees a value's
/// bytes beyond the resolved version number.
///
/// Access log: one `secret accessed` event per access, with `secret.ref`,
/// `secret.version` (resolved number), `environment`, `gcp.project`, `cache`
/// (`hit`/`miss`/`joined`/`stale`), `attempts` (upstream calls made by this access) and
/// `duration_ms`; at `info` when the access reached Secret Manager (miss, stale), at
/// `debug` when the cache answered (hit, joined), so a long-running service does not log
/// every cache hit. A failure logs `secret access failed` at `info` with `error.code`.
///
/// The span is started only when a real tracer is in force (``SecretsmithSpans/tracingActive``);
/// log metadata is built only when the logger's level lets the event through.
struct AccessObservation {
    /// What is accessed: a route (copying its reference is one reference count, where a
    /// `SecretConfig` is a dozen), or settings with the reference as written.
    enum Subject {
        case route(AccessRoute)
        case secret(SecretConfig, reference: String)

        var secret: SecretConfig {
            switch self {
            case .route(let route): route.secret
            case .secret(let secret, _): secret
            }
        }

        var reference: String {
            switch self {
            case .route(let route): route.reference
            case .secret(_, let reference): reference
            }
        }

        var environment: String {
            switch self {
            case .route(let route): route.secret.environment
            case .secret(let secret, _): secret.environment
            }
        }

        var projectID: String {
            switch self {
            case .route(let route): route.secret.projectID
            case .secret(let secret, _): secret.projectID
            }
        }
    }

    let subject: Subject
    let logger: Logger
    let clock: SecretManagerClock
    let counters: ManagerCounters
    /// The access's metric handles, made once per (environment, project); `nil` records
    /// through ``SecretsmithMetrics``' look-ups.
    let metrics: SecretsmithMetrics.AccessHandles?

    /// Runs `body` (the access) inside the span, if any, and records its outcome. `body`
    /// is given the span and the instant the access started (for the cache's and breaker's
    /// checks: one clock read serves them all).
    ///
    /// - Throws: what `body` throws.
    func run(
        _ body: ((any Span)?, ContinuousClock.Instant) async throws -> MultiEnvironmentSecretManager.AccessResult
    ) async throws -> MultiEnvironmentSecretManager.AccessResult {
        let started = clock.now()
        guard SecretsmithSpans.tracingActive else {
            return try await observe(span: nil, started: started, body)
        }
        return try await withSpan(SecretsmithSpans.access, ofKind: .internal) { span in
            SecretsmithSpans.describe(span, secret: subject.secret, reference: subject.reference)
            return try await observe(span: span, started: started, body)
        }
    }

    private func observe(
        span: (any Span)?, started: ContinuousClock.Instant,
        _ body: ((any Span)?, ContinuousClock.Instant) async throws -> MultiEnvironmentSecretManager.AccessResult
    ) async throws -> MultiEnvironmentSecretManager.AccessResult {
        do {
            let result = try await body(span, started)
            let duration = clock.now() - started
            if let span {
                let version = result.value.version.map(String.init) ?? "unknown"
                span.updateAttributes { attributes in
                    attributes["secretsmith.cache"] = result.cache.rawValue
                    attributes["secretsmith.attempts"] = result.attempts
                    attributes["secretsmith.secret.version"] = version
                }
            }
            Self.recordSuccess(
                result, duration: duration, reference: subject.reference, environment: subject.environment,
                projectID: subject.projectID, counters: counters, metrics: metrics, logger: logger)
            return result
        } catch {
            Self.recordFailure(
                code: SecretsmithMetrics.errorCode(error), duration: clock.now() - started, reference: subject.reference,
                environment: subject.environment, projectID: subject.projectID, counters: counters, metrics: metrics,
                logger: logger)
            throw error
        }
    }

    /// Records one failed access (the stats, the metrics under the error's code and the
    /// access log event); `code` is ``SecretsmithMetrics/errorCode(_:)``'s.
    static func recordFailure(
        code: String, duration: Duration, reference: String, environment: String, projectID: String,
        counters: ManagerCounters, metrics: SecretsmithMetrics.AccessHandles?, logger: Logger
    ) {
        counters.recordAccess(duration: duration, failure: code)
        if let metrics {
            metrics.recordAccess(environment: environment, project: projectID, status: code, duration: duration)
        } else {
            SecretsmithMetrics.recordAccess(environment: environment, project: projectID, status: code, duration: duration)
        }
        logger.info(
            "secret access failed",
            metadata: [
                "secret.ref": "\(reference)", "environment": "\(environment)",
                "gcp.project": "\(projectID)", "error.code": "\(code)",
                "duration_ms": "\(duration.roundedMilliseconds)",
            ])
    }

    /// Records one successful access (the stats, the `OK` metrics and the access log event);
    /// the cache-hit path, which starts no observation, calls it directly.
    static func recordSuccess(
        _ result: MultiEnvironmentSecretManager.AccessResult, duration: Duration, reference: String,
        environment: String, projectID: String, counters: ManagerCounters, metrics: SecretsmithMetrics.AccessHandles?,
        logger: Logger
    ) {
        counters.recordAccess(duration: duration)
        if let metrics {
            metrics.accessOK.increment()
            metrics.duration.recordNanoseconds(duration.nonNegativeNanoseconds)
        } else {
            SecretsmithMetrics.recordAccess(
                environment: environment, project: projectID, status: "OK", duration: duration)
        }
        let level: Logger.Level = result.cache == .miss || result.cache == .stale ? .info : .debug
        logger.log(
            level: level, "secret accessed",
            metadata: [
                "secret.ref": "\(reference)", "secret.version": "\(result.value.version.map(String.init) ?? "unknown")",
                "environment": "\(environment)", "gcp.project": "\(projectID)",
                "cache": "\(result.cache.rawValue)", "attempts": "\(result.attempts)",
                "duration_ms": "\(duration.roundedMilliseconds)",
            ])
    }
}
