import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// With authentication on, a service account's self-signed JWT is accepted as the bearer
/// token where it verifies against the seeded public key, and refused with 401
/// UNAUTHENTICATED naming the failed check otherwise; no token request is made.
@Suite struct SelfSignedJWTTests {
    static let path = "/v1/projects/acme/secrets/open/versions/latest:access"
    static let scope = "https://www.googleapis.com/auth/cloud-platform"

    /// Claims as Google's libraries send them: `iss` = `sub`, `scope`, an hour's lifetime.
    static func claims(
        _ account: GeneratedServiceAccount = AuthHarness.ci, issuedAt: Date = Date()
    ) -> [String: any Sendable] {
        let iat = Int(issuedAt.timeIntervalSince1970)
        return ["iss": account.email, "sub": account.email, "scope": scope, "iat": iat, "exp": iat + 3600]
    }

    func send(_ harness: AuthHarness, _ jwt: String, path: String = SelfSignedJWTTests.path) async throws
        -> EmulatorHarness.Answer
    {
        try await harness.send("GET", path, headers: [("Authorization", "Bearer \(jwt)")])
    }

    func message(_ answer: EmulatorHarness.Answer) throws -> String {
        let error = try answer.json()["error"] as? [String: Any]
        return error?["message"] as? String ?? ""
    }

    @Test func scopeOrAudienceJWTIsAcceptedWithoutATokenRequest() async throws {
        try await AuthHarness.with { harness in
            var byAudience = Self.claims()
            byAudience["scope"] = nil
            var byOwnURL = byAudience
            byAudience["aud"] = "https://secretmanager.googleapis.com/"
            byOwnURL["aud"] = "http://127.0.0.1:\(harness.port)/"
            for claims in [Self.claims(), byAudience, byOwnURL] {
                let answer = try await send(harness, try AuthHarness.ci.signedJWT(claims: claims))
                #expect(answer.status == 200, "\(answer.text)")
            }
            // Without a kid the key is found by iss.
            let noKid = try AuthHarness.ci.signedJWT(claims: Self.claims(), header: ["alg": "RS256", "typ": "JWT"])
            #expect(try await send(harness, noKid).status == 200)
            let stats = await harness.emulator.stats()
            #expect(stats.selfSignedJWTs == 4 && stats.selfSignedJWTRefusals == 0)
            #expect(stats.tokensIssued() == 0)
            #expect(stats.count(.oauthToken) == 0)
        }
    }

    @Test func accessListsApplyToTheJWTsAccount() async throws {
        try await AuthHarness.with { harness in
            let locked = "/v1/projects/acme/secrets/locked/versions/latest:access"
            let ci = try AuthHarness.ci.signedJWT(claims: Self.claims(AuthHarness.ci))
            let reader = try AuthHarness.reader.signedJWT(claims: Self.claims(AuthHarness.reader))
            #expect(try await send(harness, ci, path: locked).status == 403)
            #expect(try await send(harness, reader, path: locked).status == 200)
        }
    }

    enum Defect: String, CaseIterable {
        case forgedSignature, otherAccountsKid, unknownAccount, subjectDiffers, expired, issuedInTheFuture
        case tooLong, noTimes, wrongAudience, wrongScope, audienceAndScope, neither, notRS256

        var reason: String {
            switch self {
            case .forgedSignature: "signature does not verify with the public key of service account \(AuthHarness.ci.email)"
            case .otherAccountsKid: "iss must be \(AuthHarness.reader.email)"
            case .unknownAccount: "names a service account"
            case .subjectDiffers: "sub must be \(AuthHarness.ci.email)"
            case .expired: "has expired"
            case .issuedInTheFuture: "iat is in the future"
            case .tooLong: "at most an hour"
            case .noTimes: "numeric iat and exp"
            case .wrongAudience: "aud is not one of"
            case .wrongScope: "scope does not include"
            case .audienceAndScope: "both an aud and a scope"
            case .neither: "neither an aud nor a scope"
            case .notRS256: "RS256"
            }
        }
    }

    @Test(arguments: Defect.allCases)
    func invalidJWTIsRefusedWith401NamingWhy(defect: Defect) async throws {
        try await AuthHarness.with { harness in
            var claims = Self.claims()
            var signer = AuthHarness.ci
            var header: [String: any Sendable]? = nil
            let now = Int(Date().timeIntervalSince1970)
            switch defect {
            case .forgedSignature:
                signer = try GeneratedServiceAccount(email: AuthHarness.ci.email, privateKeyID: AuthHarness.ci.privateKeyID)
            case .otherAccountsKid:
                // Signed by reader@'s key (its kid), claiming to be ci@.
                signer = AuthHarness.reader
            case .unknownAccount:
                let stranger = try GeneratedServiceAccount(email: "stranger@acme.iam.gserviceaccount.com")
                signer = stranger
                claims = Self.claims(stranger)
            case .subjectDiffers: claims["sub"] = "someone@example.com"
            case .expired:
                claims["iat"] = now - 3600 - 120
                claims["exp"] = now - 120
            case .issuedInTheFuture:
                claims["iat"] = now + 600
                claims["exp"] = now + 1200
            case .tooLong: claims["exp"] = now + 7200
            case .noTimes:
                claims["iat"] = nil
                claims["exp"] = nil
            case .wrongAudience:
                claims["scope"] = nil
                claims["aud"] = "https://storage.googleapis.com/"
            case .wrongScope: claims["scope"] = "https://www.googleapis.com/auth/devstorage.read_only"
            case .audienceAndScope: claims["aud"] = "https://secretmanager.googleapis.com/"
            case .neither: claims["scope"] = nil
            case .notRS256: header = ["alg": "HS256", "typ": "JWT", "kid": AuthHarness.ci.privateKeyID]
            }
            let jwt = try signer.signedJWT(claims: claims, header: header)
            let answer = try await send(harness, jwt)
            #expect(answer.status == 401, "\(answer.text)")
            #expect(answer.errorStatus == "UNAUTHENTICATED")
            #expect(answer.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            let message = try message(answer)
            #expect(message.hasPrefix("Request had invalid authentication credentials: "), "\(message)")
            #expect(message.contains(defect.reason), "\(message)")
            // Neither the token nor any part of it is echoed.
            for part in jwt.split(separator: ".") { #expect(!answer.text.contains(part)) }
            #expect(!answer.text.contains("eyJ"))
            let stats = await harness.emulator.stats()
            #expect(stats.selfSignedJWTRefusals == 1 && stats.selfSignedJWTs == 0)
            #expect(stats.count(.access) == 1)
        }
    }

    @Test func aMalformedJWTAndAnUnknownAccessTokenAreRefusedAlike() async throws {
        try await AuthHarness.with { harness in
            let malformed = try await send(harness, "not.a.jwt")
            #expect(malformed.status == 401)
            #expect(try message(malformed).contains("neither an access token the emulator issued nor a JWT"))
            let unknown = try await send(harness, "ya29.made-up")
            #expect(unknown.status == 401)
            #expect(unknown.errorStatus == "UNAUTHENTICATED")
            let stats = await harness.emulator.stats()
            #expect(stats.selfSignedJWTRefusals == 1)
        }
    }

    @Test func issuedTokensStillWorkAndRevocationLeavesJWTsValid() async throws {
        try await AuthHarness.with { harness in
            let token = try await harness.accessToken()
            #expect(try await send(harness, token).status == 200)
            let jwt = try AuthHarness.ci.signedJWT(claims: Self.claims())
            await harness.emulator.revokeTokens()
            #expect(try await send(harness, token).status == 401)
            #expect(try await send(harness, jwt).status == 200)
            let stats = await harness.emulator.stats()
            #expect(stats.tokensIssued("jwt-bearer") == 1)
            #expect(stats.selfSignedJWTs == 1)
        }
    }

    @Test func generateAccessTokenAcceptsTheCallersSelfSignedJWT() async throws {
        try await AuthHarness.with { harness in
            var byAudience = Self.claims()
            byAudience["scope"] = nil
            byAudience["aud"] = "https://iamcredentials.googleapis.com/"
            for claims in [Self.claims(), byAudience] {
                let jwt = try AuthHarness.ci.signedJWT(claims: claims)
                let answer = try await harness.send(
                    "POST", "/v1/projects/-/serviceAccounts/\(AuthHarness.hop):generateAccessToken",
                    headers: [("Authorization", "Bearer \(jwt)"), ("Content-Type", "application/json")],
                    body: #"{"scope": ["https://www.googleapis.com/auth/cloud-platform"]}"#)
                #expect(answer.status == 200, "\(answer.text)")
            }
            var forged = Self.claims()
            forged["sub"] = AuthHarness.hop
            let refused = try await harness.send(
                "POST", "/v1/projects/-/serviceAccounts/\(AuthHarness.hop):generateAccessToken",
                headers: [("Authorization", "Bearer \(try AuthHarness.ci.signedJWT(claims: forged))")],
                body: #"{"scope": ["https://www.googleapis.com/auth/cloud-platform"]}"#)
            #expect(refused.status == 401)
            #expect(try message(refused).contains("sub must be"))
            let stats = await harness.emulator.stats()
            #expect(stats.selfSignedJWTs == 2 && stats.selfSignedJWTRefusals == 1)
            #expect(stats.tokensIssued("generateAccessToken") == 2)
            #expect(await harness.emulator.impersonations().map(\.caller) == [AuthHarness.ci.email, AuthHarness.ci.email, nil])
        }
    }
}
