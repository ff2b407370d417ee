import Foundation

/// Tokens for a service account key: an RS256 JWT-bearer assertion exchanged at the key's
/// `token_uri` (<https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests>).
///
/// `POST token_uri` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT`
/// (`application/x-www-form-urlencoded`); the answer is `{access_token, expires_in, token_type}`
/// or `{error, error_description}`. A new assertion is signed for every exchange, so a
/// retry after a long wait never sends an expired one.
package struct ServiceAccountTokenSource: AccessTokenSource {
    package let key: ServiceAccountKey
    package let source: String
    package var tokenEndpoint: String? { key.tokenURI }
    let transport: AuthHTTPTransport
    /// The wall clock for `iat` (tests may fix it).
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - key: the parsed key.
    ///   - origin: where the key came from, e.g. `service account key file /etc/sa.json`;
    ///     the source named in errors adds the account's email.
    ///   - transport: the HTTP transport with its retry policy.
    package init(
        key: ServiceAccountKey, origin: String, transport: AuthHTTPTransport,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.key = key
        self.source = "\(origin) (service account \(key.clientEmail))"
        self.transport = transport
        self.now = now
    }

    /// - Throws: ``AuthenticationError``: `.permission` when the token endpoint refuses the
    ///   assertion (e.g. `invalid_grant` for a deleted key or a bad signature),
    ///   `.unavailable` when it cannot be reached after retries.
    package func fetchToken() async throws -> FetchedAccessToken {
        let assertion = try JWTBearerAssertion(key: key, audience: key.tokenURI, issuedAt: now()).signed(with: key)
        let request = AuthHTTPTransport.formRequest(
            url: key.tokenURI, fields: [("grant_type", JWTBearerAssertion.grantType), ("assertion", assertion)])
        let endpoint = "token endpoint \(key.tokenURI)"
        let answer = try await transport.send(request, source: source, endpoint: endpoint)
        return try OAuthTokenResponse.token(from: answer, source: source, endpoint: endpoint)
    }
}
