import AsyncHTTPClient
import Foundation
import PubSubEmulatorHarness
import Synchronization
import Testing

/// The test harness itself: a missing emulator fails under CI rather than skipping, and
/// the emulator is stopped whatever the body does.
@Suite(.serialized) struct PubSubEmulatorHarnessTests {
    @Test func underCIAMissingEmulatorIsAFailureNamingThePackage() async throws {
        let missing = ["CI": "true", "PATH": "/nonexistent", "CLOUDSDK_ROOT": "/nonexistent"]
        let error = await #expect(throws: PubSubEmulatorUnavailable.self) {
            try await withPubSubEmulator(environment: missing, standardRoots: []) { _ in
                Issue.record("the body must not run without an emulator")
            }
        }
        #expect(error?.description.contains("google-cloud-cli-pubsub-emulator") == true)
    }

    @Test func theEmulatorIsStoppedWhenTheBodyThrows() async throws {
        struct BodyFailed: Error {}
        let seen = Mutex<String?>(nil)
        await #expect(throws: BodyFailed.self) {
            try await withPubSubEmulator { host in
                seen.withLock { $0 = host }
                throw BodyFailed()
            }
        }
        let host = try #require(seen.withLock { $0 })
        // Nothing answers at its address any more.
        await #expect(throws: (any Error).self) {
            _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://\(host)/"), timeout: .seconds(3))
        }
    }
}
