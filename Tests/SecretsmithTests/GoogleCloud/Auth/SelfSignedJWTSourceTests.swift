import Foundation
import Logging
import SecretManagerEmulator
@testable import Secretsmith
import Testing

/// The self-signed JWT a service account key uses as its bearer token: Google's header and
/// claims, its lifetime, and when the JWT-bearer exchange is used instead.
@Suite struct SelfSignedJWTSourceTests {
    static let account = AuthFixture.ci
    static let issuedAt = Date(timeIntervalSince1970: 1_800_000_000.25)

    static func key() throws -> ServiceAccountKey {
        try ServiceAccountKey(
            json: Array(account.keyFileJSON(tokenURI: "http://127.0.0.1:1/token").utf8), source: "test key")
    }

    static func decode(_ part: Substring) throws -> [String: Any] {
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func jwtCarriesGooglesHeaderAndTheScopeClaimWithoutAudience() throws {
        let source = SelfSignedJWTSource(key: try Self.key(), origin: "service account key file /k.json")
        let (jwt, expiresAt) = try source.token(issuedAt: Self.issuedAt)
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        #expect(!jwt.contains("="))
        let header = try Self.decode(parts[0])
        #expect(Set(header.keys) == ["alg", "kid", "typ"])
        #expect(header["alg"] as? String == "RS256")
        #expect(header["kid"] as? String == Self.account.privateKeyID)
        #expect(header["typ"] as? String == "JWT")
        let claims = try Self.decode(parts[1])
        #expect(Set(claims.keys) == ["iss", "sub", "scope", "iat", "exp"])
        #expect(claims["iss"] as? String == Self.account.email)
        #expect(claims["sub"] as? String == Self.account.email)
        #expect(claims["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
        #expect((claims["iat"] as? NSNumber)?.int64Value == 1_800_000_000)
        #expect((claims["exp"] as? NSNumber)?.int64Value == 1_800_003_600)
        #expect(expiresAt == 1_800_003_600)
        // RS256 is deterministic: the same header and claims signed by the emulator's
        // independent JWT writer with the same key give the same token, signature included.
        let independent = try Self.account.signedJWT(
            claims: [
                "iss": Self.account.email, "sub": Self.account.email,
                "scope": "https://www.googleapis.com/auth/cloud-platform", "iat": 1_800_000_000, "exp": 1_800_003_600,
            ],
            header: ["alg": "RS256", "kid": Self.account.privateKeyID, "typ": "JWT"])
        #expect(jwt == independent)
    }

    @Test func fetchedTokenLivesUntilItsExpAndNamesTheKeyNotItsMaterial() async throws {
        let source = SelfSignedJWTSource(key: try Self.key(), origin: "service account key file /k.json", now: { Self.issuedAt })
        let token = try await source.fetchToken()
        let lifetime = try #require(token.expiresIn)
        #expect(abs(lifetime.secondsDouble - 3599.75) < 0.001, "\(lifetime)")
        #expect(source.tokenEndpoint == nil)
        #expect(source.source == "service account key file /k.json (service account \(Self.account.email), self-signed JWT)")
        #expect(!String(describing: token).contains("eyJ"))
        // A later call signs a new JWT for its own time.
        let later = SelfSignedJWTSource(
            key: try Self.key(), origin: "k", now: { Self.issuedAt.addingTimeInterval(60) })
        #expect(try await later.fetchToken().value != token.value)
    }

    @Test func switchAcceptsBooleansOnly() throws {
        for (value, expected) in [(nil, true), ("", true), ("true", true), ("1", true), ("false", false), ("0", false), ("FALSE", false)] {
            let environment = value.map { [SelfSignedJWTSource.variable: $0] } ?? [:]
            #expect(try SelfSignedJWTSource.isEnabled(environment: environment) == expected, "\(value ?? "unset")")
        }
        let error = try #require(throws: AuthenticationError.self) {
            _ = try SelfSignedJWTSource.isEnabled(environment: [SelfSignedJWTSource.variable: "no thanks"])
        }
        #expect(error.kind == .configuration)
        #expect(error.description.contains("environment variable \(SelfSignedJWTSource.variable)"))
    }

    @Test func keysSignTheirOwnTokenExceptAsAnImpersonationSourceOrWhenSwitchedOff() throws {
        let transport = AuthHTTPTransport(httpClient: .shared, logger: Logger(label: "test"), clock: .continuous)
        func source(_ environment: [String: String], impersonationSource: Bool) throws -> any AccessTokenSource {
            try AccessTokenProviders.keySource(
                try Self.key(), origin: "k", environment: environment, transport: transport,
                impersonationSource: impersonationSource)
        }
        #expect(try source([:], impersonationSource: false) is SelfSignedJWTSource)
        #expect(try source([:], impersonationSource: true) is ServiceAccountTokenSource)
        #expect(try source([SelfSignedJWTSource.variable: "false"], impersonationSource: false) is ServiceAccountTokenSource)
        #expect(try source([SelfSignedJWTSource.variable: "0"], impersonationSource: true) is ServiceAccountTokenSource)
        // ADC's service account file follows the same rule.
        let file = GoogleCredentialsFile.serviceAccount(try Self.key())
        let adc = try AccessTokenProviders.tokenSource(
            for: file, origin: "adc", environment: [:], transport: transport,
            cached: { CachingAccessTokenProvider(tokenSource: $0, credentialType: "adc", clock: .continuous, logger: Logger(label: "test")) })
        #expect(adc is SelfSignedJWTSource)
    }
}
