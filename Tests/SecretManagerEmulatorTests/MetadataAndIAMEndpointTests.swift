import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// The metadata server endpoints and IAM Credentials `generateAccessToken`.
@Suite struct MetadataAndIAMEndpointTests {
    static let flavor = ("Metadata-Flavor", "Google")

    @Test func metadataRequiresTheFlavorHeaderAndAnswersWithIt() async throws {
        try await AuthHarness.with { harness in
            let path = "/computeMetadata/v1/instance/service-accounts/default/token"
            let refused = try await harness.send("GET", path)
            #expect(refused.status == 403)
            #expect(refused.header("Metadata-Flavor") == "Google")
            let token = try await harness.send("GET", path, headers: [Self.flavor])
            #expect(token.status == 200)
            #expect(token.header("Metadata-Flavor") == "Google")
            #expect(token.header("Content-Type") == "application/json")
            #expect((try token.json()["access_token"] as? String)?.hasPrefix("ya29.") == true)
            #expect(try token.json()["token_type"] as? String == "Bearer")
            let project = try await harness.send("GET", "/computeMetadata/v1/project/project-id", headers: [Self.flavor])
            #expect(project.text == "acme")
            let ping = try await harness.send("GET", "/", headers: [Self.flavor])
            #expect(ping.status == 200)
            #expect(ping.header("Metadata-Flavor") == "Google")
            // Without the header, `/` is still the front end's HTML 404.
            #expect(try await harness.send("GET", "/").status == 404)
            let stats = await harness.emulator.stats()
            #expect(stats.tokens == ["metadata": 1])
            #expect(stats.count(.metadataToken) == 2)
        }
    }

    @Test func metadataTokenIsAcceptedForTheMetadataAccount() async throws {
        try await AuthHarness.with { harness in
            let answer = try await harness.send(
                "GET", "/computeMetadata/v1/instance/service-accounts/default/token", headers: [Self.flavor])
            let token = try #require(try answer.json()["access_token"] as? String)
            let open = try await harness.send(
                "GET", "/v1/projects/acme/secrets/open/versions/latest:access", headers: [("Authorization", "Bearer \(token)")])
            #expect(open.status == 200)
        }
    }

    @Test func generateAccessTokenFollowsTheDelegateChainAndRecordsTheRequest() async throws {
        try await AuthHarness.with { harness in
            let token = try await harness.accessToken()
            let body = #"{"delegates":["projects/-/serviceAccounts/\#(AuthHarness.hop)"],"scope":["\#(AuthHarness.scope)"],"lifetime":"1200s"}"#
            let path = "/v1/projects/-/serviceAccounts/\(AuthHarness.deployer):generateAccessToken"
            let answer = try await harness.send(
                "POST", path, headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: body)
            #expect(answer.status == 200, "\(answer.text)")
            let json = try answer.json()
            let minted = try #require(json["accessToken"] as? String)
            let expireTime = try #require(json["expireTime"] as? String)
            let formatter = ISO8601DateFormatter()
            let expiry = try #require(formatter.date(from: expireTime))
            #expect(abs(expiry.timeIntervalSinceNow - 1200) < 30)
            #expect(await harness.emulator.impersonations() == [
                ImpersonationRecord(
                    caller: AuthHarness.ci.email, target: AuthHarness.deployer,
                    delegates: ["projects/-/serviceAccounts/\(AuthHarness.hop)"], scope: [AuthHarness.scope],
                    lifetime: "1200s", status: 200)
            ])
            // The minted token acts as deployer@, which may read `open`.
            let open = try await harness.send(
                "GET", "/v1/projects/acme/secrets/open/versions/latest:access", headers: [("Authorization", "Bearer \(minted)")])
            #expect(open.status == 200)
            // The admin endpoint shows the same record.
            let admin = try await harness.send("GET", "/_emulator/impersonations")
            #expect(admin.text.contains("\"lifetime\":\"1200s\""))
        }
    }

    @Test func generateAccessTokenRefusals() async throws {
        try await AuthHarness.with { harness in
            let token = try await harness.accessToken()
            let body = #"{"scope":["\#(AuthHarness.scope)"],"lifetime":"3600s"}"#
            func call(_ target: String, authorization: String?, body: String = body) async throws -> EmulatorHarness.Answer {
                var headers = [("Content-Type", "application/json")]
                if let authorization { headers.append(("Authorization", authorization)) }
                return try await harness.send(
                    "POST", "/v1/projects/-/serviceAccounts/\(target):generateAccessToken", headers: headers, body: body)
            }
            let anonymous = try await call(AuthHarness.deployer, authorization: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.errorStatus == "UNAUTHENTICATED")
            let skipped = try await call(AuthHarness.deployer, authorization: "Bearer \(token)")  // ci@ is not its creator
            #expect(skipped.status == 403)
            #expect(skipped.errorStatus == "PERMISSION_DENIED")
            let unknown = try await call("nobody@acme.iam.gserviceaccount.com", authorization: "Bearer \(token)")
            #expect(unknown.status == 404)
            let noScope = try await call(AuthHarness.hop, authorization: "Bearer \(token)", body: "{}")
            #expect(noScope.status == 400)
            let direct = try await call(AuthHarness.hop, authorization: "Bearer \(token)")
            #expect(direct.status == 200)
            let statuses = await harness.emulator.impersonations().map(\.status)
            #expect(statuses == [401, 403, 404, 400, 200])
            let stats = await harness.emulator.stats()
            #expect(stats.tokens["generateAccessToken"] == 1)
            #expect(stats.tokenRefusals["generateAccessToken"] == 4)
        }
    }
}
