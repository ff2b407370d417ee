import Crypto
import Foundation
import _CryptoExtras

/// Checks a JWT-bearer assertion (RFC 7523) the way Google's token endpoint does
/// (<https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests>): an RS256 signature by the key of the issuing service
/// account (chosen by `iss`, and `kid` when both sides name one), the audience, the
/// `cloud-platform` scope, and a lifetime of at most an hour that includes now.
///
/// Error descriptions follow Google's wording where it is known; none repeats the assertion.
enum AssertionVerifier {
    /// How far in the future `iat` may be (clock skew between client and server), in seconds.
    static let allowedSkewSeconds: Double = 60
    /// The scope an assertion must ask for.
    static let requiredScope = "https://www.googleapis.com/auth/cloud-platform"

    /// A service account's verification key.
    struct Key: Sendable {
        var keyID: String?
        var publicKey: _RSA.Signing.PublicKey
    }

    /// Verifies `assertion`.
    ///
    /// - Parameters:
    ///   - keys: verification keys by service account email.
    ///   - audiences: the accepted `aud` values.
    ///   - now: the emulator's current time (its clock offset applied).
    /// - Returns: the service account's email.
    static func verify(
        _ assertion: String, keys: [String: Key], audiences: Set<String>, now: Date
    ) -> Result<String, OAuthError> {
        guard let jwt = DecodedJWT(assertion) else {
            return .failure(.invalidGrant("Invalid JWT: the assertion is not a compact JWS of three base64url parts."))
        }
        let header = jwt.header
        let claims = jwt.claims
        guard header["alg"] as? String == "RS256" else {
            return .failure(.invalidGrant("Invalid JWT: the algorithm must be RS256."))
        }
        guard let issuer = claims["iss"] as? String, let key = keys[issuer] else {
            return .failure(.invalidGrant("Invalid grant: account not found"))
        }
        if let kid = header["kid"] as? String, let expected = key.keyID, kid != expected {
            return .failure(.invalidGrant("Invalid JWT Signature."))
        }
        guard jwt.isSignedRS256(by: key.publicKey) else { return .failure(.invalidGrant("Invalid JWT Signature.")) }
        let audience: [String] = (claims["aud"] as? String).map { [$0] } ?? (claims["aud"] as? [String]) ?? []
        guard audience.contains(where: audiences.contains) else {
            return .failure(.invalidGrant("Invalid JWT: Failed audience check."))
        }
        guard let iat = jwt.number("iat"), let exp = jwt.number("exp") else {
            return .failure(.invalidGrant("Invalid JWT: iat and exp claims are required."))
        }
        let current = now.timeIntervalSince1970
        guard exp > current, iat <= current + allowedSkewSeconds, exp > iat, exp - iat <= 3600 else {
            return .failure(
                .invalidGrant(
                    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                        + "Check your iat and exp values in the JWT claim."))
        }
        let scopes = (claims["scope"] as? String)?.split(separator: " ").map(String.init) ?? []
        guard scopes.contains(requiredScope) else {
            return .failure(
                OAuthError(httpStatus: 400, error: "invalid_scope", description: "Invalid OAuth scope or ID token audience provided."))
        }
        return .success(issuer)
    }

    /// base64url with or without padding.
    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") || text.hasSuffix("=") else { return nil }
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
