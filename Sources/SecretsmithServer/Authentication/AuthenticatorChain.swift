import AsyncHTTPClient
import Logging

/// `serve`'s authentication: the configured authenticators asked in order, and the rule that
/// a token no one recognises is refused.
///
/// Semantics, for a request's `Authorization` header:
/// 1. No header, another scheme than `Bearer` (case-insensitive, RFC 6750 §2.1) or an empty
///    token: refused (401).
/// 2. Each authenticator in order: the first that returns a principal decides; one that
///    throws a ``BearerTokenRejection`` decides too (a recognised but bad token never falls
///    through to the next authenticator); `nil` passes the token on.
/// 3. No authenticator recognised the token: refused (401), "not a token this service accepts".
///
/// So an unknown opaque token and a JWT from an issuer that is not configured both end in 401,
/// and a JWT whose issuer is configured but whose signature, audience or expiry is wrong ends
/// in 401 with that issuer's reason (503 when ``BearerTokenRejection/isUnavailable``).
/// The order `serve` builds is the static tokens first, then the JWT issuers as configured.
package struct AuthenticatorChain: Sendable {
    /// The authenticators, in the order they are asked.
    package var authenticators: [any BearerTokenAuthenticator]

    package init(_ authenticators: [any BearerTokenAuthenticator]) {
        self.authenticators = authenticators
    }

    /// The token of an `Authorization: Bearer TOKEN` header, or `nil` when the header is
    /// absent, has another scheme or an empty token.
    package static func bearerToken(fromAuthorization header: String?) -> String? {
        guard let header else { return nil }
        let trimmed = header.drop(while: { $0 == " " })
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).trimmingSpaces()
        return token.isEmpty ? nil : String(token)
    }

    /// Authenticates a request by its `Authorization` header (the rules above).
    ///
    /// - Throws: ``BearerTokenRejection`` for every refusal; its reason never contains the token.
    package func authenticate(authorization header: String?) async throws(BearerTokenRejection) -> Principal {
        guard let token = Self.bearerToken(fromAuthorization: header) else {
            throw BearerTokenRejection(
                reason: header == nil
                    ? "The request has no Authorization header; send `Authorization: Bearer TOKEN`."
                    : "The Authorization header is not `Bearer TOKEN`.")
        }
        return try await authenticate(bearerToken: token)
    }

    /// Authenticates a bearer token (the rules above, from step 2).
    ///
    /// - Throws: ``BearerTokenRejection`` for every refusal; its reason never contains the token.
    package func authenticate(bearerToken token: String) async throws(BearerTokenRejection) -> Principal {
        for authenticator in authenticators {
            if let principal = try await authenticator.authenticate(bearerToken: token) { return principal }
        }
        throw BearerTokenRejection(reason: "The bearer token is not a token this service accepts.")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while result.last == " " || result.last == "\t" { result = result.dropLast() }
        while result.first == " " || result.first == "\t" { result = result.dropFirst() }
        return result
    }
}

extension AuthenticatorChain {
    /// The chain `serve` builds from `serve.authentication`: the static tokens file (when
    /// configured) first, then the JWT issuers in order.
    ///
    /// - Parameters:
    ///   - staticTokensFile: `static_tokens_file`, or `nil`.
    ///   - issuers: the `jwt` entries.
    ///   - httpClient: the service's shared client, for JWKS URLs.
    /// - Returns: the chain and the static-token authenticator (whose ``StaticTokenAuthenticator/reload()``
    ///   SIGHUP calls), `nil` without a file.
    /// - Throws: ``AuthenticationSetupError`` for an unreadable or invalid tokens file, an
    ///   issuer without audiences, or a JWKS URL that is not https (plain http only on loopback).
    package static func make(
        staticTokensFile: String?, issuers: [JWTIssuerConfiguration], httpClient: HTTPClient = .shared,
        logger: Logger
    ) throws(AuthenticationSetupError) -> (chain: AuthenticatorChain, staticTokens: StaticTokenAuthenticator?) {
        var authenticators: [any BearerTokenAuthenticator] = []
        var staticTokens: StaticTokenAuthenticator?
        if let staticTokensFile {
            let authenticator = try StaticTokenAuthenticator(path: staticTokensFile, logger: logger)
            staticTokens = authenticator
            authenticators.append(authenticator)
        }
        for issuer in issuers {
            authenticators.append(try JWTAuthenticator(configuration: issuer, httpClient: httpClient, logger: logger))
        }
        return (AuthenticatorChain(authenticators), staticTokens)
    }
}
