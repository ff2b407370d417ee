/// Tokens for user credentials: the refresh-token grant (RFC 6749 §6) at the token endpoint.
///
/// `POST token_uri` with `grant_type=refresh_token&client_id=…&client_secret=…&refresh_token=…`
/// (<https://developers.google.com/identity/protocols/oauth2/web-server#offline>); the answer is as for the JWT-bearer grant.
package struct AuthorizedUserTokenSource: AccessTokenSource {
    package let credentials: AuthorizedUserCredentials
    package let source: String
    package var tokenEndpoint: String? { credentials.tokenURI }
    let transport: AuthHTTPTransport

    /// - Parameters:
    ///   - origin: where the credentials came from, e.g. `gcloud credentials file PATH`.
    package init(credentials: AuthorizedUserCredentials, origin: String, transport: AuthHTTPTransport) {
        self.credentials = credentials
        self.source = "\(origin) (user credentials\(credentials.account.map { " of \($0)" } ?? ""))"
        self.transport = transport
    }

    /// - Throws: ``AuthenticationError``: `.permission` when the refresh token is refused
    ///   (`invalid_grant`: revoked or expired; run `gcloud auth application-default login`),
    ///   `.unavailable` when the endpoint cannot be reached after retries.
    package func fetchToken() async throws -> FetchedAccessToken {
        let request = AuthHTTPTransport.formRequest(
            url: credentials.tokenURI,
            fields: [
                ("grant_type", "refresh_token"), ("client_id", credentials.clientID),
                ("client_secret", credentials.clientSecret), ("refresh_token", credentials.refreshToken),
            ])
        let endpoint = "token endpoint \(credentials.tokenURI)"
        let answer = try await transport.send(request, source: source, endpoint: endpoint)
        return try OAuthTokenResponse.token(from: answer, source: source, endpoint: endpoint)
    }
}
