import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import Testing

/// `external_account` files found by Application Default Credentials, against the
/// emulator's Security Token Service and IAM Credentials: one exchange and one
/// impersonation however many secrets are read, refreshed before expiry, and refusals that
/// name the credentials file but never the subject token.
@Suite struct WorkloadIdentityFederationAuthTests {
    static let audience = "//iam.googleapis.com/projects/424242424242/locations/global/workloadIdentityPools/github/providers/actions"
    static let pool = "projects/424242424242/locations/global/workloadIdentityPools/github"
    static let subject = "repo:acme/app:ref:refs/heads/main"
    static let subjectToken = "eyJhbGciOiJSUzI1NiJ9.gh-oidc-\(AuthFixture.sentinel).signature"
    static let principal = "principal://iam.googleapis.com/\(pool)/subject/\(subject)"

    /// The fixture's seed, plus the provider, the pool allowed to impersonate deployer@,
    /// and the federated principal on the project's access list.
    static func seed() -> EmulatorSeed {
        var seed = AuthFixture.standardSeed()
        seed.serviceAccounts = seed.serviceAccounts.map { account in
            var account = account
            if account.email == AuthFixture.deployer {
                account.tokenCreators = [AuthFixture.hop, "principalSet://iam.googleapis.com/\(pool)/*"]
            }
            return account
        }
        seed.projects[0].access?.append(principal)
        seed.workloadIdentityProviders = [
            .init(
                audience: audience, subjectTokenType: "urn:ietf:params:oauth:token-type:jwt",
                subjectTokens: [.init(token: subjectToken, subject: subject)])
        ]
        return seed
    }

    /// A credentials file as `google-github-actions/auth` writes it, but file-sourced:
    /// the token file is `{"value": TOKEN}`.
    static func credentialsFile(
        _ fixture: AuthFixture, token: String = subjectToken, impersonate: Bool = true, extra: [String: Any] = [:]
    ) throws -> String {
        let tokenFile = try fixture.write("github-oidc.json", #"{"count": 1, "value": "\#(token)"}"#)
        var object: [String: Any] = [
            "type": "external_account", "audience": audience,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "\(fixture.baseURL)/v1/token",
            "credential_source": ["file": tokenFile, "format": ["type": "json", "subject_token_field_name": "value"]],
        ]
        if impersonate {
            object["service_account_impersonation_url"] =
                "\(fixture.baseURL)/v1/projects/-/serviceAccounts/\(AuthFixture.deployer):generateAccessToken"
        }
        object.merge(extra) { $1 }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return try fixture.write("gha-creds-0123456789ab.json", String(decoding: data, as: UTF8.self))
    }

    @Test func oneExchangeAndOneImpersonationServeEveryRead() async throws {
        try await AuthFixture.with(seed: Self.seed()) { fixture in
            let path = try Self.credentialsFile(fixture, extra: ["service_account_impersonation": ["token_lifetime_seconds": 1800]])
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 1...40 {
                    group.addTask { _ = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index)) }
                }
                try await group.waitForAll()
            }
            let stats = await fixture.stats()
            #expect(stats.tokens == ["sts": 1, "generateAccessToken": 1])
            #expect(stats.count(.access) == 40)
            #expect(await fixture.emulator.impersonations() == [
                ImpersonationRecord(
                    caller: Self.principal, target: AuthFixture.deployer, delegates: [],
                    scope: ["https://www.googleapis.com/auth/cloud-platform"], lifetime: "1800s", status: 200)
            ])
        }
    }

    @Test func theActionsURLSourceAsTheActionWritesIt() async throws {
        // GitHub's OIDC endpoint, played by a scripted server: it wants the request token.
        let github = try await ScriptedHTTPServer.start(answers: [
            .init(status: 200, body: #"{"count": 1, "value": "\#(Self.subjectToken)"}"#)
        ])
        defer { Task { try? await github.stop() } }
        try await AuthFixture.with(seed: Self.seed()) { fixture in
            let requestToken = "request-token-\(AuthFixture.sentinel)"
            let path = try Self.credentialsFile(
                fixture,
                extra: [
                    "credential_source": [
                        "url": "http://\(github.host)/idtoken?api-version=2.0&audience=https%3A%2F%2Fiam.googleapis.com%2F",
                        "headers": ["Authorization": "Bearer \(requestToken)"],
                        "format": ["type": "json", "subject_token_field_name": "value"],
                    ]
                ])
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            for index in 1...5 { _ = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index)) }
            #expect(github.received.map(\.authorization) == ["Bearer \(requestToken)"])
            #expect(github.received.first?.uri == "/idtoken?api-version=2.0&audience=https%3A%2F%2Fiam.googleapis.com%2F")
            #expect(await fixture.stats().tokens == ["sts": 1, "generateAccessToken": 1])
        }
    }

    @Test func bothTokensAreRenewedShortlyBeforeTheyExpire() async throws {
        try await AuthFixture.with(seed: Self.seed()) { fixture in
            let path = try Self.credentialsFile(fixture)
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            _ = try await manager.accessSecretVersion("dev/app/s001")
            fixture.clock.advance(by: .seconds(3000))
            _ = try await manager.accessSecretVersion("dev/app/s002")
            #expect(await fixture.stats().tokens == ["sts": 1, "generateAccessToken": 1])
            fixture.clock.advance(by: .seconds(400))  // 3 min 20 s before both expire
            _ = try await manager.accessSecretVersion("dev/app/s003")
            #expect(await fixture.stats().tokens == ["sts": 2, "generateAccessToken": 2])
        }
    }

    @Test func withoutImpersonationTheFederatedTokenReadsDirectly() async throws {
        try await AuthFixture.with(seed: Self.seed()) { fixture in
            let path = try Self.credentialsFile(fixture, impersonate: false)
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            #expect(try await manager.accessSecretVersion("dev/app/db-password").utf8String == "pw-\(AuthFixture.sentinel)")
            #expect(await fixture.stats().tokens == ["sts": 1])
            #expect(await fixture.emulator.impersonations().isEmpty)
        }
    }

    @Test func aRejectedSubjectTokenIsRefusedNamingTheFileNeverTheToken() async throws {
        try await AuthFixture.with(seed: Self.seed()) { fixture in
            let wrong = "eyJhbGciOiJSUzI1NiJ9.wrong-\(AuthFixture.sentinel).signature"
            let path = try Self.credentialsFile(fixture, token: wrong)
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
            }
            #expect(error.kind == .permission)
            #expect(error.description.contains("GOOGLE_APPLICATION_CREDENTIALS file \(path)"), "\(error.description)")
            #expect(error.description.contains("invalid_grant"))
            #expect(!error.description.contains(wrong))
            #expect(error.description.leaks.isEmpty, "\(error.description)")
            let stats = await fixture.stats()
            #expect(stats.tokenRefusals == ["sts": 1])
            #expect(stats.count(.access) == 0)
            #expect(await fixture.emulator.impersonations().isEmpty)
        }
    }

    @Test func executableSourcesAreRefusedUnlessAllowed() async throws {
        try await AuthFixture.with(seed: Self.seed()) { fixture in
            let path = try Self.credentialsFile(
                fixture, extra: ["credential_source": ["executable": ["command": "/bin/echo never-run"]]])
            let manager = try fixture.manager(credentials: "adc", environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
            }
            #expect(error.kind == .configuration)
            #expect(error.description.contains(path))
            #expect(error.description.contains("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1"))
            #expect(await fixture.stats().count(.stsToken) == 0)
        }
    }

    /// A provider that only names a quota project.
    struct QuotaProvider: AccessTokenProvider {
        var source: String { "test" }
        var quotaProject: String? { "file-quota" }
        func accessToken() async throws -> String { "token" }
    }

    @Test func theFilesQuotaProjectIsSentUnlessTheConfigurationNamesOne() async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:1/")
        _ = try await GoogleRESTRequest.addHeaders(
            to: &request, requiresCredentials: true, tokenProvider: QuotaProvider(), quotaProject: nil)
        #expect(request.headers["x-goog-user-project"] == ["file-quota"])
        var configured = HTTPClientRequest(url: "http://127.0.0.1:1/")
        _ = try await GoogleRESTRequest.addHeaders(
            to: &configured, requiresCredentials: true, tokenProvider: QuotaProvider(), quotaProject: "configured")
        #expect(configured.headers["x-goog-user-project"] == ["configured"])

        // The provider of an external_account file carries the file's quota_project_id.
        try await AuthFixture.with(seed: Self.seed()) { fixture in
            let path = try Self.credentialsFile(fixture, extra: ["quota_project_id": "acme-billing"])
            let provider = try AccessTokenProviders.make(
                for: .applicationDefault, environment: ["GOOGLE_APPLICATION_CREDENTIALS": path], httpClient: .shared,
                logger: .init(label: "test"), clock: fixture.clock.clock)
            #expect(provider.quotaProject == "acme-billing")
        }
    }
}
