import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// `POST /token`: the JWT-bearer grant verifies the RS256 signature and the claims, the
/// refresh-token grant checks the seeded users; refusals in OAuth's JSON format.
@Suite struct TokenEndpointTests {
    @Test func validAssertionIsExchangedForABearerToken() async throws {
        try await AuthHarness.with { harness in
            let answer = try await harness.exchange(try AuthHarness.ci.signedJWT(claims: harness.claims()))
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.header("Content-Type") == "application/json")
            let json = try answer.json()
            #expect((json["access_token"] as? String)?.hasPrefix("ya29.") == true)
            #expect(json["expires_in"] as? Int == 3600)
            #expect(json["token_type"] as? String == "Bearer")
            let stats = await harness.emulator.stats()
            #expect(stats.tokensIssued("jwt-bearer") == 1)
            #expect(stats.count(.oauthToken) == 1)
        }
    }

    @Test func googlesAudienceIsAcceptedAndTokenLifetimeIsConfigurable() async throws {
        try await AuthHarness.with(configuration: EmulatorConfiguration(tokenLifetime: .seconds(30))) { harness in
            var claims = harness.claims()
            claims["aud"] = "https://oauth2.googleapis.com/token"
            let answer = try await harness.exchange(try AuthHarness.ci.signedJWT(claims: claims))
            #expect(answer.status == 200, "\(answer.text)")
            #expect(try answer.json()["expires_in"] as? Int == 30)
        }
    }

    enum Bad: String, CaseIterable {
        case tamperedSignature, tamperedClaims, otherKey, wrongAudience, expired, issuedInTheFuture, longerThanAnHour
        case unknownIssuer, wrongKeyID, noScope, algorithmNone, notAJWT
    }

    @Test(arguments: Bad.allCases)
    func invalidAssertionsAreRefusedWithInvalidGrant(bad: Bad) async throws {
        try await AuthHarness.with { harness in
            let ci = AuthHarness.ci
            var claims = harness.claims()
            let now = Int(Date().timeIntervalSince1970)
            var assertion: String
            var expectedError = "invalid_grant"
            switch bad {
            case .tamperedSignature:
                // Change six base64url characters in the middle of the signature.
                let valid = try ci.signedJWT(claims: claims)
                let signatureStart = valid.index(after: valid.lastIndex(of: ".")!)
                let middle = valid.index(signatureStart, offsetBy: 100)
                let original = valid[middle..<valid.index(middle, offsetBy: 6)]
                assertion = valid.replacingCharacters(
                    in: middle..<valid.index(middle, offsetBy: 6), with: original == "AAAAAA" ? "BBBBBB" : "AAAAAA")
            case .tamperedClaims:
                let parts = try ci.signedJWT(claims: claims).split(separator: ".")
                claims["iss"] = AuthHarness.reader.email
                let other = try ci.signedJWT(claims: claims).split(separator: ".")
                assertion = [parts[0], other[1], parts[2]].joined(separator: ".")
            case .otherKey:
                let impostor = try GeneratedServiceAccount(email: ci.email, privateKeyID: ci.privateKeyID)
                assertion = try impostor.signedJWT(claims: claims)
            case .wrongAudience:
                claims["aud"] = "https://example.com/token"
                assertion = try ci.signedJWT(claims: claims)
            case .expired:
                claims["iat"] = now - 7200
                claims["exp"] = now - 3600
                assertion = try ci.signedJWT(claims: claims)
            case .issuedInTheFuture:
                claims["iat"] = now + 600
                claims["exp"] = now + 1200
                assertion = try ci.signedJWT(claims: claims)
            case .longerThanAnHour:
                claims["exp"] = now + 7200
                assertion = try ci.signedJWT(claims: claims)
            case .unknownIssuer:
                let stranger = try GeneratedServiceAccount(email: "stranger@elsewhere.iam.gserviceaccount.com")
                assertion = try stranger.signedJWT(claims: harness.claims(stranger))
            case .wrongKeyID:
                assertion = try ci.signedJWT(claims: claims, header: ["alg": "RS256", "typ": "JWT", "kid": "not-the-key"])
            case .noScope:
                claims["scope"] = "https://www.googleapis.com/auth/userinfo.email"
                assertion = try ci.signedJWT(claims: claims)
                expectedError = "invalid_scope"
            case .algorithmNone:
                assertion = try ci.signedJWT(claims: claims, header: ["alg": "none", "typ": "JWT"])
            case .notAJWT:
                assertion = "not-a-jwt"
            }
            let answer = try await harness.exchange(assertion)
            #expect(answer.status == 400, "\(answer.text)")
            let json = try answer.json()
            #expect(json["error"] as? String == expectedError)
            #expect((json["error_description"] as? String)?.isEmpty == false)
            #expect(!answer.text.contains("eyJ"), "the answer repeats the assertion")
            let stats = await harness.emulator.stats()
            #expect(stats.tokenRefusals["jwt-bearer"] == 1)
            #expect(stats.tokensIssued() == 0)
        }
    }

    @Test func clockOffsetMakesAFreshAssertionExpired() async throws {
        try await AuthHarness.with(configuration: EmulatorConfiguration(clockOffset: .seconds(7200))) { harness in
            let answer = try await harness.exchange(try AuthHarness.ci.signedJWT(claims: harness.claims()))
            #expect(answer.status == 400)
            #expect((try answer.json()["error_description"] as? String)?.contains("short-lived") == true)
        }
    }

    @Test func configuredAudiencesReplaceTheDefaults() async throws {
        let strict = EmulatorConfiguration(tokenAudiences: ["https://oauth2.googleapis.com/token"])
        try await AuthHarness.with(configuration: strict) { harness in
            let own = try await harness.exchange(try AuthHarness.ci.signedJWT(claims: harness.claims()))
            #expect(own.status == 400)
            #expect(try own.json()["error_description"] as? String == "Invalid JWT: Failed audience check.")
        }
    }

    @Test func refreshTokenGrant() async throws {
        try await AuthHarness.with { harness in
            let user = AuthHarness.user
            let good = try await harness.token([
                ("grant_type", "refresh_token"), ("client_id", user.clientID), ("client_secret", user.clientSecret),
                ("refresh_token", user.refreshToken),
            ])
            #expect(good.status == 200, "\(good.text)")
            #expect((try good.json()["access_token"] as? String)?.hasPrefix("ya29.") == true)
            let wrongSecret = try await harness.token([
                ("grant_type", "refresh_token"), ("client_id", user.clientID), ("client_secret", "nope"),
                ("refresh_token", user.refreshToken),
            ])
            #expect(wrongSecret.status == 401)
            #expect(try wrongSecret.json()["error"] as? String == "invalid_client")
            let revoked = try await harness.token([
                ("grant_type", "refresh_token"), ("client_id", user.clientID), ("client_secret", user.clientSecret),
                ("refresh_token", "1//revoked"),
            ])
            #expect(revoked.status == 400)
            #expect(try revoked.json()["error"] as? String == "invalid_grant")
            let unsupported = try await harness.token([("grant_type", "password")])
            #expect(try unsupported.json()["error"] as? String == "unsupported_grant_type")
            let stats = await harness.emulator.stats()
            #expect(stats.tokens == ["refresh_token": 1])
            #expect(stats.tokenRefusals == ["refresh_token": 2, "unsupported": 1])
        }
    }

    @Test func tokenEndpointCanBeFaulted() async throws {
        let faults = FaultConfiguration(rules: [FaultRule(.error(httpStatus: 503), method: .oauthToken, count: 1)])
        try await AuthHarness.with(configuration: EmulatorConfiguration(faults: faults)) { harness in
            let assertion = try AuthHarness.ci.signedJWT(claims: harness.claims())
            #expect(try await harness.exchange(assertion).status == 503)
            #expect(try await harness.exchange(assertion).status == 200)
            #expect(await harness.emulator.stats().count(.oauthToken) == 2)
        }
    }
}
