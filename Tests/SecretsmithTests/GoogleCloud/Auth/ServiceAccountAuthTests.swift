import Foundation
import Logging
import SecretManagerEmulator
@testable import Secretsmith
import Testing

/// `service_account_file` and `service_account_json` against the emulator with
/// authentication on: self-signed JWTs by default, the JWT-bearer exchange where it is
/// selected; caching, single flight and refresh.
@Suite struct ServiceAccountAuthTests {
    /// Selects the JWT-bearer exchange instead of self-signed JWTs.
    static let exchange = [SelfSignedJWTSource.variable: "false"]

    @Test(arguments: [false, true])
    func keyFileSignsItsOwnTokenOnceAndMakesNoTokenRequest(pkcs1: Bool) async throws {
        try await AuthFixture.with { fixture in
        let path = try fixture.keyFile(pkcs1: pkcs1)
        let manager = try fixture.manager(credentials: "{ type: service_account_file, path: \(path) }")
        for index in 1...50 {
            let value = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index))
            #expect(value.utf8String == "v\(index)-\(AuthFixture.sentinel)")
        }
        let stats = await fixture.stats()
        #expect(stats.tokensIssued() == 0 && stats.tokenRefusals.isEmpty)
        #expect(stats.count(.oauthToken) == 0)
        // Every access carried a JWT the emulator verified against the seeded key.
        #expect(stats.selfSignedJWTs == 50 && stats.selfSignedJWTRefusals == 0)
        #expect(stats.count(.access) == 50)
        #expect(await manager.stats().tokenRefreshes == 1)
        }
    }

    @Test(arguments: [false, true])
    func keyFileTokenIsExchangedOnceWhereTheExchangeIsSelected(pkcs1: Bool) async throws {
        try await AuthFixture.with { fixture in
        let path = try fixture.keyFile(pkcs1: pkcs1)
        let manager = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(path) }", environment: Self.exchange)
        for index in 1...50 {
            let value = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index))
            #expect(value.utf8String == "v\(index)-\(AuthFixture.sentinel)")
        }
        let stats = await fixture.stats()
        #expect(stats.tokensIssued("jwt-bearer") == 1)
        #expect(stats.count(.oauthToken) == 1)
        #expect(stats.selfSignedJWTs == 0)
        #expect(stats.count(.access) == 50)
        }
    }

    @Test func selfSignedJWTIsSignedAgainShortlyBeforeItExpires() async throws {
        // The JWT lives an hour; it is re-signed 3 min 45 s early, at 3375 s on the (test)
        // clock of the token cache.
        try await AuthFixture.with { fixture in
        let manager = try fixture.manager(credentials: "{ type: service_account_file, path: \(try fixture.keyFile()) }")
        _ = try await manager.accessSecretVersion("dev/app/s001")
        fixture.clock.advance(by: .seconds(3374))
        _ = try await manager.accessSecretVersion("dev/app/s002")
        #expect(await manager.stats().tokenRefreshes == 1)
        fixture.clock.advance(by: .seconds(2))
        _ = try await manager.accessSecretVersion("dev/app/s003")
        #expect(await manager.stats().tokenRefreshes == 2)
        let stats = await fixture.stats()
        #expect(stats.selfSignedJWTs == 3 && stats.count(.oauthToken) == 0)
        }
    }

    @Test func refusedSelfSignedJWTIsAPermissionErrorNamingTheKeyFileAndAccount() async throws {
        try await AuthFixture.with { fixture in
        // A key the emulator does not know for this account: the signature cannot verify.
        let impostor = try GeneratedServiceAccount(email: AuthFixture.ci.email, privateKeyID: AuthFixture.ci.privateKeyID)
        let path = try fixture.keyFile(impostor, name: "impostor.json")
        let logs = LogCapture()
        let manager = try fixture.manager(credentials: "{ type: service_account_file, path: \(path) }", logger: logs.logger)
        let error = try await #require(throws: SecretManagerError.self) {
            _ = try await manager.accessSecretVersion("dev/app/db-password")
        }
        #expect(error.code == .unauthenticated)
        #expect(error.kind == .permission)
        #expect(error.description.contains(path), "\(error.description)")
        #expect(error.description.contains(AuthFixture.ci.email))
        #expect(error.description.contains("signature does not verify"))
        #expect(!error.description.contains("eyJ"), "\(error.description)")
        #expect(error.description.leaks.isEmpty, "\(error.description)")
        #expect(logs.text.leaks.isEmpty, "\(logs.text)")
        // Refused, re-signed after the 401, refused again; no token request.
        let stats = await fixture.stats()
        #expect(stats.selfSignedJWTRefusals == 2 && stats.selfSignedJWTs == 0)
        #expect(stats.count(.oauthToken) == 0)
        }
    }

    @Test func invalidSelfSignedJWTSwitchIsAConfigurationError() async throws {
        try await AuthFixture.with { fixture in
        let manager = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(try fixture.keyFile()) }",
            environment: [SelfSignedJWTSource.variable: "sometimes"])
        let error = try await #require(throws: AuthenticationError.self) {
            _ = try await manager.accessSecretVersion("dev/app/db-password")
        }
        #expect(error.kind == .configuration)
        #expect(error.description.contains(SelfSignedJWTSource.variable))
        #expect(await fixture.stats().count(.access) == 0)
        }
    }

    @Test func aTokenExchangeCountsInTheManagersStatsWhicheverCallCausedIt() async throws {
        let fixture = try await AuthFixture.start()
        let path = try fixture.keyFile()
        let manager = try fixture.manager(credentials: "{ type: service_account_file, path: \(path) }")
        // A metadata read (check, lock) is not an access; its exchange counts all the same,
        // because the manager's provider reports to the manager's counters.
        let secret = try manager.secretConfig(for: SecretReference.parse("dev/app/db-password"))
        _ = try await manager.metadata(secret)
        #expect(await manager.stats().tokenRefreshes == 1)
        _ = try await manager.accessSecretVersion("dev/app/db-password")
        let stats = await manager.stats()
        #expect(stats.tokenRefreshes == 1 && stats.tokenRefreshFailures == 0)
        #expect(await fixture.stats().tokensIssued() == 0)
        #expect(await fixture.stats().selfSignedJWTs == 2)
        await fixture.shutdown()
    }

    @Test func keyJSONFromAnEnvironmentVariable() async throws {
        try await AuthFixture.with { fixture in
        let json = AuthFixture.ci.keyFileJSON(tokenURI: fixture.tokenURL)
        let manager = try fixture.manager(
            credentials: "{ type: service_account_json, json_env: SA_KEY }", environment: ["SA_KEY": json])
        #expect(try await manager.accessSecretVersion("dev/app/db-password").utf8String == "pw-\(AuthFixture.sentinel)")
        #expect(await fixture.stats().tokensIssued() == 0)
        #expect(await fixture.stats().selfSignedJWTs == 1)
        let unset = try fixture.manager(credentials: "{ type: service_account_json, json_env: SA_KEY }")
        let error = try await #require(throws: AuthenticationError.self) {
            _ = try await unset.accessSecretVersion("dev/app/db-password")
        }
        #expect(error.kind == .permission)
        #expect(error.description.contains("environment variable SA_KEY"))
        }
    }

    @Test(arguments: [true, false])
    func hundredConcurrentAccessesOnAColdStartMakeOneToken(selfSigned: Bool) async throws {
        try await AuthFixture.with { fixture in
        let manager = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(try fixture.keyFile()) }",
            environment: selfSigned ? [:] : Self.exchange)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 1...100 {
                group.addTask { _ = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index)) }
            }
            try await group.waitForAll()
        }
        let stats = await fixture.stats()
        #expect(stats.count(.oauthToken) == (selfSigned ? 0 : 1))
        #expect(stats.selfSignedJWTs == (selfSigned ? 100 : 0))
        #expect(stats.count(.access) == 100)
        #expect(await manager.stats().tokenRefreshes == 1)
        }
    }

    @Test func shortLivedTokensAreRefreshedAheadOfExpiry() async throws {
        // The emulator issues 10-minute tokens; the client refreshes them 3 min 45 s early,
        // at 375 s on its (test) clock.
        try await AuthFixture.with(
            configuration: EmulatorConfiguration(requireAuthentication: true, tokenLifetime: .seconds(600))) { fixture in
        let manager = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(try fixture.keyFile()) }", environment: Self.exchange)
        for round in 0..<3 {
            for _ in 0..<5 {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
                fixture.clock.advance(by: .seconds(2))  // past the 1 s cache TTL: every access goes upstream
            }
            #expect(await fixture.stats().count(.oauthToken) == round + 1)
            fixture.clock.advance(by: .seconds(366))  // 376 s since this round's token
        }
        #expect(await fixture.stats().count(.access) == 15)
        }
    }

    @Test func tokenTheServerNoLongerAcceptsIsReplacedAfterA401() async throws {
        // The emulator forgets its tokens (a revocation); the client still thinks its token
        // fresh, gets 401, invalidates it and retries once with a new one.
        try await AuthFixture.with { fixture in
        let manager = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(try fixture.keyFile()) }", environment: Self.exchange)
        _ = try await manager.accessSecretVersion("dev/app/s001")
        await fixture.emulator.revokeTokens()
        #expect(try await manager.accessSecretVersion("dev/app/s002").utf8String == "v2-\(AuthFixture.sentinel)")
        let stats = await fixture.stats()
        #expect(stats.count(statusCode: 401) == 1)
        #expect(stats.count(.oauthToken) == 2)
        #expect(stats.count(.access) == 3)
        }
    }

    @Test func refusedAssertionIsAPermissionErrorNamingTheKeyFileAndAccount() async throws {
        try await AuthFixture.with { fixture in
        // A key the emulator does not know for this account: the signature cannot verify.
        let impostor = try GeneratedServiceAccount(email: AuthFixture.ci.email, privateKeyID: AuthFixture.ci.privateKeyID)
        let path = try fixture.keyFile(impostor, name: "impostor.json")
        let logs = LogCapture()
        let manager = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(path) }", environment: Self.exchange, logger: logs.logger)
        let error = try await #require(throws: AuthenticationError.self) {
            _ = try await manager.accessSecretVersion("dev/app/db-password")
        }
        #expect(error.kind == .permission)
        #expect(error.description.contains(path))
        #expect(error.description.contains(AuthFixture.ci.email))
        #expect(error.description.contains("invalid_grant"))
        #expect(error.description.leaks.isEmpty, "\(error.description)")
        #expect(logs.text.leaks.isEmpty, "\(logs.text)")
        #expect(await fixture.stats().tokenRefusals["jwt-bearer"] == 1)
        #expect(await fixture.stats().count(.access) == 0)
        }
    }

    @Test func missingAndBrokenKeyFiles() async throws {
        try await AuthFixture.with { fixture in
        let missing = try fixture.manager(credentials: "{ type: service_account_file, path: /nonexistent/sa.json }")
        let notFound = try await #require(throws: AuthenticationError.self) {
            _ = try await missing.accessSecretVersion("dev/app/db-password")
        }
        #expect(notFound.kind == .permission)
        #expect(notFound.description.contains("/nonexistent/sa.json"))
        let broken = try fixture.write("broken.json", #"{"type": "service_account", "client_email": "x@y"}"#)
        let manager = try fixture.manager(credentials: "{ type: service_account_file, path: \(broken) }")
        let unusable = try await #require(throws: AuthenticationError.self) {
            _ = try await manager.accessSecretVersion("dev/app/db-password")
        }
        #expect(unusable.kind == .configuration)
        #expect(unusable.description.contains("private_key"))
        }
    }

    @Test func tokenEndpointFailuresAreRetriedThenReportedUnavailable() async throws {
        try await AuthFixture.with { fixture in
        let manager = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(try fixture.keyFile()) }", environment: Self.exchange)
        await fixture.faults([FaultRule(.error(httpStatus: 503), method: .oauthToken, count: 2)])
        #expect(try await manager.accessSecretVersion("dev/app/db-password").utf8String == "pw-\(AuthFixture.sentinel)")
        #expect(await fixture.stats().count(.oauthToken) == 3)
        // Always failing: every attempt of the transport's schedule, then 69.
        let second = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(try fixture.keyFile(name: "b.json")) }",
            environment: Self.exchange)
        await fixture.faults([FaultRule(.error(httpStatus: 500), method: .oauthToken)])
        let error = try await #require(throws: AuthenticationError.self) {
            _ = try await second.accessSecretVersion("dev/app/db-password")
        }
        #expect(error.kind == .unavailable)
        #expect(error.description.contains("HTTP 500"))
        #expect(await fixture.stats().count(.oauthToken) == 3 + AuthHTTPTransport.defaultRetry.maxAttempts)
        }
    }

    @Test func permissionDeniedByTheSecretsAccessList() async throws {
        try await AuthFixture.with { fixture in
        let manager = try fixture.manager(credentials: "{ type: service_account_file, path: \(try fixture.keyFile()) }")
        let error = try await #require(throws: SecretManagerError.self) {
            _ = try await manager.accessSecretVersion("dev/app/restricted")
        }
        #expect(error.code == .permissionDenied)
        #expect(error.kind == .permission)
        let allowed = try fixture.manager(
            credentials: "{ type: service_account_file, path: \(try fixture.keyFile(AuthFixture.other, name: "other.json")) }")
        #expect(try await allowed.accessSecretVersion("dev/app/restricted").utf8String == "r-\(AuthFixture.sentinel)")
        }
    }
}
