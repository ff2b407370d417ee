import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// The seed keys of event notifications: a secret's `topics` and `rotation`.
@Suite struct EmulatorSeedEventTests {
    private func parse(_ text: String) throws(EmulatorSeedError) -> EmulatorSeed {
        try EmulatorSeed.parse(Array(text.utf8), file: "seed.yaml")
    }

    @Test func topicsAndRotationParseAndReachTheSecret() async throws {
        let seed = try parse("""
            projects:
              acme-prod:
                number: 123456789012
                secrets:
                  db-password:
                    versions: [ "v1-SENTINEL-7c1f" ]
                    topics: [ projects/acme-prod/topics/secret-events, projects/acme-ops/topics/audit ]
                    rotation:
                      next_rotation_time: 2030-01-01T00:00:00Z
                      rotation_period: 86400s
                  plain: {}
            """)
        let secret = try #require(seed.projects.first?.secrets.first)
        #expect(secret.topics == ["projects/acme-prod/topics/secret-events", "projects/acme-ops/topics/audit"])
        #expect(secret.rotation?.rotationPeriod == .seconds(86400))
        #expect(secret.rotation?.nextRotationTime == Date(timeIntervalSince1970: 1_893_456_000))
        #expect(seed.projects.first?.secrets.last?.topics == [])

        let emulator = SecretManagerEmulator(seed: seed, configuration: EmulatorConfiguration(rotationCheckInterval: nil))
        let port = try await emulator.start()
        try await EmulatorHarness.with(started: emulator, port: port) { harness in
            let read = try await harness.send("GET", "/v1/projects/acme-prod/secrets/db-password").json()
            #expect(read["name"] as? String == "projects/123456789012/secrets/db-password")
            #expect(read["topics"] as? [[String: String]] == [
                ["name": "projects/acme-prod/topics/secret-events"], ["name": "projects/acme-ops/topics/audit"],
            ])
            #expect(read["rotation"] as? [String: String] == [
                "nextRotationTime": "2030-01-01T00:00:00Z", "rotationPeriod": "86400s",
            ])
        }
    }

    @Test func aRotationTimeInThePastIsAcceptedInASeed() throws {
        let seed = try parse("""
            projects:
              acme-prod:
                secrets:
                  due:
                    topics: [ projects/acme-prod/topics/secret-events ]
                    rotation: { next_rotation_time: "2001-01-01T00:00:00Z" }
            """)
        #expect(seed.projects.first?.secrets.first?.rotation?.nextRotationTime == Date(timeIntervalSince1970: 978_307_200))
    }

    @Test(arguments: [
        // (document, line, column, words in the message)
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ secret-events ]\n", 5, 19, "not a Pub/Sub topic name"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: projects/acme/topics/t-1\n", 5, 17, "must be a list"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ projects/acme/topics/abc, projects/acme/topics/abc ]\n", 5, 45, "appears twice"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ \((1...11).map { "projects/acme/topics/t\($0)xx" }.joined(separator: ", ")) ]\n", 5, 17, "at most 10"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        rotation: { next_rotation_time: \"2030-01-01T00:00:00Z\" }\n", 5, 19, "no `topics`"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ projects/acme/topics/abc ]\n        rotation: { rotation_period: 3600s }\n", 6, 19, "no `next_rotation_time`"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ projects/acme/topics/abc ]\n        rotation: { next_rotation_time: tomorrow }\n", 6, 41, "RFC 3339"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ projects/acme/topics/abc ]\n        rotation: { next_rotation_time: \"2030-01-01T00:00:00Z\", rotation_period: 60s }\n", 6, 82, "at least 3600s"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ projects/acme/topics/abc ]\n        rotation: { next_rotation_time: \"2030-01-01T00:00:00Z\", rotation_period: 1h }\n", 6, 82, "whole seconds"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        topics: [ projects/acme/topics/abc ]\n        rotation: { every: 3600s }\n", 6, 21, "unknown key `every`"),
    ] as [(String, Int, Int, String)])
    func invalidEventKeysAreReportedWithFileLineAndKey(document: String, line: Int, column: Int, words: String) throws {
        do {
            _ = try parse(document)
            Issue.record("no error for \(document)")
        } catch {
            #expect(error.mark?.line == line, "\(error)")
            #expect(error.mark?.column == column, "\(error)")
            #expect(error.description.hasPrefix("seed.yaml:\(line):\(column): "), "\(error)")
            #expect(error.description.contains(words), "\(error)")
        }
    }
}
