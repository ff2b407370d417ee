import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// `GET …/versions/V:access` over HTTP: exact JSON, base64, CRC32C, names with the
/// project number, `latest`, aliases, regional paths.
@Suite struct AccessTests {
    private let acme = EmulatorHarness.acmeNumber

    @Test func accessByNumberAnswersExactJSON() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access("db-password", "2")
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "application/json; charset=UTF-8")
            // "seCr3t\n" → CRC32C 3131222104 (CRC32C, the Castagnoli polynomial of RFC 3720, as Google's crc32c library computes it).
            #expect(answer.text == """
                {"name":"projects/\(acme)/secrets/db-password/versions/2","payload":{"data":"c2VDcjN0Cg==","dataCrc32c":"3131222104"}}
                """)
        }
    }

    @Test func latestResolvesToTheNewestVersionNumber() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access("api-key", "latest")
            #expect(answer.status == 200)
            let json = try answer.json()
            #expect(json["name"] as? String == "projects/\(acme)/secrets/api-key/versions/2")
            let payload = try #require(json["payload"] as? [String: Any])
            #expect(payload["data"] as? String == Data("key-v2-\(StandardSeed.sentinel)".utf8).base64EncodedString())
        }
    }

    @Test func aliasResolvesToItsVersion() async throws {
        try await EmulatorHarness.with { harness async throws in
            let current = try await harness.access("db-password", "current")
            #expect(try current.json()["name"] as? String == "projects/\(acme)/secrets/db-password/versions/2")
            let old = try await harness.access("db-password", "old")
            #expect(try old.json()["name"] as? String == "projects/\(acme)/secrets/db-password/versions/1")
        }
    }

    @Test func projectMayBeAddressedByNumber() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access("db-password", "1", project: acme)
            #expect(answer.status == 200)
            #expect(try answer.json()["name"] as? String == "projects/\(acme)/secrets/db-password/versions/1")
        }
    }

    @Test func derivedProjectNumbersAreStableAndUsedInNames() async throws {
        let seed = EmulatorSeed(projects: [
            EmulatorSeed.Project(id: "derived-one", secrets: [.init(id: "s", versions: [.init(payload: [0x41])])])
        ])
        let number = EmulatorSeed.derivedProjectNumber(for: "derived-one")
        #expect(number == EmulatorSeed.derivedProjectNumber(for: "derived-one"))
        #expect(String(number).count == 12)
        try await EmulatorHarness.with(seed: seed) { harness async throws in
            let answer = try await harness.access("s", "1", project: "derived-one")
            #expect(try answer.json()["name"] as? String == "projects/\(number)/secrets/s/versions/1")
        }
    }

    @Test func binaryPayloadIsStandardPaddedBase64() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.access("binary", "1")
            let payload = try #require(try answer.json()["payload"] as? [String: Any])
            #expect(payload["data"] as? String == "AAEC/w==")
            #expect(payload["dataCrc32c"] as? String != nil)
        }
    }

    @Test func regionalSecretsLiveUnderTheirLocation() async throws {
        try await EmulatorHarness.with { harness async throws in
            let answer = try await harness.send(
                "GET", "/v1/projects/acme-billing-dev/locations/europe-west1/secrets/regional-key/versions/latest:access")
            #expect(answer.status == 200)
            #expect(
                try answer.json()["name"] as? String
                    == "projects/\(acme)/locations/europe-west1/secrets/regional-key/versions/1")
            // Not a global secret, nor one of another location.
            #expect(try await harness.access("regional-key", "1").status == 404)
            let elsewhere = try await harness.send(
                "GET", "/v1/projects/acme-billing-dev/locations/us-east1/secrets/regional-key/versions/1:access")
            #expect(elsewhere.status == 404)
        }
    }

    @Test func emptyPayloadHasNoDataMember() async throws {
        let seed = EmulatorSeed(projects: [.init(id: "p-empty", secrets: [.init(id: "s", versions: [.init(payload: [])])])])
        try await EmulatorHarness.with(seed: seed) { harness async throws in
            let answer = try await harness.access("s", "1", project: "p-empty")
            let payload = try #require(try answer.json()["payload"] as? [String: Any])
            #expect(payload["data"] == nil)
            #expect(payload["dataCrc32c"] as? String == "0")
        }
    }
}
