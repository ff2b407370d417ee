import Foundation
import Glibc
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

    @Test(
        "a --manifest destination that cannot be written is found before anything is written (73), a link without a follow_symlinks hint",
        arguments: ["mlink", "mdir", "/proc/nope/m.json", "/proc/m.json", "dangling/m.json", "file/m.json"])
    func destinationCheckedFirst(path: String) throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try OutputTestSupport.writeFile(directory + "/target.json", Array("{}\n".utf8))
        try OutputTestSupport.writeFile(directory + "/file", [])
        #expect(symlink(directory + "/target.json", directory + "/mlink") == 0)
        #expect(symlink(directory + "/nowhere", directory + "/dangling") == 0)
        #expect(mkdir(directory + "/mdir", 0o700) == 0)
        let full = path.hasPrefix("/") ? path : directory + "/" + path
        let error = #expect(throws: (any Error).self) { try RenderManifest.checkDestination(full) }
        let failure = error as? any SecretsmithError
        #expect(failure?.kind == .cannotCreate, "\(String(describing: error))")
        #expect(failure?.description.contains(full) == true, "\(String(describing: error))")
        #expect(failure?.description.contains("follow_symlinks") == false, "\(String(describing: error))")
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(entries == ["dangling", "file", "mdir", "mlink", "target.json"], "\(entries)")
    }

    @Test("a writable --manifest destination passes the check and nothing is left behind")
    func writableDestination() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try RenderManifest.checkDestination(directory + "/m.json")
        try RenderManifest.checkDestination(directory + "/new/dirs/m.json")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
