import Foundation
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// The lock file's format, merging, and freezing a plan without any network call.
@Suite struct LockFileTests {
    static let pins = [
        LockPin(
            environment: "prod", resource: "projects/p/secrets/b/versions/latest", version: 7,
            name: "projects/42/secrets/b/versions/7", etag: "\"e7\""),
        LockPin(
            environment: "dev", resource: "projects/d/secrets/a/versions/current", version: 2,
            name: "projects/43/secrets/a/versions/2", etag: nil),
    ]

    @Test func encodingIsDeterministicSortedAndRoundTrips() throws {
        let lock = LockFile(pins: Self.pins)
        #expect(lock.pins.map(\.environment) == ["dev", "prod"], "sorted by environment, then resource")
        let bytes = lock.encoded()
        #expect(bytes == LockFile(pins: Self.pins.reversed()).encoded(), "input order does not matter")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\n  \"lock_version\" : 1,\n  \"pins\" : [\n"))
        #expect(text.contains("\"resource\" : \"projects/p/secrets/b/versions/latest\""), "slashes are not escaped")
        #expect(text.hasSuffix("}\n"))
        #expect(try LockFile.decode(bytes, path: "secretsmith.lock") == lock)
    }

    @Test func pinKnowsTheRequestedAndThePinnedVersion() {
        let pin = Self.pins[0]
        #expect(pin.requestedVersion == "latest")
        #expect(pin.pinnedResource == "projects/p/secrets/b/versions/7")
    }

    @Test(arguments: [
        (#"{"lock_version": 2, "pins": []}"#, "lock_version 2 is not supported"),
        (#"{"pins": []}"#, "missing lock_version"),
        (#"not json"#, "not the JSON secretsmith writes"),
        (#"{"lock_version": 1, "pins": [{"environment": "dev", "resource": "x", "version": 1, "name": "x"}]}"#, "pins[0] is not a secret version resource"),
        (#"{"lock_version": 1, "pins": [{"environment": "dev", "resource": "projects/p/secrets/s/versions/1", "version": 0, "name": "x"}]}"#, "versions start at 1"),
        (#"{"lock_version": 1, "pins": [{"environment": "dev", "resource": "projects/p/secrets/s/versions/1", "version": 1, "name": "x"}, {"environment": "dev", "resource": "projects/p/secrets/s/versions/1", "version": 1, "name": "x"}]}"#, "a second time"),
        // Foundation's decoder calls these "not valid JSON" without saying where.
        (#"{"lock_version": 1, "pins": [{"environment": "dev", "resource": "projects/p/secrets/s/versions/1", "version": 1.5, "name": "x"}]}"#, "invalid value at pins[0].version: not a whole number"),
        (#"{"lock_version": 1, "pins": [{"environment": "dev", "resource": "projects/p/secrets/s/versions/1", "version": 1e30, "name": "x"}]}"#, "invalid value at pins[0].version: a whole number out of range"),
        (#"{"lock_version": 2.5, "pins": []}"#, "invalid value at lock_version: not a whole number"),
        (#"{"lock_version": 1, "pins": [{"environment": "dev", "resource": "projects/p/secrets/s/versions/1", "version": "1", "name": "x"}]}"#, "wrong type at pins[0].version"),
    ])
    func malformedLocksAreRefusedWithTheReason(text: String, expected: String) {
        let error = #expect(throws: LockFileError.self) { try LockFile.decode(Array(text.utf8), path: "x/secretsmith.lock") }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        #expect(error?.description.hasPrefix("x/secretsmith.lock: ") == true)
        #expect(error?.kind == .configuration)
    }

    @Test func replacingKeepsOtherEnvironments() {
        let lock = LockFile(pins: Self.pins)
        let fresh = LockPin(
            environment: "dev", resource: "projects/d/secrets/z/versions/latest", version: 1, name: "n", etag: nil)
        let replaced = lock.replacing(environments: ["dev"], with: [fresh])
        #expect(replaced.pins.map(\.resource) == ["projects/d/secrets/z/versions/latest", "projects/p/secrets/b/versions/latest"])
    }

    @Test func writeIsAtomicWorldReadableAndLeavesAnUnchangedFileAlone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("secretsmith.lock").path
        #expect(try LockFile.load(path: path) == nil, "no file is not an error")
        let lock = LockFile(pins: Self.pins)
        #expect(try lock.write(to: path) == true)
        #expect(try lock.write(to: path) == false, "unchanged: not rewritten")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        #expect(try LockFile.load(path: path) == lock)
    }

    @Test func freezingPinsEveryReferenceOrNamesEachUnpinnedSite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("freeze-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = EmulatorFixture.standardConfiguration + """

            outputs:
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/api-key, B: app/db-password-v2, C: app/config } }
            """
        let configuration = try Configuration.parse(
            Array(text.utf8), file: directory.appendingPathComponent("secretsmith.yaml").path, environment: [:],
            directory: directory.path)
        let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        let lock = LockFile(pins: [
            LockPin(
                environment: "dev", resource: "projects/acme-app-dev/secrets/api-key/versions/current", version: 1,
                name: "projects/424242424242/secrets/api-key/versions/1", etag: nil),
            LockPin(
                environment: "dev", resource: "projects/acme-app-dev/secrets/db-password/versions/2", version: 2,
                name: "projects/424242424242/secrets/db-password/versions/2", etag: nil),
        ])
        let failure = #expect(throws: RenderFailure.self) { try lock.freeze(plan, lockPath: "secretsmith.lock") }
        #expect(failure?.problems.count == 1)
        #expect(failure?.problems.first?.site?.key == "C")
        #expect(failure?.kind == .configuration)
        #expect(failure?.description.contains("projects/acme-app-dev/secrets/config/versions/latest (environment \"dev\") is not pinned") == true)

        let frozen = lock.freezeCollecting(plan, lockPath: "secretsmith.lock")
        #expect(frozen.plan.outputs[0].references.map(\.secret.versionName) == [
            "projects/acme-app-dev/secrets/api-key/versions/1", "projects/acme-app-dev/secrets/db-password/versions/2",
        ])
        #expect(frozen.pins.count == 2)
    }

    @Test func freezingKeepsEachReferencesOwnPointerAndSharesOneResolutionPerReference() throws {
        let text = EmulatorFixture.standardConfiguration + """

            outputs:
              - { name: j, format: json, path: out/j.json, values: { a: "app/config#/db/port", b: "app/config#/db", c: "app/config#/db/port" } }
            """
        let configuration = try Configuration.parse(Array(text.utf8), file: "/tmp/x/secretsmith.yaml", environment: [:], directory: "/tmp/x")
        let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        let lock = LockFile(pins: [
            LockPin(
                environment: "dev", resource: "projects/acme-app-dev/secrets/config/versions/latest", version: 1,
                name: "projects/424242424242/secrets/config/versions/1", etag: nil),
        ])
        let references = try lock.freeze(plan, lockPath: "secretsmith.lock").outputs[0].references
        #expect(references.map(\.text) == ["app/config#/db/port", "app/config#/db", "app/config#/db/port"])
        #expect(references.map { $0.reference.pointer?.description } == ["/db/port", "/db", "/db/port"])
        #expect(references.map(\.secret.versionName) == Array(repeating: "projects/acme-app-dev/secrets/config/versions/1", count: 3))
        #expect(ObjectIdentifier(references[0].resolution) == ObjectIdentifier(references[2].resolution))
    }
}
