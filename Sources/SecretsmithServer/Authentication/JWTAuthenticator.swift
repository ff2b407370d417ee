import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import Secretsmith

/// One trusted JWT issuer: `serve.authentication.jwt[]`.
package struct JWTIssuerConfiguration: Sendable, Hashable {
    /// How the verified claims become a ``Principal``.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Kubernetes projected service-account tokens: `kubernetes:NAMESPACE/SERVICEACCOUNT`
        /// from the `kubernetes.io` claim (or a `system:serviceaccount:NS:SA` subject).
        case kubernetes
        /// Google-signed ID tokens: `google:EMAIL` when `email_verified` is true.
        case google
    }

    /// How the claims become a principal.
    package var kind: Kind
    /// The `iss` the tokens carry, e.g. `https://kubernetes.default.svc.cluster.local` or
    /// `https://accounts.google.com`. For Google's issuer both `https://accounts.google.com`
    /// and `accounts.google.com` are accepted (Google signs ID tokens with either).
    package var issuer: String
    /// The `aud` values accepted: a token must name at least one of them. Never empty.
    package var audiences: [String]
    /// Where the issuer's keys come from.
    package var keys: JWKSSource
    /// How far `exp`, `nbf` and `iat` may be off (default 60 s).
    package var clockSkew: Duration
    /// How the keys are cached and refreshed.
    package var timing: JWKSKeyStore.Timing

    package init(
        kind: Kind, issuer: String, audiences: [String], keys: JWKSSource, clockSkew: Duration = .seconds(60),
        timing: JWKSKeyStore.Timing = .init()
    ) {
        self.kind = kind
        self.issuer = issuer
        self.audiences = audiences
        self.keys = keys
        self.clockSkew = clockSkew
        self.timing = timing
    }

    /// Google's issuer in both the forms it uses.
    package static let googleIssuers: Set<String> = ["https://accounts.google.com", "accounts.google.com"]

    /// The `iss` values accepted: ``issuer``, and both forms of Google's.
    package var acceptedIssuers: Set<String> {
        Self.googleIssuers.contains(issuer) ? Self.googleIssuers : [issuer]
    }
}

/// Verifies JWTs from one issuer (``JWTIssuerConfiguration``) with vapor/jwt-kit and maps
/// their claims to a ``Principal``.
///
/// - Not a JWT (not three base64url segments with JSON objects), or a JWT whose `iss` is not
///   this issuer's: `nil`, the next authenticator tries.
/// - Otherwise every check must pass, or the token is refused with a sentence
///   (``BearerTokenRejection``): the algorithm is RS256/384/512, PS256/384/512 or
///   ES256/384/512 (never `none` or HMAC) and fits the key's type; the key (`kid`) is in the
///   issuer's JWKS (refreshed once for an unknown `kid`, see ``JWKSKeyStore``); the signature
///   verifies; `aud` (a string or an array) names a configured audience; `exp` is present and
///   `now <= exp + skew`; `nbf`, when present, `nbf <= now + skew`; `iat`, when present,
///   `iat <= now + skew`.
/// - When no key of the issuer could ever be obtained the refusal is
///   ``BearerTokenRejection/isUnavailable`` (503).
///
/// Principals: ``JWTIssuerConfiguration/Kind/kubernetes`` → `kubernetes:NS/SA` from the
/// `kubernetes.io` claim (`namespace`, `serviceaccount.name`) or a subject
/// `system:serviceaccount:NS:SA`; ``JWTIssuerConfiguration/Kind/google`` → `google:EMAIL`
/// when `email_verified` is true; otherwise `sub:SUBJECT` (a token without `sub` is refused).
package final class JWTAuthenticator: BearerTokenAuthenticator {
    /// The issuer.
    package let configuration: JWTIssuerConfiguration
    /// The issuer's keys.
    package let keyStore: JWKSKeyStore
    private let acceptedIssuers: Set<String>
    private let now: @Sendable () -> Date

    /// The algorithms accepted (asymmetric only).
    package static let acceptedAlgorithms: Set<String> = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    ]

    /// - Parameters:
    ///   - httpClient: the client JWKS URLs are fetched with (the service's shared one).
    ///   - now: the wall clock `exp`, `nbf` and `iat` are checked against.
    /// - Throws: ``AuthenticationSetupError`` when the audiences are empty or the JWKS URL is
    ///   not https (http only on loopback).
    package convenience init(
        configuration: JWTIssuerConfiguration, httpClient: HTTPClient = .shared,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "secretsmith.serve.auth")
    ) throws(AuthenticationSetupError) {
        try configuration.keys.validate()
        guard !configuration.audiences.isEmpty else {
            throw AuthenticationSetupError(
                path: configuration.issuer, reason: "The JWT issuer has no audiences; list at least one under `audiences`.")
        }
        self.init(
            configuration: configuration,
            keyStore: JWKSKeyStore(
                source: configuration.keys, httpClient: httpClient, timing: configuration.timing, now: now, logger: logger),
            now: now)
    }

    /// An authenticator over a given key store (tests).
    package init(configuration: JWTIssuerConfiguration, keyStore: JWKSKeyStore, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.keyStore = keyStore
        self.acceptedIssuers = configuration.acceptedIssuers
        self.now = now
    }

    package func authenticate(bearerToken: String) async throws(BearerTokenRejection) -> Principal? {
        guard let token = DecodedJWT(bearerToken) else { return nil }
        guard let issuer = token.claims["iss"]?.string, acceptedIssuers.contains(issuer) else { return nil }
        func refuse(_ reason: String, unavailable: Bool = false) -> BearerTokenRejection {
            BearerTokenRejection(reason: "The token from \(configuration.issuer) \(reason)", isUnavailable: unavailable)
        }

        guard let algorithm = token.header["alg"]?.string, Self.acceptedAlgorithms.contains(algorithm) else {
            let shown = token.header["alg"]?.string.map { "`\(Self.printable($0))`" } ?? "no `alg`"
            throw refuse("has the algorithm \(shown); accepted are RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 and ES512.")
        }
        let kid = token.header["kid"]?.string
        let key: JWKSKeyStore.Key
        switch await keyStore.key(for: kid) {
        case .found(let found): key = found
        case .unknownKey:
            let named = kid.map { "the key `\(Self.printable($0))`" } ?? "no `kid` (and the issuer has several keys)"
            throw refuse("names \(named), which the issuer's JWKS does not list.")
        case .unavailable(let reason):
            throw refuse("cannot be verified: \(reason).", unavailable: true)
        }
        guard let collection = key.collections[algorithm] else {
            throw refuse("uses the algorithm \(algorithm), which its key (\(key.keyType)\(key.algorithm.map { " \($0)" } ?? "")) does not sign with.")
        }
        do {
            _ = try await collection.verify(bearerToken, as: UncheckedClaims.self)
        } catch {
            throw refuse("has a signature that does not verify against the issuer's key.")
        }
        try checkTime(token.claims, refuse: refuse)
        guard Self.audiences(token.claims["aud"]).contains(where: configuration.audiences.contains) else {
            throw refuse("is not for this service: its `aud` names none of the configured audiences.")
        }
        return try principal(from: token.claims, issuer: issuer, refuse: refuse)
    }

    private func checkTime(
        _ claims: [String: ClaimValue], refuse: (String, Bool) -> BearerTokenRejection
    ) throws(BearerTokenRejection) {
        let current = now().timeIntervalSince1970
        let skew = configuration.clockSkew.seconds
        guard let expiry = claims["exp"]?.number else {
            throw refuse("has no `exp` claim; tokens without an expiry are refused.", false)
        }
        if current > expiry + skew {
            throw refuse("expired at \(Self.timestamp(expiry)) (clock skew allowed: \(Int(skew)) s).", false)
        }
        if let notBefore = claims["nbf"]?.number, notBefore > current + skew {
            throw refuse("is not valid before \(Self.timestamp(notBefore)) (clock skew allowed: \(Int(skew)) s).", false)
        }
        if let issuedAt = claims["iat"]?.number, issuedAt > current + skew {
            throw refuse("was issued in the future, at \(Self.timestamp(issuedAt)) (clock skew allowed: \(Int(skew)) s).", false)
        }
    }

    private func principal(
        from claims: [String: ClaimValue], issuer: String, refuse: (String, Bool) -> BearerTokenRejection
    ) throws(BearerTokenRejection) -> Principal {
        let subject = claims["sub"]?.string
        switch configuration.kind {
        case .kubernetes:
            let kubernetes = claims["kubernetes.io"]?.object
            var namespace = kubernetes?["namespace"]?.string
            var account = kubernetes?["serviceaccount"]?.object?["name"]?.string
            if namespace == nil || account == nil, let subject {
                let parts = subject.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount", !parts[2].isEmpty, !parts[3].isEmpty {
                    namespace = String(parts[2])
                    account = String(parts[3])
                }
            }
            if let namespace, let account, !namespace.isEmpty, !account.isEmpty {
                return Principal(
                    kind: .kubernetesServiceAccount, name: "kubernetes:\(namespace)/\(account)", subject: subject,
                    kubernetesNamespace: namespace, kubernetesServiceAccount: account, issuer: issuer)
            }
        case .google:
            if let email = claims["email"]?.string, !email.isEmpty, claims["email_verified"]?.isTrue == true {
                return Principal(kind: .googleIdentity, name: "google:\(email)", subject: subject, email: email, issuer: issuer)
            }
        }
        guard let subject, !subject.isEmpty else {
            throw refuse("has no `sub` claim, so it names no caller.", false)
        }
        return Principal(kind: .jwtSubject, name: "sub:\(subject)", subject: subject, issuer: issuer)
    }

    /// `aud` as a list: a string is one audience (RFC 7519 §4.1.3).
    static func audiences(_ value: ClaimValue?) -> [String] {
        switch value {
        case .string(let single): [single]
        case .array(let list): list.compactMap(\.string)
        default: []
        }
    }

    private static func timestamp(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// A sender's header value for an error: at most 40 printable ASCII characters.
    static func printable(_ value: String) -> String {
        let scalars = value.unicodeScalars.prefix(40).map { $0.value >= 0x20 && $0.value < 0x7F && $0 != "`" ? Character($0) : "?" }
        return String(scalars) + (value.unicodeScalars.count > 40 ? "…" : "")
    }
}

/// The header and claims of a compact JWS, decoded but not verified.
struct DecodedJWT {
    var header: [String: ClaimValue]
    var claims: [String: ClaimValue]

    /// `nil` unless `token` is three base64url segments whose first two are JSON objects,
    /// neither of which repeats a member name (RFC 7519 §4; see ``JSONMemberNames``).
    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        let decoder = JSONDecoder()
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
            let headerData = Self.base64URL(parts[0]), let claimsData = Self.base64URL(parts[1]),
            !JSONMemberNames.containsDuplicate(headerData), !JSONMemberNames.containsDuplicate(claimsData),
            let header = try? decoder.decode([String: ClaimValue].self, from: headerData),
            let claims = try? decoder.decode([String: ClaimValue].self, from: claimsData)
        else { return nil }
        self.header = header
        self.claims = claims
    }

    static func base64URL(_ text: Substring) -> Data? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
        else { return nil }
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = normalized.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized)
    }
}

/// A JSON value of a JWT's header or claims.
enum ClaimValue: Decodable, Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ClaimValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ClaimValue].self))
        }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    /// A NumericDate (RFC 7519 §2): a JSON number of seconds since the epoch.
    var number: Double? { if case .number(let value) = self { value } else { nil } }
    var object: [String: ClaimValue]? { if case .object(let value) = self { value } else { nil } }
    /// `true`, or Google's older string `"true"`.
    var isTrue: Bool {
        switch self {
        case .bool(let value): value
        case .string(let value): value == "true"
        default: false
        }
    }
}

/// A payload jwt-kit decodes without checking anything: the authenticator checks the claims
/// itself (with the configured clock skew) after the signature verified.
private struct UncheckedClaims: JWTPayload {
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
