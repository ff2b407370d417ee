import Foundation
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// The child's environment: which outputs feed it, precedence, exact bytes, refusals.
@Suite struct ExecEnvironmentTests {
    @Test func environmentFormatsFeedTheEnvironmentAndFileFormatsDoNot() {
        #expect(ExecEnvironment.feedsEnvironment(.dotenv))
        #expect(ExecEnvironment.feedsEnvironment(.shell))
        #expect(ExecEnvironment.feedsEnvironment(.dockerEnvFile))
        #expect(!ExecEnvironment.feedsEnvironment(.json))
        #expect(!ExecEnvironment.feedsEnvironment(.template))
    }

    @Test func secretsReplaceInheritedVariablesAndKeepExactBytes() {
        let inherited: [[UInt8]] = [Array("PATH=/bin".utf8), Array("API_KEY=placeholder".utf8), Array("API_KEY_2=x".utf8), [0x41, 0x3D, 0xFF]]
        let value: [UInt8] = Array("line1\nline2 $HOME 'q' \"d\" é\n".utf8) + [0xFE]
        let merged = ExecEnvironment.merge(inherited: inherited, variables: [("API_KEY", value)])
        #expect(merged.replaced == ["API_KEY"])
        #expect(merged.entries == [Array("PATH=/bin".utf8), Array("API_KEY_2=x".utf8), [0x41, 0x3D, 0xFF], Array("API_KEY=".utf8) + value])
    }

    /// The standard configuration plus `outputs`, and its plan for `dev`, for `body`.
    func withPlan(_ outputs: String, _ body: (ConfiguredEmulator, RenderPlan) async throws -> Void) async throws {
        try await withConfiguredEmulator(outputs: outputs) { setup in
            try await body(setup, try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: []))
        }
    }

    @Test func variablesComeFromEnvironmentOutputsWithPointersApplied() async throws {
        try await withPlan(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key, PORT: "app/config#/db/port" } }
              - { name: sh, format: shell, path: out/s.sh, values: { KEY: app/api-key, PW: app/db-password-v2 } }
              - { name: j, format: json, path: out/j.json, values: { ignored: app/api-key } }
            """) { setup, plan in
            let values = try await Renderer(manager: setup.manager, processEnvironment: [:]).fetch(plan)
            let variables = try ExecEnvironment.variables(of: plan, values: values)
            #expect(variables.map(\.name) == ["KEY", "PORT", "PW"])
            #expect(variables[1].value == Array("5432".utf8))
            #expect(variables[2].value == Array("pw2-\(EmulatorFixture.sentinel)\n".utf8))
            #expect(ExecEnvironment.conflicts(in: plan).isEmpty, "the same key to the same reference is no conflict")
        }
    }

    @Test func aNULValueIsRefusedByKeyName() async throws {
        try await withPlan(
            "  - { name: env, format: dotenv, path: out/app.env, values: { OK: app/api-key, BLOB: app/binary } }\n") { setup, plan in
            let values = try await Renderer(manager: setup.manager, processEnvironment: [:]).fetch(plan)
            let failure = #expect(throws: RenderFailure.self) { _ = try ExecEnvironment.variables(of: plan, values: values) }
            #expect(failure?.problems.count == 1)
        #expect(failure?.description.contains("\"BLOB\" contains a NUL byte") == true)
            #expect(failure?.kind == .configuration)
        }
    }

    @Test func twoOutputsSettingOneVariableDifferentlyConflictBeforeAnyFetch() async throws {
        try await withPlan(
            """
              - { name: a, format: dotenv, path: out/a.env, values: { KEY: app/api-key } }
              - { name: b, format: docker-env-file, path: out/b.env, values: { KEY: app/config } }
            """) { setup, plan in
            let conflicts = ExecEnvironment.conflicts(in: plan)
            #expect(conflicts.count == 1)
            #expect(conflicts.first?.site?.output == "b")
            #expect(conflicts.first?.description.contains("outputs \"a\" and \"b\" both set environment variable KEY") == true)
            #expect(await setup.calls(.access) == 0)
        }
    }
}
