import Hummingbird
import NIOCore

/// An OAuth 2.0 error answer of the token endpoint (RFC 6749 §5.2), as Google sends it:
/// `{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}`.
struct OAuthError: Error, Sendable, Equatable {
    /// The HTTP status (400 for most, 401 for `invalid_client`).
    var httpStatus: Int
    /// The error code, e.g. `invalid_grant`.
    var error: String
    /// A sentence for people. Never contains an assertion, a token or a key.
    var description: String

    static func invalidGrant(_ description: String) -> OAuthError {
        OAuthError(httpStatus: 400, error: "invalid_grant", description: description)
    }

    static func invalidRequest(_ description: String) -> OAuthError {
        OAuthError(httpStatus: 400, error: "invalid_request", description: description)
    }

    /// The answer.
    var response: Response {
        WireResponse.json(
            .object([("error", .string(error)), ("error_description", .string(description))]), status: httpStatus)
    }
}
