/// Establishes a ``Principal`` from the token of an `Authorization: Bearer TOKEN` header
/// (RFC 6750 §2.1).
///
/// `serve` asks its authenticators in order; the first that recognises the token decides.
/// Implementations never log, store or put into an error the token itself.
package protocol BearerTokenAuthenticator: Sendable {
    /// Authenticates one bearer token.
    ///
    /// - Parameter bearerToken: the header's token, without the `Bearer ` prefix.
    /// - Returns: the principal, or `nil` when this authenticator does not recognise the token
    ///   at all (for example a static-token authenticator given a JWT), so the next one tries.
    /// - Throws: ``BearerTokenRejection`` when it recognises the token but refuses it (bad
    ///   signature, expired, wrong audience or issuer, a JWKS that cannot be fetched).
    func authenticate(bearerToken: String) async throws(BearerTokenRejection) -> Principal?
}

/// Why a recognised bearer token was refused. The ``reason`` is a sentence for the audit log
/// and the 401 body; it never contains the token.
package struct BearerTokenRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The sentence.
    package var reason: String
    /// Whether the refusal is the server's fault (the issuer's JWKS could not be fetched):
    /// `serve` answers 503 then, not 401.
    package var isUnavailable: Bool

    package init(reason: String, isUnavailable: Bool = false) {
        self.reason = reason
        self.isUnavailable = isUnavailable
    }

    package var description: String { reason }
}
