import Crypto
import Foundation
import _CryptoExtras

/// A compact JWS (RFC 7515 §7.1) split into its decoded parts; nothing verified yet.
struct DecodedJWT {
    var header: [String: Any]
    var claims: [String: Any]
    /// `header "." claims` as sent: the bytes the signature covers.
    var signingInput: [UInt8]
    var signature: [UInt8]

    /// `nil` unless `compact` is three base64url parts, the first two JSON objects.
    init?(_ compact: String) {
        let parts = compact.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerBytes = AssertionVerifier.base64URLDecode(parts[0]),
            let claimBytes = AssertionVerifier.base64URLDecode(parts[1]),
            let signature = AssertionVerifier.base64URLDecode(parts[2]),
            let header = (try? JSONSerialization.jsonObject(with: Data(headerBytes))) as? [String: Any],
            let claims = (try? JSONSerialization.jsonObject(with: Data(claimBytes))) as? [String: Any]
        else { return nil }
        self.header = header
        self.claims = claims
        self.signingInput = Array((parts[0] + "." + parts[1]).utf8)
        self.signature = signature
    }

    /// Whether the signature is an RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of
    /// the signing input by `key`.
    func isSignedRS256(by key: _RSA.Signing.PublicKey) -> Bool {
        key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: signingInput),
            padding: .insecurePKCS1v1_5)
    }

    /// A numeric claim (JSONSerialization gives `NSNumber`s).
    func number(_ name: String) -> Double? {
        (claims[name] as? NSNumber)?.doubleValue
    }
}

/// Checks a self-signed JWT sent as a bearer token instead of an access token, as
/// Google's APIs accept one from a service account key
/// (<https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth>,
/// AIP-4111 <https://google.aip.dev/auth/4111>):
///
/// - an RS256 signature by the seeded public key of the account, found by the header's
///   `kid` (the key's `private_key_id`) or else by `iss`;
/// - `iss` and `sub` both the account's email;
/// - `iat` and `exp` present, `exp` after `iat` by at most an hour, now within
///   [`iat`, `exp`] give or take ``allowedSkewSeconds``;
/// - either `aud`, the API's own URL (`https://secretmanager.googleapis.com/`, or the
///   emulator's `http(s)://HOST:PORT/` as the request addressed it), or `scope` including
///   `https://www.googleapis.com/auth/cloud-platform`; not both (AIP-4111).
///
/// A refusal names the first check that failed, never the token itself.
enum SelfSignedJWTVerifier {
    /// The clock skew tolerated on `iat` and `exp`, in seconds.
    static let allowedSkewSeconds: Double = 60
    /// The longest lifetime (`exp` − `iat`), in seconds.
    static let maxLifetimeSeconds: Double = 3600

    /// Whether `token` has the shape of a JWT (three dot-separated parts), so a refusal
    /// explains the JWT rather than calling it an unknown access token.
    static func looksLikeJWT(_ token: String) -> Bool {
        token.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
    }

    /// Verifies `token`.
    ///
    /// - Parameters:
    ///   - keys: the seeded verification keys by service account email.
    ///   - audiences: the accepted `aud` values.
    ///   - now: the emulator's current time (its clock offset applied).
    /// - Returns: the service account's email, or why the token is refused (a sentence
    ///   fragment such as `the JWT has expired`).
    static func verify(
        _ token: String, keys: [String: AssertionVerifier.Key], audiences: Set<String>, now: Date
    ) -> Result<String, Refusal> {
        guard let jwt = DecodedJWT(token) else {
            return .failure(Refusal("the bearer token is neither an access token the emulator issued nor a JWT of three base64url parts"))
        }
        guard jwt.header["alg"] as? String == "RS256" else {
            return .failure(Refusal("the JWT's header must have \"alg\": \"RS256\""))
        }
        let issuer = jwt.claims["iss"] as? String
        let keyID = jwt.header["kid"] as? String
        var account: String?
        if let keyID, let owner = keys.first(where: { $0.value.keyID == keyID })?.key {
            account = owner
        } else if let issuer, keys[issuer] != nil {
            if let keyID, let expected = keys[issuer]?.keyID, keyID != expected {
                return .failure(Refusal("the JWT's kid is not the key id of service account \(issuer)"))
            }
            account = issuer
        }
        guard let account, let key = keys[account] else {
            return .failure(Refusal("neither the JWT's kid nor its iss names a service account with a public key in the emulator's seed"))
        }
        guard jwt.isSignedRS256(by: key.publicKey) else {
            return .failure(Refusal("the JWT's signature does not verify with the public key of service account \(account)"))
        }
        guard issuer == account else {
            return .failure(Refusal("the JWT's iss must be \(account), the account of its key"))
        }
        guard jwt.claims["sub"] as? String == account else {
            return .failure(Refusal("the JWT's sub must be \(account), the same as its iss"))
        }
        guard let iat = jwt.number("iat"), let exp = jwt.number("exp") else {
            return .failure(Refusal("the JWT must have numeric iat and exp claims"))
        }
        let current = now.timeIntervalSince1970
        guard exp > iat, exp - iat <= maxLifetimeSeconds else {
            return .failure(Refusal("the JWT's exp must be after its iat by at most an hour"))
        }
        guard iat <= current + allowedSkewSeconds else {
            return .failure(Refusal("the JWT's iat is in the future"))
        }
        guard exp > current - allowedSkewSeconds else {
            return .failure(Refusal("the JWT has expired"))
        }
        let audience = jwt.claims["aud"]
        let scope = jwt.claims["scope"]
        switch (audience, scope) {
        case (nil, nil):
            return .failure(Refusal("the JWT has neither an aud nor a scope claim"))
        case (.some, .some):
            return .failure(Refusal("the JWT has both an aud and a scope claim; it may have only one"))
        case (.some(let audience), nil):
            let values = (audience as? String).map { [$0] } ?? (audience as? [String]) ?? []
            guard values.contains(where: audiences.contains) else {
                return .failure(
                    Refusal("the JWT's aud is not one of \(audiences.sorted().joined(separator: ", "))"))
            }
        case (nil, .some(let scope)):
            let scopes = (scope as? String)?.split(separator: " ").map(String.init) ?? []
            guard scopes.contains(AssertionVerifier.requiredScope) else {
                return .failure(Refusal("the JWT's scope does not include \(AssertionVerifier.requiredScope)"))
            }
        }
        return .success(account)
    }

    /// Why a JWT was refused, as a fragment to follow "Request had invalid authentication
    /// credentials: ".
    struct Refusal: Error, Equatable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
