import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Secretsmith

/// What `POST /v1/events/pubsub` answers.
package struct PushOutcome: Sendable, Hashable {
    /// The HTTP status: 204 (acknowledged), 400, 401, 403 or 503.
    package var status: Int
    /// A sentence for the log and the error body; never a token or a value.
    package var reason: String
    /// The event, when the envelope was authenticated and decoded.
    package var event: SecretEvent?
    /// How many cache entries the event dropped.
    package var invalidated: Int

    /// Whether Pub/Sub takes the answer as an acknowledgement (a 2xx status).
    package var acknowledges: Bool { (200..<300).contains(status) }
}

/// The Pub/Sub push endpoint for Secret Manager event notifications.
///
/// A push subscription POSTs each message as
/// `{"message": {"data": BASE64, "attributes": {...}, "messageId": "...", "publishTime": "..."}, "subscription": "projects/P/subscriptions/S"}`
/// (<https://cloud.google.com/pubsub/docs/push>) with `Authorization: Bearer ID_TOKEN`, a
/// Google-signed OIDC token for the subscription's push service account
/// (<https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions>).
///
/// Order of checks and answers:
/// 1. The token: issued by `https://accounts.google.com` or `accounts.google.com` (or the
///    configured issuer), signed by a key of Google's JWKS (or the configured one), for the
///    configured audience, unexpired; else **401**. **503** when the JWKS was never obtained.
/// 2. The token's `email` is the configured push service account and `email_verified` is
///    true; else **403**.
/// 3. The envelope: JSON with a `message` object whose `data` is base64; else **400**.
///    Pub/Sub redelivers any non-2xx answer until the message expires (or moves it to the
///    subscription's dead-letter topic), so a 400 is for what is not a push at all; give
///    the subscription a dead-letter topic when in doubt.
/// 4. The event: parsed with ``SecretEvent/init(message:)``; relevant events invalidate the
///    cache entries they can affect and notify the webhooks (``SecretEventProcessor``).
///    **204** for every decodable envelope, irrelevant and unknown events included, so Pub/Sub
///    does not redeliver what can never be handled.
package final class PubSubPushHandler: Sendable {
    /// `serve.pubsub_push`.
    package struct Configuration: Sendable, Hashable {
        /// The `aud` the push subscription's token carries (`--push-auth-token-audience`,
        /// by default the push endpoint's URL).
        package var audience: String
        /// The push service account (`--push-auth-service-account`).
        package var serviceAccountEmail: String
        /// The token issuer (default Google's; tests override).
        package var issuer: String
        /// The issuer's keys (default Google's JWKS).
        package var keys: JWKSSource
        /// How far `exp`, `nbf` and `iat` may be off (default 60 s).
        package var clockSkew: Duration
        /// How the keys are cached and refreshed.
        package var timing: JWKSKeyStore.Timing

        package init(
            audience: String, serviceAccountEmail: String, issuer: String = "https://accounts.google.com",
            keys: JWKSSource = .google, clockSkew: Duration = .seconds(60), timing: JWKSKeyStore.Timing = .init()
        ) {
            self.audience = audience
            self.serviceAccountEmail = serviceAccountEmail
            self.issuer = issuer
            self.keys = keys
            self.clockSkew = clockSkew
            self.timing = timing
        }

        /// The JWT issuer these settings describe.
        package var issuerConfiguration: JWTIssuerConfiguration {
            JWTIssuerConfiguration(
                kind: .google, issuer: issuer, audiences: [audience], keys: keys, clockSkew: clockSkew, timing: timing)
        }
    }

    private let serviceAccountEmail: String
    private let authentication: AuthenticatorChain
    private let processor: SecretEventProcessor
    private let logger: Logger

    /// - Throws: ``AuthenticationSetupError`` when the JWKS URL is not https (http on loopback only).
    package convenience init(
        configuration: Configuration, processor: SecretEventProcessor, httpClient: HTTPClient = .shared,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) throws(AuthenticationSetupError) {
        let authenticator = try JWTAuthenticator(
            configuration: configuration.issuerConfiguration, httpClient: httpClient, now: now, logger: logger)
        self.init(
            serviceAccountEmail: configuration.serviceAccountEmail, authenticator: authenticator, processor: processor,
            logger: logger)
    }

    /// A handler whose tokens `authenticator` verifies (tests).
    package init(
        serviceAccountEmail: String, authenticator: any BearerTokenAuthenticator, processor: SecretEventProcessor,
        logger: Logger
    ) {
        self.serviceAccountEmail = serviceAccountEmail
        self.authentication = AuthenticatorChain([authenticator])
        self.processor = processor
        self.logger = logger
    }

    /// Handles one push request (the rules above).
    ///
    /// - Parameters:
    ///   - body: the request body (Pub/Sub's envelope; a Secret Manager event is well under 64 KiB).
    ///   - authorization: the `Authorization` header, when present.
    package func handle(body: ByteBuffer, authorization: String?) async -> PushOutcome {
        await handle(body: Array(buffer: body), authorization: authorization)
    }

    /// Handles one push request (the rules above).
    package func handle(body: [UInt8], authorization: String?) async -> PushOutcome {
        let principal: Principal
        do {
            principal = try await authentication.authenticate(authorization: authorization)
        } catch {
            logger.warning(
                "Refused a Pub/Sub push: its token is not a valid Google ID token for this endpoint.",
                metadata: ["reason": "\(error.reason)"])
            return PushOutcome(status: error.isUnavailable ? 503 : 401, reason: error.reason, event: nil, invalidated: 0)
        }
        guard principal.kind == .googleIdentity, let email = principal.email,
            email.lowercased() == serviceAccountEmail.lowercased()
        else {
            let reason =
                "The push token's principal \(principal.name) is not the configured push service account "
                + "with a verified email; check serve.pubsub_push.service_account_email."
            logger.warning("Refused a Pub/Sub push.", metadata: ["reason": "\(reason)"])
            return PushOutcome(status: 403, reason: reason, event: nil, invalidated: 0)
        }
        let envelope: PushEnvelope
        do {
            envelope = try JSONDecoder().decode(PushEnvelope.self, from: Data(body))
        } catch {
            let reason = "The request body is not a Pub/Sub push envelope (a JSON object with a `message` whose `data` is base64)."
            logger.warning("Refused a Pub/Sub push.", metadata: ["reason": "\(reason)"])
            return PushOutcome(status: 400, reason: reason, event: nil, invalidated: 0)
        }
        let event = SecretEvent(message: envelope.message)
        let result = await processor.process(event, source: "pubsub_push")
        let reason =
            result.relevant
            ? "The event was applied: \(result.invalidated) cache entries dropped."
            : "The event was acknowledged; it changes nothing a reader gets."
        return PushOutcome(status: 204, reason: reason, event: event, invalidated: result.invalidated)
    }
}

/// The body of a Pub/Sub push request.
struct PushEnvelope: Decodable {
    var message: PubSubMessage
    var subscription: String?
}
