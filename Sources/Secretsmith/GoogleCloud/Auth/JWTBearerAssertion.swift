import Foundation

/// The signed JWT a service account exchanges for an access token: the JWT-bearer grant
/// of RFC 7523 as Google's token endpoint takes it
/// (<https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests>).
///
/// Header `{"alg":"RS256","typ":"JWT","kid":private_key_id}`; claims `iss` (the service
/// account's email), `scope`, `aud`, `iat` and `exp` (seconds since the epoch, at most an
/// hour apart); each part base64url without padding (RFC 7515 §2), signed with RS256.
package struct JWTBearerAssertion: Sendable {
    /// The OAuth grant type of the exchange (RFC 7523 §2.1).
    package static let grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    /// The scope secretsmith asks for: every Google Cloud API, narrowed by IAM.
    package static let cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
    /// The longest lifetime Google accepts for an assertion, in seconds.
    package static let maxLifetimeSeconds = 3600

    struct Header: Encodable {
        var alg = "RS256"
        var typ = "JWT"
        var kid: String?
    }

    struct Claims: Encodable {
        var iss: String
        var scope: String
        var aud: String
        var iat: Int64
        var exp: Int64
    }

    /// The header that is signed.
    let header: Header
    /// The claims that are signed.
    let claims: Claims

    /// - Parameters:
    ///   - key: the service account key; `client_email` is the issuer, `private_key_id` the `kid`.
    ///   - audience: the `aud` claim. Callers pass the key's `token_uri`, as Go's
    ///     `golang.org/x/oauth2/jwt` does; for a key from Google that is
    ///     `https://oauth2.googleapis.com/token`, the audience Google's guide names (the Python
    ///     library sends that constant whatever the `token_uri`).
    ///   - scope: the space-separated scopes.
    ///   - issuedAt: the `iat` claim; `exp` is an hour later.
    package init(key: ServiceAccountKey, audience: String, scope: String = cloudPlatformScope, issuedAt: Date) {
        let iat = Int64(issuedAt.timeIntervalSince1970.rounded(.down))
        header = Header(kid: key.privateKeyID)
        claims = Claims(
            iss: key.clientEmail, scope: scope, aud: audience, iat: iat, exp: iat + Int64(Self.maxLifetimeSeconds))
    }

    /// The compact serialization `header.claims.signature`.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) if signing fails.
    package func signed(with key: ServiceAccountKey) throws -> String {
        try Self.compactJWS(header: header, claims: claims, key: key)
    }

    /// `base64url(header JSON) "." base64url(claims JSON) "." base64url(RS256 signature)`,
    /// the JWS compact serialization (RFC 7515 §7.1); JSON keys sorted.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) if signing fails.
    static func compactJWS(header: some Encodable, claims: some Encodable, key: ServiceAccountKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and integers cannot fail.
        let headerJSON = (try? encoder.encode(header)) ?? Data()
        let claimsJSON = (try? encoder.encode(claims)) ?? Data()
        let signingInput = base64URL(Array(headerJSON)) + "." + base64URL(Array(claimsJSON))
        let signature = try key.signRS256(Array(signingInput.utf8))
        return signingInput + "." + base64URL(signature)
    }

    /// base64url without padding (RFC 4648 §5, as JWS requires in RFC 7515 §2).
    package static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
