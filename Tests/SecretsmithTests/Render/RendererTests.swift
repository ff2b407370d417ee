import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing
import YAML

/// Plan → fetch → render → write against the in-process emulator.
@Suite struct RendererTests {
    static let sentinel = EmulatorFixture.sentinel

    /// The standard configuration plus `outputs` in a directory with `templates`, and a
    /// renderer and plan over it, for `body`; the emulator stops and the directory goes
    /// afterwards, also when `body` throws.
    func withRenderer(
        _ outputs: String, templates: [String: String] = [:],
        _ body: (ConfiguredEmulator, Renderer, RenderPlan) async throws -> Void
    ) async throws {
        try await withConfiguredEmulator(outputs: outputs, templates: templates) { setup in
            let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
            try await body(setup, Renderer(manager: setup.manager, processEnvironment: ["HOST_NAME": "web-1"]), plan)
        }
    }

    @Test func rendersTemplatesAndValueOutputsFromOneFetchPerVersion() async throws {
        try await withRenderer(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key, PW: app/db-password-v2 } }
              - { name: t, format: template, template: t.tmpl, path: out/t.txt }
            """,
            templates: ["t.tmpl": "<< env \"HOST_NAME\" >>: << secret \"app/api-key\" >> << secret \"app/config#/db/port\" >>\n"]) { setup, renderer, plan in
            let values = try await renderer.fetch(plan)
            #expect(values.count == 3)
            #expect(await setup.fixture.accessCalls() == 3)
            let rendered = try renderer.render(plan, values: values)
            #expect(String(decoding: rendered[1].bytes, as: UTF8.self) == "web-1: key-\(Self.sentinel) 5432\n")
            #expect(rendered[0].resolvedVersions["app/db-password-v2"] == 2)
            let reports = try renderer.write(rendered, dryRun: false)
            #expect(reports.map(\.changed) == [true, true])
            #expect(reports.map(\.mode) == [0o600, 0o600])
            let again = try renderer.write(rendered, dryRun: false)
            #expect(again.map(\.changed) == [false, false])
        }
    }

    @Test func aJSONOutputKeepsTheJSONTypeOfWhatAPointerSelects() async throws {
        try await withRenderer(
            """
              - name: j
                format: json
                path: out/j.json
                values: { port: "app/config#/db/port", db: "app/config#/db", password: "app/config#/db/password" }
            """) { setup, renderer, plan in
            let rendered = try renderer.render(plan, values: try await renderer.fetch(plan))
            #expect(
                String(decoding: rendered[0].bytes, as: UTF8.self)
                    == "{\n  \"port\": 5432,\n  \"db\": {\"password\":\"p-\(Self.sentinel)\",\"port\":5432},\n"
                    + "  \"password\": \"p-\(Self.sentinel)\"\n}\n")
        }
    }

    @Test func fetchFailuresNameEverySiteOfTheReference() async throws {
        try await withRenderer(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/missing, B: app/missing } }
            """) { setup, renderer, plan in
            let failure = await #expect(throws: RenderFailure.self) { _ = try await renderer.fetch(plan) }
            #expect(failure?.problems.count == 2)
            #expect(failure?.kind == .notFound)
            #expect(failure?.problems.map { $0.site?.key } == ["A", "B"])
        }
    }

    @Test func everyActionATemplateCannotRenderIsReportedAtItsPosition() async throws {
        try await withRenderer(
            """
              - { name: t, format: template, template: t.tmpl, path: out/t.txt }
            """,
            templates: [
                "t.tmpl": "a: << secret \"app/api-key\" | json >>\nb: << secret \"app/config\" | base64decode >>\n"
                    + "c: << env \"SECRETSMITH_TEST_NOPE\" >>\n"
            ]) { setup, renderer, plan in
            var values = try await renderer.fetch(plan)
            for reference in plan.outputs[0].references where reference.text == "app/api-key" {
                values[reference.fetchKey] = SecretValue(bytes: [0x6B, 0xFF, 0x6B], version: 1)
            }
            let failure = #expect(throws: RenderFailure.self) { _ = try renderer.render(plan, values: values) }
            let problems = failure?.problems ?? []
            #expect(problems.count == 3, "\(failure?.description ?? "")")
            #expect(problems.map { $0.site?.mark } == [Mark(line: 1, column: 4), Mark(line: 2, column: 4), Mark(line: 3, column: 4)])
            #expect(problems.allSatisfy { $0.site?.output == "t" && $0.site?.file == setup.path("t.tmpl") })
            #expect(problems.map(\.reference) == ["app/api-key", "app/config", nil])
            let checks = problems.map { CheckProblem($0) }
            #expect(checks.map(\.reference) == ["app/api-key", "app/config", nil])
            #expect(checks.map(\.line) == [1, 2, 3])
            #expect(failure?.kind == .configuration)
            #expect(failure?.description.contains(Self.sentinel) == false)
        }
    }

    @Test func everyValueTheFormatCannotHoldIsReportedAtItsKey() async throws {
        try await withRenderer(
            """
              - name: docker
                format: docker-env-file
                path: out/docker.env
                values:
                  NEWLINE: app/db-password-v2
                  FINE: app/api-key
                  NULBYTE: app/config
                  BADUTF8: app/binary
            """) { setup, renderer, plan in
            var values = try await renderer.fetch(plan)
            for reference in plan.outputs[0].references {
                switch reference.site.key {
                case "NULBYTE": values[reference.fetchKey] = SecretValue(bytes: [0x61, 0, 0x62])
                case "BADUTF8": values[reference.fetchKey] = SecretValue(bytes: [0x61, 0xFF])
                default: break
                }
            }
            let failure = #expect(throws: RenderFailure.self) { _ = try renderer.render(plan, values: values) }
            let problems = failure?.problems ?? []
            #expect(problems.map { $0.site?.key } == ["NEWLINE", "NULBYTE", "BADUTF8"], "\(failure?.description ?? "")")
            #expect(problems.map(\.reference) == ["app/db-password-v2", "app/config", "app/binary"])
            // Each at its key (lines 5, 7 and 8 of the output's entry, column 7), not at the output.
            let start = try #require(setup.configuration.outputs.first { $0.name == "docker" }?.mark)
            for (problem, (key, offset)) in zip(problems, [("NEWLINE", 4), ("NULBYTE", 6), ("BADUTF8", 7)]) {
                #expect(problem.site?.mark == Mark(line: start.line + offset, column: 7), "\(key)")
                #expect(problem.site?.file == setup.configuration.file)
                let check = CheckProblem(problem)
                #expect(check.key == key)
                #expect(check.output == "docker")
            }
            #expect(failure?.description.contains(Self.sentinel) == false)
        }
    }

    @Test func aValueTheFormatCannotHoldFailsTheRenderNamingTheKey() async throws {
        try await withRenderer(
            """
              - { name: docker, format: docker-env-file, path: out/docker.env, values: { PASSWORD: app/db-password-v2 } }
            """) { setup, renderer, plan in
            let values = try await renderer.fetch(plan)
            let failure = #expect(throws: RenderFailure.self) { _ = try renderer.render(plan, values: values) }
            #expect(failure?.description.contains("PASSWORD") == true)
            #expect(failure?.description.contains(Self.sentinel) == false)
            #expect(failure?.kind == .configuration)
        }
    }
}
