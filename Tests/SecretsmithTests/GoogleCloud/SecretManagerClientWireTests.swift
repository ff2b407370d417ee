import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// The REST client against the emulator over loopback: the wire format, not a stub.
@Suite struct SecretManagerClientWireTests {
    static let sentinel = EmulatorFixture.sentinel
    /// Far above any answer's time, so only a hang reaches it, also when the whole suite
    /// loads the machine (5 s was once too little for every test of this suite).
    let timeout = Duration.seconds(60)

    @Test func accessByNumberLatestAndAliasParsesTheVersionFromTheName() async throws {
        try await withEmulator { fixture in
            let client = fixture.client()
            let byNumber = try await client.accessSecretVersion(
                name: "projects/acme-app-dev/secrets/db-password/versions/1", timeout: timeout)
            #expect(byNumber.bytes == Array("pw1-\(Self.sentinel)".utf8))
            #expect(byNumber.version == 1)
            let alias = try await client.accessSecretVersion(
                name: "projects/acme-app-dev/secrets/api-key/versions/current", timeout: timeout)
            #expect(alias.version == 1)
            await #expect(throws: SecretManagerError.self) {
                // latest is version 3, which is DISABLED: latest does not fall back to 2.
                _ = try await client.accessSecretVersion(
                    name: "projects/acme-app-dev/secrets/db-password/versions/latest", timeout: timeout)
            }
        }
    }

    @Test func binaryPayloadsArriveByteForByte() async throws {
        try await withEmulator { fixture in
            let value = try await fixture.client().accessSecretVersion(
                name: "projects/acme-app-dev/secrets/binary/versions/latest", timeout: timeout)
            #expect(value.bytes == [0, 0xFF, 0xEF, 0xBB, 0xBF, 10])
        }
    }

    @Test func regionalPathsWork() async throws {
        try await withEmulator { fixture in
            let value = try await fixture.client().accessSecretVersion(
                name: "projects/acme-app-dev/locations/europe-west1/secrets/regional/versions/latest", timeout: timeout)
            #expect(value.bytes == Array("eu-\(Self.sentinel)".utf8))
        }
    }

    @Test("errors map to Google's canonical codes and exit-code kinds", arguments: [
        ("projects/acme-app-dev/secrets/nope/versions/latest", SecretManagerError.Code.notFound, FailureKind.notFound),
        ("projects/acme-app-dev/secrets/db-password/versions/3", .failedPrecondition, .notFound),
        ("projects/acme-app-dev/secrets/db-password/versions/99", .notFound, .notFound),
    ])
    func errorsMap(name: String, code: SecretManagerError.Code, kind: FailureKind) async throws {
        try await withEmulator { fixture in
            do {
                _ = try await fixture.client().accessSecretVersion(name: name, timeout: timeout)
                Issue.record("expected \(code)")
            } catch let error as SecretManagerError {
                #expect(error.code == code)
                #expect(error.kind == kind)
                #expect(error.description.contains(name))
                #expect(!error.description.contains(Self.sentinel))
            }
        }
    }

    @Test func disabledVersionErrorNamesTheState() async throws {
        try await withEmulator { fixture in
            let error = await #expect(throws: SecretManagerError.self) {
                _ = try await fixture.client().accessSecretVersion(
                    name: "projects/acme-app-dev/secrets/db-password/versions/latest", timeout: timeout)
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.description.contains("DISABLED") == true)
        }
    }

    @Test func anHTMLErrorPageIsMappedWithoutJSON() async throws {
        try await withEmulator { fixture in
            // A path the front end does not know: the emulator answers an HTML 404 like Google's.
            let error = await #expect(throws: SecretManagerError.self) {
                _ = try await fixture.client().accessSecretVersion(name: "not/a/resource", timeout: timeout)
            }
            #expect(error?.httpStatus == 404)
            #expect(error?.description.contains("not Google's JSON error format") == true)
        }
    }

    @Test func aWrongChecksumFailsTheRead() async throws {
        try await withEmulator { fixture in
            await fixture.faults([FaultRule(.wrongChecksum)])
            let error = await #expect(throws: SecretManagerError.self) {
                _ = try await fixture.client().accessSecretVersion(
                    name: "projects/acme-app-dev/secrets/api-key/versions/1", timeout: timeout)
            }
            #expect(error?.code == .checksumMismatch)
            #expect(error?.isRetryable == true)
        }
    }

    @Test func quotaErrorsCarryRetryAfter() async throws {
        try await withEmulator { fixture in
            await fixture.faults([FaultRule(.resourceExhausted(retryAfterSeconds: 7))])
            let error = await #expect(throws: SecretManagerError.self) {
                _ = try await fixture.client().accessSecretVersion(
                    name: "projects/acme-app-dev/secrets/api-key/versions/1", timeout: timeout)
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.retryAfter == .seconds(7))
        }
    }

    @Test func aStallLongerThanTheTimeoutIsADeadlineError() async throws {
        try await withEmulator { fixture in
            // The stall outlasts the bound below: a client that waited for the answer fails it.
            await fixture.faults([FaultRule(.stall(seconds: 60))])
            let start = ContinuousClock.now
            let error = await #expect(throws: SecretManagerError.self) {
                _ = try await fixture.client().accessSecretVersion(
                    name: "projects/acme-app-dev/secrets/api-key/versions/1", timeout: .milliseconds(200))
            }
            let elapsed = ContinuousClock.now - start
            #expect(error?.code == .deadlineExceeded)
            // A correctness bound with room for a loaded machine, far below the stall.
            #expect(elapsed < .seconds(30), "returned after \(elapsed)")
        }
    }

    @Test func getVersionReturnsMetadataWithoutThePayload() async throws {
        try await withEmulator { fixture in
            let metadata = try await fixture.client().getSecretVersion(
                name: "projects/acme-app-dev/secrets/db-password/versions/3", timeout: timeout)
            #expect(metadata.state == .disabled)
            #expect(metadata.versionNumber == 3)
            #expect(metadata.name == "projects/424242424242/secrets/db-password/versions/3")
            #expect(await fixture.accessCalls() == 0)
        }
    }
}
