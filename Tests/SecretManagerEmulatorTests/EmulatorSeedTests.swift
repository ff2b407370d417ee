import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// The seed file format: the documented example parses, and every mistake is reported
/// with `file:line:column`.
@Suite struct EmulatorSeedTests {
    private func parse(_ text: String) throws(EmulatorSeedError) -> EmulatorSeed {
        try EmulatorSeed.parse(Array(text.utf8), file: "seed.yaml")
    }

    private func failure(_ text: String) -> EmulatorSeedError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesTheDocumentedExample() throws {
        let seed = try parse("""
            projects:
              acme-billing-dev:            # project id
                number: 100000000001
                secrets:
                  db-password:
                    versions:
                      - data: "dev-db-pass-SENTINEL\\n"
                      - data_base64: "AAEC"
                        state: DISABLED
                      - "short-SENTINEL"
                      - state: DESTROYED
                    aliases: { current: 1, previous: 3 }
                  empty-secret: {}
                locations:
                  europe-west1:
                    secrets:
                      api-key:
                        versions: [ "regional-SENTINEL" ]
              other-project:
                secrets:
                  s:
            """)
        #expect(seed.projects.count == 2)
        let acme = seed.projects[0]
        #expect(acme.id == "acme-billing-dev")
        #expect(acme.number == 100_000_000_001)
        #expect(acme.secrets.map(\.id) == ["db-password", "empty-secret"])
        let versions = acme.secrets[0].versions
        #expect(versions.map(\.payload) == [Array("dev-db-pass-SENTINEL\n".utf8), [0, 1, 2], Array("short-SENTINEL".utf8), []])
        #expect(versions.map(\.state) == [.enabled, .disabled, .enabled, .destroyed])
        #expect(acme.secrets[0].aliases == ["current": 1, "previous": 3])
        #expect(acme.secrets[1].versions.isEmpty)
        #expect(acme.locations == [EmulatorSeed.Location(name: "europe-west1", secrets: [
            EmulatorSeed.Secret(id: "api-key", versions: [.init(payload: Array("regional-SENTINEL".utf8))])
        ])])
        let other = seed.projects[1]
        #expect(other.number == EmulatorSeed.derivedProjectNumber(for: "other-project"))
        #expect(other.secrets == [EmulatorSeed.Secret(id: "s")])
    }

    @Test func emptyDocumentIsAnEmptySeed() throws {
        #expect(try parse("") == EmulatorSeed())
        #expect(try parse("projects: {}\n") == EmulatorSeed())
    }

    @Test func misspeltKeyIsReportedWithItsPosition() throws {
        let error = try #require(failure("""
            projects:
              acme:
                secrets:
                  db:
                    versions:
                      - data: "x"
                        stat: DISABLED
            """))
        #expect(error.mark?.line == 7)
        #expect(error.mark?.column == 13)
        #expect(error.kind == .configuration)
        #expect(error.description.hasPrefix("seed.yaml:7:13: unknown key `stat` in a version"))
    }

    @Test(arguments: [
        // (document, line, column, words in the message)
        ("projects:\n  acme:\n    secrets:\n      db:\n        versions:\n          - data: x\n            state: ASLEEP\n", 7, 20, "`state` must be"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        versions:\n          - data_base64: \"***\"\n", 6, 26, "base64"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        versions: [x]\n        aliases: { current: 2 }\n", 6, 29, "existing version"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        aliases: { latest: 1 }\n", 5, 20, "not a valid alias"),
        // Secret Manager refuses `new` (any case) and aliases longer than 63 characters, as the client does.
        ("projects:\n  acme:\n    secrets:\n      db:\n        versions: [x]\n        aliases: { New: 1 }\n", 6, 20, "not a valid alias"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        versions: [x]\n        aliases: { a\(String(repeating: "b", count: 63)): 1 }\n", 6, 20, "not a valid alias"),
        ("projects:\n  acme:\n    number: twelve\n", 3, 13, "`number` must be"),
        ("projects:\n  acme:\n    secrets:\n      \"bad id\": {}\n", 4, 7, "not a valid secret id"),
        ("projects:\n  Acme: {}\n", 2, 3, "not a valid project id"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        versions:\n          - {}\n", 6, 13, "needs `data`"),
        ("projects:\n  acme:\n    secrets:\n      db:\n        versions:\n          - data: a\n            data_base64: QQ==\n", 7, 26, "not both"),
        ("projects:\n  acme:\n    secrets: [a, b]\n", 3, 14, "must be a mapping"),
        ("projects:\n  acme: {}\n  acme2: {number: 5}\n  acme3: {number: 5}\n", nil, nil, "same number"),
    ] as [(String, Int?, Int?, String)])
    func invalidSeedsAreReportedWithPositions(document: String, line: Int?, column: Int?, words: String) throws {
        let error = try #require(failure(document))
        #expect(error.mark?.line == line, "\(error)")
        #expect(error.mark?.column == column, "\(error)")
        #expect(error.description.contains(words), "\(error)")
    }

    @Test func yamlSyntaxErrorsKeepTheirPosition() throws {
        let error = try #require(failure("projects:\n  acme: [unclosed\n"))
        #expect(error.file == "seed.yaml")
        #expect(error.mark != nil)
    }

    @Test func loadReadsAFileAndReportsAMissingOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("seed.yaml").path
        try Data("projects:\n  acme:\n    secrets:\n      db:\n        versions: [one]\n".utf8).write(to: URL(fileURLWithPath: path))
        let seed = try EmulatorSeed.load(path: path)
        #expect(seed.projects.first?.secrets.first?.versions.first?.payload == Array("one".utf8))
        do {
            _ = try EmulatorSeed.load(path: directory.appendingPathComponent("missing.yaml").path)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.description.contains("missing.yaml"))
        }
    }

    @Test func seededFileServesOverHTTP() async throws {
        let seed = try parse("""
            projects:
              acme-billing-dev:
                number: 100000000001
                secrets:
                  db-password:
                    versions:
                      - data: "seCr3t\\n"
            """)
        try await EmulatorHarness.with(seed: seed) { harness async throws in
            let answer = try await harness.access("db-password", "latest")
            #expect(answer.text == """
                {"name":"projects/100000000001/secrets/db-password/versions/1","payload":{"data":"c2VDcjN0Cg==","dataCrc32c":"3131222104"}}
                """)
        }
    }
}
