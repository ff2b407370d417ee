import Foundation
import Logging
import Tracing

/// How an access token provider reports one exchange of credentials for a token, so every
/// credential type is observed the same way.
///
/// ```swift
/// let token = try await TokenExchangeObservation.observe(
///     credentialType: "service_account_file", source: path, endpoint: tokenURL, logger: logger
/// ) { span in
///     try await exchange()          // returns an AccessToken-like value
/// }
/// ```
///
/// It records:
/// - a `secretsmith.token.exchange` span (child of the access that needed the token) with
///   `secretsmith.credential.type`, `server.address`, `url.full` (query removed) and, on
///   failure, `error.type`; the HTTP request inside is a child `POST`/`GET` span;
/// - `secretsmith_token_refreshes_total{credential_type, result="ok"|"error"}` and
///   `secretsmith_token_refresh_duration_seconds{credential_type}`;
/// - the outcome, told to the ``TokenExchangeObserver`` passed in (the manager that owns
///   the provider counts it in `stats().tokenRefreshes` / `tokenRefreshFailures`);
/// - a log event `access token obtained` (debug) or `access token exchange failed`
///   (warning) with `credential.type`, `credential.source`, `duration_ms` and, on
///   failure, `error.type`; never the token, the assertion or key material.
package enum TokenExchangeObservation {
    /// Runs one exchange.
    ///
    /// - Parameters:
    ///   - credentialType: ``CredentialsConfiguration/typeName`` (`adc`, `service_account_file`,
    ///     `service_account_json`, `impersonate`, `metadata`, `access_token_env`), or the
    ///     type ADC resolved to.
    ///   - source: where the credentials come from (a path, a variable name, an account
    ///     email), as ``AccessTokenProvider/source``.
    ///   - endpoint: the token endpoint's URL; its query string is not recorded.
    ///   - logger: receives the log event.
    ///   - clock: measures the duration.
    ///   - observer: told the outcome, if given.
    ///   - body: the exchange; it may add attributes to the span it is given.
    /// - Throws: what `body` throws.
    package static func observe<Result>(
        credentialType: String, source: String, endpoint: String?, logger: Logger,
        clock: SecretManagerClock = .continuous, observer: (any TokenExchangeObserver)? = nil,
        _ body: (any Span) async throws -> Result
    ) async throws -> Result {
        let started = clock.now()
        return try await withSpan(SecretsmithSpans.tokenExchange, ofKind: .internal) { span in
            span.attributes["secretsmith.credential.type"] = credentialType
            if let endpoint, let url = URLComponents(string: endpoint) {
                var components = url
                components.query = nil
                components.user = nil
                components.password = nil
                span.attributes["url.full"] = components.string
                span.attributes["server.address"] = url.host
            }
            do {
                let result = try await body(span)
                record(credentialType: credentialType, source: source, started: started, clock: clock, logger: logger,
                    observer: observer, error: nil)
                return result
            } catch {
                record(credentialType: credentialType, source: source, started: started, clock: clock, logger: logger,
                    observer: observer, error: error)
                throw error
            }
        }
    }

    private static func record(
        credentialType: String, source: String, started: ContinuousClock.Instant, clock: SecretManagerClock,
        logger: Logger, observer: (any TokenExchangeObserver)?, error: (any Error)?
    ) {
        let duration = clock.now() - started
        SecretsmithMetrics.recordTokenRefresh(credentialType: credentialType, succeeded: error == nil, duration: duration)
        observer?.tokenExchangeFinished(credentialType: credentialType, succeeded: error == nil)
        var metadata: Logger.Metadata = [
            "credential.type": "\(credentialType)", "credential.source": "\(source)",
            "duration_ms": "\(duration.roundedMilliseconds)",
        ]
        if let error {
            metadata["error.type"] = "\(SecretsmithSpans.errorType(error))"
            logger.warning("access token exchange failed", metadata: metadata)
        } else {
            logger.debug("access token obtained", metadata: metadata)
        }
    }
}

/// Told the outcome of each token exchange, besides the span, metrics and log event that
/// ``TokenExchangeObservation`` records itself. Passed to a token provider when it is made
/// (``AccessTokenProviders/make(for:environment:httpClient:logger:clock:observer:)``), so
/// the exchanges of a manager's providers count in that manager's stats.
package protocol TokenExchangeObserver: Sendable {
    /// One exchange finished: `succeeded` is false when it threw.
    func tokenExchangeFinished(credentialType: String, succeeded: Bool)
}
