import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import Testing

/// `impersonate` (and ADC's `impersonated_service_account`) against the emulator's IAM
/// Credentials endpoint.
@Suite struct ImpersonationAuthTests {
    func credentials(_ fixture: AuthFixture, delegates: [String], lifetime: String = "30m") throws -> String {
        """
        { type: impersonate, target_service_account: \(AuthFixture.deployer), \
        delegates: [\(delegates.joined(separator: ", "))], lifetime: \(lifetime), \
        source: { type: service_account_file, path: \(try fixture.keyFile()) } }
        """
    }

    @Test func delegateChainReachesIAMCredentialsAsGoogleDefinesIt() async throws {
        try await AuthFixture.with { fixture in
            let manager = try fixture.manager(
                credentials: try credentials(fixture, delegates: [AuthFixture.hop]),
                environment: ["SECRETSMITH_IAM_CREDENTIALS_ENDPOINT": fixture.baseURL])
            for index in 1...20 { _ = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index)) }
            let records = await fixture.emulator.impersonations()
            #expect(records == [
                ImpersonationRecord(
                    caller: AuthFixture.ci.email, target: AuthFixture.deployer,
                    delegates: ["projects/-/serviceAccounts/\(AuthFixture.hop)"],
                    scope: ["https://www.googleapis.com/auth/cloud-platform"], lifetime: "1800s", status: 200)
            ])
            let stats = await fixture.stats()
            #expect(stats.tokensIssued("jwt-bearer") == 1)
            #expect(stats.tokensIssued("generateAccessToken") == 1)
            #expect(stats.count(.access) == 20)
        }
    }

    @Test func impersonatedTokenIsRenewedShortlyBeforeExpireTime() async throws {
        try await AuthFixture.with { fixture in
            let manager = try fixture.manager(
                credentials: try credentials(fixture, delegates: [AuthFixture.hop], lifetime: "30m"),
                environment: ["SECRETSMITH_IAM_CREDENTIALS_ENDPOINT": fixture.baseURL])
            _ = try await manager.accessSecretVersion("dev/app/s001")
            fixture.clock.advance(by: .seconds(1800 - 300))
            _ = try await manager.accessSecretVersion("dev/app/s002")
            #expect(await fixture.emulator.impersonations().count == 1)
            fixture.clock.advance(by: .seconds(90))  // 3 min 30 s before expireTime
            _ = try await manager.accessSecretVersion("dev/app/s003")
            #expect(await fixture.emulator.impersonations().count == 2)
        }
    }

    @Test func brokenChainIsPermissionDeniedNamingTarget() async throws {
        try await AuthFixture.with { fixture in
            // Without the delegate, ci@ is not a token creator of deployer@.
            let manager = try fixture.manager(
                credentials: try credentials(fixture, delegates: []),
                environment: ["SECRETSMITH_IAM_CREDENTIALS_ENDPOINT": fixture.baseURL])
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
            }
            #expect(error.kind == .permission)
            #expect(error.description.contains("impersonated service account \(AuthFixture.deployer)"))
            #expect(error.description.contains("PERMISSION_DENIED"))
            #expect(error.description.leaks.isEmpty, "\(error.description)")
            #expect(await fixture.emulator.impersonations().first?.status == 403)
        }
    }

    @Test func adcImpersonatedServiceAccountFile() async throws {
        try await AuthFixture.with { fixture in
            let keyObject = try JSONSerialization.jsonObject(
                with: Data(AuthFixture.ci.keyFileJSON(tokenURI: fixture.tokenURL).utf8))
            let file: [String: Any] = [
                "type": "impersonated_service_account",
                "service_account_impersonation_url":
                    "\(fixture.baseURL)/v1/projects/-/serviceAccounts/\(AuthFixture.deployer):generateAccessToken",
                "delegates": [AuthFixture.hop],
                "source_credentials": keyObject,
            ]
            let path = try fixture.write("impersonated.json", String(decoding: try JSONSerialization.data(withJSONObject: file), as: UTF8.self))
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            #expect(try await manager.accessSecretVersion("dev/app/db-password").utf8String == "pw-\(AuthFixture.sentinel)")
            let record = try #require(await fixture.emulator.impersonations().first)
            #expect(record.delegates == ["projects/-/serviceAccounts/\(AuthFixture.hop)"])
            #expect(record.lifetime == "3600s")
        }
    }
}
