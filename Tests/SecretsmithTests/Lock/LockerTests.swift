import Foundation
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// `lock` resolves latest and aliases with metadata calls only.
@Suite struct LockerTests {
    @Test func pinsLatestAliasesAndNumbersWithGetVersionOnly() async throws {
        try await withConfiguredEmulator(
            outputs: """
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/api-key, B: app/db-password-v2, C: app/config, D: app/config } }
            """) { setup in
            let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
            let pins = try await Locker(manager: setup.manager).pins(for: plan)
            #expect(pins.map(\.resource) == [
                "projects/acme-app-dev/secrets/api-key/versions/current",
                "projects/acme-app-dev/secrets/config/versions/latest",
                "projects/acme-app-dev/secrets/db-password/versions/2",
            ])
            #expect(pins.map(\.version) == [1, 1, 2])
            #expect(pins[0].name == "projects/424242424242/secrets/api-key/versions/1")
            #expect(pins.compactMap(\.etag).count == 3)
            #expect(await setup.calls(.getVersion) == 3)
            #expect(await setup.calls(.access) == 0)
        }
    }

    @Test func aLatestThatIsDisabledOrMissingCannotBeLocked() async throws {
        try await withConfiguredEmulator(
            outputs: """
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/db-password, B: app/missing } }
            """) { setup in
            let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
            let failure = await #expect(throws: RenderFailure.self) { _ = try await Locker(manager: setup.manager).pins(for: plan) }
            #expect(failure?.problems.map { $0.site?.key } == ["A", "B"])
            #expect(failure?.problems[0].error is VersionStateError)
            #expect(failure?.problems[0].description.contains("resolves to version 3, which is DISABLED") == true)
            #expect(failure?.problems[1].description.contains("NOT_FOUND") == true)
            #expect(failure?.kind == .notFound)
        }
    }
}
