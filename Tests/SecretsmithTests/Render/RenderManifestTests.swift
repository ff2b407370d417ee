import Foundation
@testable import Secretsmith
import SecretsmithTestSupport
import Testing

/// `render --manifest`: what was written, with versions, never values.
@Suite struct RenderManifestTests {
    @Test func listsOutputsStatusesAndResolvedVersionsWithoutValues() async throws {
        try await withConfiguredEmulator(
            outputs: """
              - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key, PW: app/db-password-v2, KEY2: app/api-key } }
              - { name: t, format: template, template: t.tmpl, path: out/t.txt, mode: "0640" }
            """, templates: ["t.tmpl": "<< secret \"app/config#/db/port\" >>\n"]) { setup in
            let plan = try RenderPlan.make(configuration: setup.configuration, environment: "dev", only: [])
            let renderer = Renderer(manager: setup.manager, processEnvironment: [:])
            let rendered = try renderer.render(plan, values: try await renderer.fetch(plan))
            let reports = try renderer.write(rendered, dryRun: false)
            let manifest = RenderManifest.make(plan: plan, rendered: rendered, reports: reports, environment: "dev", frozen: false)
            #expect(manifest.outputs.map(\.status) == ["written", "written"])
            #expect(manifest.outputs.map(\.mode) == ["0600", "0640"])
            #expect(manifest.outputs[0].references.map(\.reference) == ["app/api-key", "app/db-password-v2"])
            #expect(manifest.outputs[0].references.map(\.version) == [1, 2])
            #expect(manifest.outputs[1].references.first?.resource == "projects/acme-app-dev/secrets/config/versions/latest")
            #expect(manifest.outputs[1].bytes == 5)
            let text = String(decoding: manifest.encoded(), as: UTF8.self)
            #expect(!text.contains(EmulatorFixture.sentinel))
            #expect(text.contains("\"manifest_version\" : 1"))

            let path = setup.path("manifest.json")
            #expect(try manifest.write(to: path))
            let again = RenderManifest.make(
                plan: plan, rendered: rendered, reports: try renderer.write(rendered, dryRun: false), environment: "dev",
                frozen: false)
            #expect(again.outputs.map(\.status) == ["unchanged", "unchanged"])
            #expect(try again.write(to: path), "the statuses changed, so the manifest did")
            #expect(try again.write(to: path) == false, "the same render again leaves it alone")
        }
    }
}
