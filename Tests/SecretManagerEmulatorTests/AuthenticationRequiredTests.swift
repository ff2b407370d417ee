import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// With authentication on, Secret Manager routes need a token the emulator issued (401
/// UNAUTHENTICATED in Google's format otherwise) and enforce `access` lists (403).
@Suite struct AuthenticationRequiredTests {
    static let path = "/v1/projects/acme/secrets/open/versions/latest:access"

    @Test func routesRequireAValidBearerToken() async throws {
        try await AuthHarness.with { harness in
            for headers in [[], [("Authorization", "Bearer ya29.made-up")], [("Authorization", "Basic Zm9vOmJhcg==")]] {
                let answer = try await harness.send("GET", Self.path, headers: headers)
                #expect(answer.status == 401)
                #expect(answer.errorStatus == "UNAUTHENTICATED")
                #expect(answer.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            }
            let token = try await harness.accessToken()
            let answer = try await harness.send("GET", Self.path, headers: [("Authorization", "Bearer \(token)")])
            #expect(answer.status == 200, "\(answer.text)")
            // Projects may be named by number as well.
            let byNumber = try await harness.send(
                "GET", "/v1/projects/100000000009/secrets/locked/versions/1:access", headers: [("Authorization", "Bearer \(token)")])
            #expect(byNumber.status == 403)
        }
    }

    @Test func accessListsDecideWhoMayRead() async throws {
        try await AuthHarness.with { harness in
            let ci = try await harness.accessToken(AuthHarness.ci)
            let reader = try await harness.accessToken(AuthHarness.reader)
            let locked = "/v1/projects/acme/secrets/locked/versions/latest:access"
            let denied = try await harness.send("GET", locked, headers: [("Authorization", "Bearer \(ci)")])
            #expect(denied.status == 403)
            #expect(denied.errorStatus == "PERMISSION_DENIED")
            #expect(try await harness.send("GET", locked, headers: [("Authorization", "Bearer \(reader)")]).status == 200)
            // reader@ is not on the project's list, so the secret without its own list is closed to it.
            #expect(try await harness.send("GET", Self.path, headers: [("Authorization", "Bearer \(reader)")]).status == 403)
        }
    }

    @Test func expiredTokensAreRefused() async throws {
        try await AuthHarness.with(configuration: EmulatorConfiguration(requireAuthentication: true, tokenLifetime: .seconds(1))) { harness in
            let answer = try await harness.exchange(try AuthHarness.ci.signedJWT(claims: harness.claims()))
            #expect(try answer.json()["expires_in"] as? Int == 1)
            let token = try #require(try answer.json()["access_token"] as? String)
            // Sleeping past the lifetime is the point here (not a timing assertion).
            try await Task.sleep(for: .milliseconds(1500))
            let expired = try await harness.send("GET", Self.path, headers: [("Authorization", "Bearer \(token)")])
            #expect(expired.status == 401)
            #expect(expired.errorStatus == "UNAUTHENTICATED")
        }
    }

    @Test func revokedTokensAreRefused() async throws {
        try await AuthHarness.with { harness in
            let token = try await harness.accessToken()
            #expect(try await harness.send("GET", Self.path, headers: [("Authorization", "Bearer \(token)")]).status == 200)
            let revoked = try await harness.send("POST", "/_emulator/revoke-tokens")
            #expect(revoked.status == 200)
            #expect(try await harness.send("GET", Self.path, headers: [("Authorization", "Bearer \(token)")]).status == 401)
        }
    }

    @Test func withoutAuthenticationNoTokenIsNeeded() async throws {
        try await AuthHarness.with(configuration: EmulatorConfiguration()) { harness in
            let answer = try await harness.send("GET", "/v1/projects/acme/secrets/locked/versions/latest:access")
            #expect(answer.status == 200)
        }
    }
}
