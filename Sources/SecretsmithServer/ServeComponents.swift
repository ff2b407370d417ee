import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Secretsmith
import ServiceLifecycle

/// What `serve.authentication`, `serve.pubsub_push` and `serve.webhooks` make of the
/// configuration: the bearer-token authenticators, the SIGHUP reload of the static tokens
/// file, the Pub/Sub push route's handler and the webhook notifier (a service of its own).
package struct ServeComponents: Sendable {
    package var authenticators: [any BearerTokenAuthenticator]
    /// Run on SIGHUP (the static tokens file).
    package var reloads: [@Sendable () async -> Void]
    /// `POST /v1/events/pubsub`, when `serve.pubsub_push` is set.
    package var pubSubPushHandler: (@Sendable (Request, ServeRequestContext) async throws -> Response)?
    /// The webhook notifier, to run in the service group, when `serve.webhooks` is set.
    package var webhooks: WebhookNotifier?

    /// The largest push request body read, in bytes.
    static let maxPushBodyBytes = 1 << 20

    /// Builds the components.
    ///
    /// - Throws: ``AuthenticationSetupError`` naming the file (tokens, JWKS, signing key) or URL.
    package static func make(
        serve: ServeConfiguration, manager: MultiEnvironmentSecretManager, httpClient: HTTPClient, logger: Logger
    ) throws -> ServeComponents {
        let issuers = serve.authentication.jwt.map { issuer in
            JWTIssuerConfiguration(
                kind: issuer.kind == .google ? .google : .kubernetes, issuer: issuer.issuer, audiences: issuer.audiences,
                keys: jwksSource(issuer.keys), clockSkew: issuer.clockSkew)
        }
        let (chain, staticTokens) = try AuthenticatorChain.make(
            staticTokensFile: serve.authentication.staticTokensFile, issuers: issuers, httpClient: httpClient, logger: logger)
        var reloads: [@Sendable () async -> Void] = []
        if let staticTokens {
            // reload() logs what it did, or why the previous tokens stay.
            reloads.append { _ = try? staticTokens.reload() }
        }
        var webhooks: WebhookNotifier?
        if !serve.webhooks.isEmpty {
            let endpoints = try serve.webhooks.map { webhook throws(AuthenticationSetupError) in
                try WebhookEndpoint(url: webhook.url, signingKeyFile: webhook.signingKeyFile)
            }
            webhooks = WebhookNotifier(endpoints: endpoints, httpClient: httpClient, logger: logger)
        }
        var pushHandler: (@Sendable (Request, ServeRequestContext) async throws -> Response)?
        if let push = serve.pubsubPush {
            let processor = SecretEventProcessor(cache: manager, webhooks: webhooks, logger: logger)
            let handler = try PubSubPushHandler(
                configuration: .init(
                    audience: push.audience, serviceAccountEmail: push.serviceAccountEmail, issuer: push.issuer,
                    keys: jwksSource(push.keys)),
                processor: processor, httpClient: httpClient, logger: logger)
            pushHandler = { request, context in
                var request = request
                let body = try await request.collectBody(upTo: maxPushBodyBytes)
                let outcome = await handler.handle(body: body, authorization: request.headers[.authorization])
                context.audit.update {
                    $0.resource = "pubsub"
                    if !outcome.acknowledges { $0.refusal = outcome.reason }
                }
                if outcome.acknowledges {
                    return Response(status: .init(code: outcome.status))
                }
                let status: String
                switch outcome.status {
                case 400: status = "INVALID_ARGUMENT"
                case 401: status = "UNAUTHENTICATED"
                case 403: status = "PERMISSION_DENIED"
                default: status = "UNAVAILABLE"
                }
                throw ServeError(httpStatus: outcome.status, status: status, message: ServeError.sentence(outcome.reason))
            }
        }
        return ServeComponents(
            authenticators: chain.authenticators, reloads: reloads, pubSubPushHandler: pushHandler, webhooks: webhooks)
    }

    private static func jwksSource(_ keys: ServeConfiguration.KeySource) -> JWKSSource {
        switch keys {
        case .url(let url): .url(url)
        case .file(let path): .file(path)
        }
    }
}
