/// Supplies OAuth 2.0 access tokens (RFC 6749 §1.4) for `Authorization: Bearer` headers.
///
/// One provider serves every request that uses the same credentials, so a token is
/// obtained once and shared.
package protocol AccessTokenProvider: Sendable {
    /// A short description of where the credentials come from (a file path, an environment
    /// variable's name, an account's email), for error messages. Never a key or a token.
    var source: String { get }

    /// Returns a valid access token.
    ///
    /// - Throws: ``AuthenticationError`` when no token can be obtained.
    func accessToken() async throws -> String

    /// Forgets a token the server refused (HTTP 401), so the next call obtains a new one.
    func invalidate(_ token: String) async

    /// The project the credentials name for quota (an `external_account` file's
    /// `quota_project_id`), or `nil`; the configuration's `quota_project:` wins over it.
    var quotaProject: String? { get }
}

extension AccessTokenProvider {
    package func invalidate(_ token: String) async {}

    package var quotaProject: String? { nil }
}
