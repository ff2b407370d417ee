/// Where a ``CachingAccessTokenProvider`` gets new tokens: one network exchange per call
/// (a JWT-bearer grant, a refresh-token grant, the metadata server, IAM Credentials).
///
/// A source does not cache; the provider that wraps it does, and makes sure only one
/// call is in flight however many requests wait for a token.
package protocol AccessTokenSource: Sendable {
    /// Where the credentials come from, for errors and logs: a file path, an environment
    /// variable's name, an account's email, "metadata server at HOST". Never a key or a token.
    var source: String { get }

    /// The URL new tokens come from (token endpoint, metadata server, IAM Credentials),
    /// for spans and logs; `nil` when there is none.
    var tokenEndpoint: String? { get }

    /// The project a credentials file names for quota (`quota_project_id`), sent as
    /// `x-goog-user-project` on API requests when the configuration sets no
    /// `quota_project:`; `nil` for most sources.
    var quotaProject: String? { get }

    /// Obtains a new access token.
    ///
    /// - Throws: ``AuthenticationError`` naming ``source``: `.permission` when the
    ///   credentials are refused, `.unavailable` when the token endpoint cannot be reached
    ///   after retries, `.configuration` when the credentials cannot be used at all.
    func fetchToken() async throws -> FetchedAccessToken
}

extension AccessTokenSource {
    package var quotaProject: String? { nil }
}

/// A token as a token endpoint returned it.
package struct FetchedAccessToken: Sendable, CustomStringConvertible {
    /// The bearer token. Never logged or printed.
    package var value: String
    /// How long it stays valid from the moment the request was sent (`expires_in`, or
    /// `expireTime` minus the current time), or `nil` when the endpoint did not say: such
    /// a token is used until a server refuses it (HTTP 401).
    package var expiresIn: Duration?

    package init(value: String, expiresIn: Duration?) {
        self.value = value
        self.expiresIn = expiresIn
    }

    /// Redacted: a token must never reach a log line or an error.
    package var description: String {
        "FetchedAccessToken(<redacted>, expiresIn: \(expiresIn.map { "\($0)" } ?? "unknown"))"
    }
}
