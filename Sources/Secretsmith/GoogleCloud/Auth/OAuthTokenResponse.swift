import Foundation

/// The answers of an OAuth 2.0 token endpoint (RFC 6749 §5.1 and §5.2), as Google's
/// `https://oauth2.googleapis.com/token` and its metadata server send them:
/// `{"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}`, or
/// `{"error": "invalid_grant", "error_description": "..."}`.
package enum OAuthTokenResponse {
    private struct Success: Decodable {
        var access_token: String?
        var expires_in: Double?
        var token_type: String?
    }

    private struct Failure: Decodable {
        var error: String?
        var error_description: String?
    }

    /// The longest server description kept in an error, in characters.
    static let maxDescriptionLength = 200

    /// Reads a token endpoint's answer.
    ///
    /// - Parameters:
    ///   - answer: the final answer (transient statuses were already retried).
    ///   - source: the credential source, for errors.
    ///   - endpoint: the endpoint's description, for errors.
    /// - Returns: the token and its lifetime (`expires_in` seconds).
    /// - Throws: ``AuthenticationError``: `.permission` when the endpoint refused the grant
    ///   (any 4xx, e.g. `invalid_grant`), `.unavailable` for other failures or an answer
    ///   that is not a token.
    package static func token(from answer: AuthHTTPTransport.Answer, source: String, endpoint: String) throws
        -> FetchedAccessToken
    {
        guard (200..<300).contains(answer.status) else {
            throw refusal(answer, source: source, endpoint: endpoint)
        }
        let body = Data(answer.body)
        if JSONMemberNames.containsDuplicate(body) {
            throw AuthenticationError(
                source: source, message: "the \(endpoint) answered with a member named twice in one object",
                kind: .unavailable)
        }
        guard let success = try? JSONDecoder().decode(Success.self, from: body),
            let token = success.access_token, !token.isEmpty
        else {
            throw AuthenticationError(
                source: source, message: "the \(endpoint) answered without an access_token", kind: .unavailable)
        }
        if let type = success.token_type, type.lowercased() != "bearer" {
            throw AuthenticationError(
                source: source, message: "the \(endpoint) issued a token of type \(sanitized(type)), not Bearer",
                kind: .unavailable)
        }
        return FetchedAccessToken(
            value: token, expiresIn: success.expires_in.map { .secondsDouble(max(0, $0)) })
    }

    /// The error for a refused request: OAuth's `error` and `error_description`, or Google's
    /// JSON error envelope, or the bare status.
    package static func refusal(_ answer: AuthHTTPTransport.Answer, source: String, endpoint: String)
        -> AuthenticationError
    {
        var detail = "HTTP \(answer.status)"
        if let failure = try? JSONDecoder().decode(Failure.self, from: Data(answer.body)), let code = failure.error {
            detail += ", \(sanitized(code))"
            if let description = failure.error_description, !description.isEmpty {
                detail += ": \(sanitized(description))"
            }
        } else if let envelope = GoogleErrorResponse.envelope(answer.body) {
            detail += ", \(sanitized(envelope.status ?? "no status"))"
            if let message = envelope.message { detail += ": \(sanitized(message))" }
        }
        let refused = (400..<500).contains(answer.status)
        return AuthenticationError(
            source: source,
            message: refused ? "the \(endpoint) refused the credentials (\(detail))" : "the \(endpoint) failed (\(detail))",
            kind: refused ? .permission : .unavailable)
    }

    /// A server text limited in length and without control characters.
    static func sanitized(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return cleaned.count > maxDescriptionLength ? String(cleaned.prefix(maxDescriptionLength)) + "…" : cleaned
    }
}
