import NIOHTTP1

/// The Google Cloud answer decoders, for the fuzz targets and their corpus replay
/// (SecretsmithFuzzing), which cannot see this module's internal types. Not API for users.
package enum GoogleCloudFuzzing {
    /// The error an error answer becomes (Google's JSON envelope, or the status alone).
    ///
    /// - Parameters:
    ///   - status: the HTTP status of the error answer.
    ///   - retryAfter: the `Retry-After` header's value, if any.
    ///   - body: the answer's body.
    ///   - resource: the resource name errors name.
    package static func error(status: Int, retryAfter: String?, body: [UInt8], resource: String) -> SecretManagerError {
        var headers = HTTPHeaders()
        if let retryAfter { headers.add(name: "Retry-After", value: retryAfter) }
        return GoogleErrorResponse.error(status: status, headers: headers, body: body, resource: resource)
    }

    /// The longest message an error answer contributes, in characters (then `…`).
    package static var maxMessageLength: Int { GoogleErrorResponse.maxMessageLength }

    /// ``OAuthTokenResponse/token(from:source:endpoint:)`` of an answer without headers.
    ///
    /// - Throws: ``AuthenticationError``, as that function does.
    package static func oauthToken(status: Int, body: [UInt8]) throws -> FetchedAccessToken {
        try OAuthTokenResponse.token(
            from: AuthHTTPTransport.Answer(status: status, headers: HTTPHeaders(), body: body), source: "fuzz",
            endpoint: "token endpoint")
    }

    /// The longest server description an OAuth error keeps, in characters (then `…`).
    package static var maxOAuthDescriptionLength: Int { OAuthTokenResponse.maxDescriptionLength }
}
