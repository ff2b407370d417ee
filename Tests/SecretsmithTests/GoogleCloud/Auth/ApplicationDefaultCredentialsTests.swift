import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import Testing

/// Application Default Credentials' file steps against the emulator: a key file or user
/// credentials named by `GOOGLE_APPLICATION_CREDENTIALS`, and the gcloud file.
@Suite struct ApplicationDefaultCredentialsTests {
    @Test func serviceAccountKeyNamedByGoogleApplicationCredentials() async throws {
        try await AuthFixture.with { fixture in
            let manager = try fixture.manager(
                credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": try fixture.keyFile()])
            for index in 1...10 { _ = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index)) }
            // The key signs its own JWT: no token request.
            #expect(await fixture.stats().tokensIssued() == 0)
            #expect(await fixture.stats().selfSignedJWTs == 10)
        }
    }

    @Test func gcloudUserCredentialsUseTheRefreshTokenGrant() async throws {
        try await AuthFixture.with(
            configuration: EmulatorConfiguration(requireAuthentication: true, tokenLifetime: .seconds(600))) { fixture in
            let config = fixture.directory.appendingPathComponent("gcloud").path
            try fixture.userFile(name: "gcloud/application_default_credentials.json")
            let manager = try fixture.manager(credentials: "adc", environment: ["CLOUDSDK_CONFIG": config])
            for index in 1...10 { _ = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index)) }
            #expect(await fixture.stats().tokensIssued("refresh_token") == 1)
            // 600 s tokens are refreshed 225 s early.
            fixture.clock.advance(by: .seconds(376))
            _ = try await manager.accessSecretVersion("dev/app/s011")
            #expect(await fixture.stats().tokensIssued("refresh_token") == 2)
        }
    }

    @Test func homeGcloudFileIsFoundWithoutCloudsdkConfig() throws {
        let found = try ApplicationDefaultCredentials.locate(environment: ["HOME": "/nonexistent-home"])
        guard case .metadataServer(let tried) = found else { Issue.record("found \(found)"); return }
        #expect(tried == [
            "GOOGLE_APPLICATION_CREDENTIALS is unset",
            "there is no gcloud credentials file at /nonexistent-home/.config/gcloud/application_default_credentials.json",
        ])
        #expect(ApplicationDefaultCredentials.gcloudFilePath(environment: ["HOME": "/h", "CLOUDSDK_CONFIG": "/c"])
            == "/c/application_default_credentials.json")
    }

    @Test func revokedRefreshTokenIsRefusedNamingTheFileNotTheToken() async throws {
        try await AuthFixture.with { fixture in
            let path = try fixture.userFile(refreshToken: "1//revoked-\(AuthFixture.sentinel)")
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
            }
            #expect(error.kind == .permission)
            #expect(error.description.contains("GOOGLE_APPLICATION_CREDENTIALS file \(path)"))
            #expect(error.description.contains("invalid_grant"))
            #expect(error.description.leaks.isEmpty, "\(error.description)")
            #expect(await fixture.stats().tokenRefusals["refresh_token"] == 1)
        }
    }

    @Test func missingOrUnsupportedFiles() async throws {
        try await AuthFixture.with { fixture in
            let missing = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/k.json"])
            let notFound = try await #require(throws: AuthenticationError.self) {
                _ = try await missing.accessSecretVersion("dev/app/db-password")
            }
            #expect(notFound.kind == .permission)
            #expect(notFound.description.contains("GOOGLE_APPLICATION_CREDENTIALS file /nonexistent/k.json: the file does not exist"))
            // AWS-sourced workload identity federation is refused with what to do instead.
            let external = try fixture.write(
                "external.json",
                #"""
                {"type": "external_account", "audience": "//iam.googleapis.com/x",
                 "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
                 "credential_source": {"environment_id": "aws1", "region_url": "http://169.254.169.254/latest/meta-data/placement/availability-zone"}}
                """#)
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": external])
            let unsupported = try await #require(throws: AuthenticationError.self) {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
            }
            #expect(unsupported.kind == .configuration)
            #expect(unsupported.description.contains(external))
            #expect(unsupported.description.contains("AWS-sourced workload identity federation"))
            #expect(unsupported.description.contains("not supported"))
        }
    }
}
