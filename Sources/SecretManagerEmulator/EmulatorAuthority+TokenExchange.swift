import Foundation

/// The Security Token Service's token exchange (RFC 8693), as Google's
/// `https://sts.googleapis.com/v1/token` answers it for workload identity federation.
extension EmulatorAuthority {
    static let tokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
    static let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"
    /// The subject token types Google's STS accepts.
    static let subjectTokenTypes: Set<String> = [
        "urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token",
        "urn:ietf:params:oauth:token-type:saml2", "urn:ietf:params:aws:token-type:aws4_request",
        "urn:ietf:params:oauth:token-type:access_token", "urn:ietf:params:oauth:token-type:mtls",
    ]

    /// Checks an exchange and names the federated principal it authenticates.
    ///
    /// - Parameter form: the decoded form fields (`grant_type`, `audience`, `scope`,
    ///   `requested_token_type`, `subject_token`, `subject_token_type`, optional `options`).
    /// - Returns: `principal://iam.googleapis.com/POOL/subject/SUBJECT`, or the OAuth error
    ///   Google answers: `unsupported_grant_type`, `invalid_request` (a missing or wrong
    ///   field), `invalid_target` (no such provider), `invalid_grant` (the subject token is
    ///   not accepted). Descriptions never contain the subject token.
    func verifyTokenExchange(form: [String: String]) -> Result<String, OAuthError> {
        guard form["grant_type"] == Self.tokenExchangeGrant else {
            return .failure(OAuthError(httpStatus: 400, error: "unsupported_grant_type", description: "Invalid grant_type."))
        }
        guard form["requested_token_type"] == Self.accessTokenType else {
            return .failure(.invalidRequest("Invalid value for \"requested_token_type\": expected \(Self.accessTokenType)."))
        }
        guard let type = form["subject_token_type"], Self.subjectTokenTypes.contains(type) else {
            return .failure(.invalidRequest("Invalid value for \"subject_token_type\"."))
        }
        guard let subjectToken = form["subject_token"], !subjectToken.isEmpty else {
            return .failure(.invalidRequest("Missing required parameter: subject_token."))
        }
        guard let audience = form["audience"], !audience.isEmpty else {
            return .failure(.invalidRequest("Missing required parameter: audience."))
        }
        if let options = form["options"] {
            // Google's libraries percent-encode the JSON before the form encoding.
            let text = options.hasPrefix("%") ? options.removingPercentEncoding ?? options : options
            guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
                return .failure(.invalidRequest("Invalid value for \"options\": expected a JSON object."))
            }
        }
        guard let provider = workloadIdentityProviders[audience] else {
            return .failure(
                OAuthError(
                    httpStatus: 400, error: "invalid_target",
                    description: "The target service indicated by the \"audience\" parameters is invalid. This might either be "
                        + "because the pool or provider is disabled or deleted or because it doesn't exist."))
        }
        if let expected = provider.subjectTokenType, expected != type {
            return .failure(.invalidGrant("The subject token type \(type) is not the type \(expected) this provider accepts."))
        }
        let match = provider.subjectTokens.first { accepted in
            accepted.isPattern ? GlobPattern(accepted.token).matches(subjectToken) : accepted.token == subjectToken
        }
        guard let match else {
            return .failure(.invalidGrant("The subject token is not accepted by the workload identity pool provider."))
        }
        return .success(provider.principal(subject: match.subject))
    }
}
