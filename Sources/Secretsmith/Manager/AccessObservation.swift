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
struct AccessObservation {
    let secret: SecretConfig
    let reference: String
    let logger: Logger
    let clock: SecretManagerClock
    let counters: ManagerCounters

    /// Runs `body` (the access) inside the span and records its outcome.
    ///
    /// - Throws: what `body` throws.
    func run(
        _ body: (any Span) async throws -> MultiEnvironmentSecretManager.AccessResult
    ) async throws -> MultiEnvironmentSecretManager.AccessResult {
        let started = clock.now()
        counters.recordRequest()
        return try await withSpan(SecretsmithSpans.access, ofKind: .internal) { span in
            SecretsmithSpans.describe(span, secret: secret, reference: reference)
            do {
                let result = try await body(span)
                let duration = clock.now() - started
                let version = result.value.version.map(String.init) ?? "unknown"
                span.updateAttributes { attributes in
                    attributes["secretsmith.cache"] = result.cache.rawValue
                    attributes["secretsmith.attempts"] = result.attempts
                    attributes["secretsmith.secret.version"] = version
                }
                counters.recordLatency(duration)
                SecretsmithMetrics.recordAccess(
                    environment: secret.environment, project: secret.projectID, status: "OK", duration: duration)
                let level: Logger.Level = result.cache == .miss || result.cache == .stale ? .info : .debug
                logger.log(
                    level: level, "secret accessed",
                    metadata: [
                        "secret.ref": "\(reference)", "secret.version": "\(version)",
                        "environment": "\(secret.environment)", "gcp.project": "\(secret.projectID)",
                        "cache": "\(result.cache.rawValue)", "attempts": "\(result.attempts)",
                        "duration_ms": "\(duration.roundedMilliseconds)",
                    ])
                return result
            } catch {
                let duration = clock.now() - started
                let code = SecretsmithMetrics.errorCode(error)
                counters.recordFailure(error)
                counters.recordLatency(duration)
                SecretsmithMetrics.recordAccess(
                    environment: secret.environment, project: secret.projectID, status: code, duration: duration)
                logger.info(
                    "secret access failed",
                    metadata: [
                        "secret.ref": "\(reference)", "environment": "\(secret.environment)",
                        "gcp.project": "\(secret.projectID)", "error.code": "\(code)",
                        "duration_ms": "\(duration.roundedMilliseconds)",
                    ])
                throw error
            }
        }
    }
}
