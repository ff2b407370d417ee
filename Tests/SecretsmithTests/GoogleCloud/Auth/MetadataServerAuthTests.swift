import Foundation
import Logging
import SecretManagerEmulator
import SecretsmithTestSupport
@testable import Secretsmith
import Testing

/// `metadata` and ADC's last step against the emulator's metadata server endpoints.
@Suite struct MetadataServerAuthTests {
    @Test func metadataTokenIsObtainedOnceAndUsed() async throws {
        try await AuthFixture.with { fixture in
            let manager = try fixture.manager(credentials: "metadata", environment: ["GCE_METADATA_HOST": "127.0.0.1:\(fixture.port)"])
            for index in 1...20 {
                _ = try await manager.accessSecretVersion(String(format: "dev/app/s%03d", index))
            }
            let stats = await fixture.stats()
            #expect(stats.tokensIssued("metadata") == 1)
            #expect(stats.count(.metadataPing) == 1)
            #expect(stats.count(.access) == 20)
        }
    }

    @Test func metadataServerAnswering503TwiceThen200Succeeds() async throws {
        try await AuthFixture.with { fixture in
            await fixture.faults([FaultRule(.error(httpStatus: 503), method: .metadataToken, count: 2)])
            let manager = try fixture.manager(credentials: "adc", environment: ["GCE_METADATA_HOST": "127.0.0.1:\(fixture.port)"])
            #expect(try await manager.accessSecretVersion("dev/app/db-password").utf8String == "pw-\(AuthFixture.sentinel)")
            let stats = await fixture.stats()
            #expect(stats.count(.metadataToken) == 3)
            #expect(stats.tokensIssued("metadata") == 1)
        }
    }

    @Test func absentMetadataServerFailsListingWhatADCTried() async throws {
        try await AuthFixture.with { fixture in
            let closed = try ClosedPort()
            let port = closed.port
            let manager = try fixture.manager(
                credentials: "adc", environment: ["GCE_METADATA_HOST": "127.0.0.1:\(port)", "GCE_METADATA_TIMEOUT": ""])
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
            }
            #expect(error.kind == .permission)
            let home = fixture.directory.appendingPathComponent("home").path
            #expect(error.description.contains("Application Default Credentials"))
            #expect(error.description.contains("GOOGLE_APPLICATION_CREDENTIALS is unset"))
            #expect(error.description.contains("no gcloud credentials file at \(home)/.config/gcloud/application_default_credentials.json"))
            // The steps read as sentences, and a refused connection is said as Secret Manager's is.
            #expect(
                error.description.contains(
                    "no credentials found. GOOGLE_APPLICATION_CREDENTIALS is unset. There is no gcloud credentials file at "),
                "\(error.description)")
            #expect(
                error.description.contains(
                    "Nothing is listening at 127.0.0.1:\(port), where the metadata server would answer (connection refused). Run "),
                "\(error.description)")
            #expect(!error.description.contains("errno"), "\(error.description)")
            #expect(!error.description.contains("tried "), "\(error.description)")
            // The probe's deadline is what bounds the wait on a laptop: short by construction.
            #expect(MetadataServerClient.defaultProbeTimeout <= .seconds(1))
            #expect(MetadataServerClient(environment: [:], transport: Self.transport).probeTimeout == .seconds(1))
            #expect(MetadataServerClient(environment: ["GCE_METADATA_TIMEOUT": "2.5"], transport: Self.transport).probeTimeout == .milliseconds(2500))
            #expect(await fixture.stats().count(.access) == 0)
            withExtendedLifetime(closed) {}
        }
    }

    @Test func metadataTypeNamesTheServerWhenAbsent() async throws {
        try await AuthFixture.with { fixture in
            let closed = try ClosedPort()
            let port = closed.port
            let manager = try fixture.manager(
                credentials: "metadata", environment: ["GCE_METADATA_HOST": "127.0.0.1:\(port)", "GCE_METADATA_TIMEOUT": ""])
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await manager.accessSecretVersion("dev/app/db-password")
            }
            #expect(error.description.hasPrefix("Credentials from metadata server at 127.0.0.1:\(port):"))
            #expect(
                error.description.hasSuffix(
                    ": nothing is listening at 127.0.0.1:\(port), where the metadata server would answer (connection refused)."),
                "\(error.description)")
            #expect(!error.description.contains("GOOGLE_APPLICATION_CREDENTIALS"))
            withExtendedLifetime(closed) {}
        }
    }

    @Test func projectIDDiscovery() async throws {
        try await AuthFixture.with { fixture in
            let metadataHost = ["GCE_METADATA_HOST": "127.0.0.1:\(fixture.port)", "HOME": "/nonexistent", "GCE_METADATA_TIMEOUT": "10"]
            let logger = Logger(label: "test")
            func discover(_ credentials: CredentialsConfiguration, _ environment: [String: String]) async throws -> (String, String) {
                let found = try await ProjectIDDiscovery.discover(
                    credentials: credentials, environment: environment, httpClient: fixture.httpClient, logger: logger)
                return (found.projectID, found.origin)
            }
            let fromVariable = try await discover(.metadata, metadataHost.merging(["GOOGLE_CLOUD_PROJECT": "from-env"]) { $1 })
            #expect(fromVariable == ("from-env", "GOOGLE_CLOUD_PROJECT"))
            let path = try fixture.keyFile()
            let fromKey = try await discover(.serviceAccountFile(path: path), [:])
            #expect(fromKey == (AuthFixture.project, "service account key file \(path)"))
            let fromADCKey = try await discover(.applicationDefault, ["GOOGLE_APPLICATION_CREDENTIALS": path])
            #expect(fromADCKey.0 == AuthFixture.project)
            let fromMetadata = try await discover(.applicationDefault, metadataHost)
            #expect(fromMetadata == (AuthFixture.project, "metadata server at 127.0.0.1:\(fixture.port)"))
            let error = try await #require(throws: AuthenticationError.self) {
                _ = try await discover(.accessTokenEnvironment(variable: "TOKEN"), [:])
            }
            #expect(error.description.contains("GOOGLE_CLOUD_PROJECT is unset"))
        }
    }

    static let transport = AuthHTTPTransport(httpClient: .shared, logger: Logger(label: "test"), clock: .continuous)
}
