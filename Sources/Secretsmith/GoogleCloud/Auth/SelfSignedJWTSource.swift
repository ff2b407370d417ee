import Foundation

/// Tokens for a service account key without a token exchange: a JWT the key signs itself,
/// sent as the bearer token.
///
/// Google's APIs accept such a "self-signed JWT" in place of an OAuth access token
/// ("Addendum: Service account authorization without OAuth",
/// <https://developers.google.com/identity/protocols/oauth2/service-account#jwt-auth>; the
/// client side is AIP-4111, <https://google.aip.dev/auth/4111>), so a cold start makes no
/// round trip to the token endpoint. Google's client libraries do the same for service
/// account keys (google-auth-library-python `with_always_use_jwt_access`, Go's
/// `JWTAccessTokenSourceWithScope`).
///
/// The JWT: header `{"alg":"RS256","kid":private_key_id,"typ":"JWT"}`; claims `iss` and `sub`
/// (both the account's `client_email`), `scope` (`https://www.googleapis.com/auth/cloud-platform`),
/// `iat` (now, whole seconds since the epoch) and `exp` (`iat` + 3600). It carries the
/// `scope` claim and no `aud`: AIP-4111 allows one or the other, never both, and a scope
/// makes the token valid for every Cloud API and endpoint (global, regional, private) that
/// accepts self-signed JWTs, Secret Manager among them. It is valid for an hour and is
/// cached and re-signed ahead of expiry like any token (``CachingAccessTokenProvider``).
///
/// Not used (the JWT-bearer exchange of ``ServiceAccountTokenSource`` is) when the key is
/// the source credentials of an impersonation (Google's libraries exchange there by
/// default), or when ``variable`` turns it off. secretsmith has no domain-wide delegation
/// (`sub` naming a user), which a self-signed JWT cannot carry.
package struct SelfSignedJWTSource: AccessTokenSource {
    /// The environment variable that turns self-signed JWTs off (`false` or `0`), for a
    /// server that accepts only exchanged tokens. Named after gcloud's property
    /// `auth/service_account_use_self_signed_jwt`.
    package static let variable = "SECRETSMITH_USE_SELF_SIGNED_JWT"
    /// How long a JWT is valid, in seconds: an hour, the longest Google accepts.
    package static let lifetimeSeconds = JWTBearerAssertion.maxLifetimeSeconds

    struct Header: Encodable {
        var alg = "RS256"
        var kid: String?
        var typ = "JWT"
    }

    struct Claims: Encodable {
        var iss: String
        var sub: String
        var scope: String
        var iat: Int64
        var exp: Int64
    }

    package let key: ServiceAccountKey
    package let source: String
    /// No endpoint: the token is made here.
    package var tokenEndpoint: String? { nil }
    /// The `scope` claim.
    package let scope: String
    /// The wall clock for `iat` (tests may fix it).
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - key: the parsed key; it signs every JWT.
    ///   - origin: where the key came from, e.g. `service account key file /etc/sa.json`;
    ///     the source named in errors adds the account's email.
    ///   - scope: the space-separated scopes of the `scope` claim.
    ///   - now: the wall clock.
    package init(
        key: ServiceAccountKey, origin: String, scope: String = JWTBearerAssertion.cloudPlatformScope,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.key = key
        self.source = "\(origin) (service account \(key.clientEmail), self-signed JWT)"
        self.scope = scope
        self.now = now
    }

    /// Signs a new JWT; no network call.
    ///
    /// - Returns: the JWT, valid for the time left until its `exp`.
    /// - Throws: ``AuthenticationError`` (`.configuration`) if the key cannot sign.
    package func fetchToken() async throws -> FetchedAccessToken {
        let current = now()
        let (jwt, expiresAt) = try token(issuedAt: current)
        let lifetime = max(0, Double(expiresAt) - current.timeIntervalSince1970)
        return FetchedAccessToken(value: jwt, expiresIn: .secondsDouble(lifetime))
    }

    /// The compact JWT for `issuedAt`, and its `exp` in seconds since the epoch.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) if the key cannot sign.
    package func token(issuedAt: Date) throws -> (jwt: String, expiresAt: Int64) {
        let iat = Int64(issuedAt.timeIntervalSince1970.rounded(.down))
        let claims = Claims(
            iss: key.clientEmail, sub: key.clientEmail, scope: scope, iat: iat, exp: iat + Int64(Self.lifetimeSeconds))
        let jwt = try JWTBearerAssertion.compactJWS(header: Header(kid: key.privateKeyID), claims: claims, key: key)
        return (jwt, claims.exp)
    }

    /// Whether service account keys sign their own tokens: yes unless ``variable`` is
    /// `false` or `0` (`true`, `1`, empty or unset: yes).
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) for any other value.
    package static func isEnabled(environment: [String: String]) throws -> Bool {
        switch environment[variable]?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "true", "1": return true
        case "false", "0": return false
        default:
            throw AuthenticationError(
                source: "environment variable \(variable)", message: "the value must be true, false, 1 or 0",
                kind: .configuration)
        }
    }
}
