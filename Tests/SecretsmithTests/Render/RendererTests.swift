import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// Plan → fetch → render → write against the in-process emulator.
@Suite struct RendererTests {
    static let sentinel = EmulatorFixture.sentinel

    func setUp(_ outputs: String, templates: [String: String] = [:]) async throws
        -> (EmulatorFixture, Renderer, RenderPlan, URL)
    {
        let fixture = try await EmulatorFixture.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in templates { try Data(text.utf8).write(to: directory.appendingPathComponent(name)) }
        let text = EmulatorFixture.standardConfiguration + "\noutputs:\n" + outputs
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
        let configuration = try Configuration.parse(
            Array(text.utf8), file: directory.appendingPathComponent("secretsmith.yaml").path,
            environment: environment, directory: directory.path)
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: fixture.httpClient, processEnvironment: environment,
            clock: fixture.clock.clock)
        let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        return (fixture, Renderer(manager: manager, processEnvironment: ["HOST_NAME": "web-1"]), plan, directory)
    }

    @Test func rendersTemplatesAndValueOutputsFromOneFetchPerVersion() async throws {
        let (fixture, renderer, plan, directory) = try await setUp(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key, PW: app/db-password-v2 } }
              - { name: t, format: template, template: t.tmpl, path: out/t.txt }
            """,
            templates: ["t.tmpl": "<< env \"HOST_NAME\" >>: << secret \"app/api-key\" >> << secret \"app/config#/db/port\" >>\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let values = try await renderer.fetch(plan)
        #expect(values.count == 3)
        #expect(await fixture.accessCalls() == 3)
        let rendered = try renderer.render(plan, values: values)
        #expect(String(decoding: rendered[1].bytes, as: UTF8.self) == "web-1: key-\(Self.sentinel) 5432\n")
        #expect(rendered[0].resolvedVersions["app/db-password-v2"] == 2)
        let reports = try renderer.write(rendered, dryRun: false)
        #expect(reports.map(\.changed) == [true, true])
        #expect(reports.allSatisfy { $0.mode == 0o600 })
        let again = try renderer.write(rendered, dryRun: false)
        #expect(again.map(\.changed) == [false, false])
        await fixture.shutdown()
    }

    @Test func aJSONOutputKeepsTheJSONTypeOfWhatAPointerSelects() async throws {
        let (fixture, renderer, plan, directory) = try await setUp(
            """
              - name: j
                format: json
                path: out/j.json
                values: { port: "app/config#/db/port", db: "app/config#/db", password: "app/config#/db/password" }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rendered = try renderer.render(plan, values: try await renderer.fetch(plan))
        #expect(
            String(decoding: rendered[0].bytes, as: UTF8.self)
                == "{\n  \"port\": 5432,\n  \"db\": {\"password\":\"p-\(Self.sentinel)\",\"port\":5432},\n"
                + "  \"password\": \"p-\(Self.sentinel)\"\n}\n")
        await fixture.shutdown()
    }

    @Test func fetchFailuresNameEverySiteOfTheReference() async throws {
        let (fixture, renderer, plan, directory) = try await setUp(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/missing, B: app/missing } }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let failure = await #expect(throws: RenderFailure.self) { _ = try await renderer.fetch(plan) }
        #expect(failure?.problems.count == 2)
        #expect(failure?.kind == .notFound)
        #expect(failure?.problems.map { $0.site?.key } == ["A", "B"])
        await fixture.shutdown()
    }

    @Test func aValueTheFormatCannotHoldFailsTheRenderNamingTheKey() async throws {
        let (fixture, renderer, plan, directory) = try await setUp(
            """
              - { name: docker, format: docker-env-file, path: out/docker.env, values: { PASSWORD: app/db-password-v2 } }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let values = try await renderer.fetch(plan)
        let failure = #expect(throws: RenderFailure.self) { _ = try renderer.render(plan, values: values) }
        #expect(failure?.description.contains("PASSWORD") == true)
        #expect(failure?.description.contains(Self.sentinel) == false)
        #expect(failure?.kind == .configuration)
        await fixture.shutdown()
    }
}
