import Foundation
@testable import Secretsmith
import Testing

@Suite struct RenderPlanTests {
    func configuration(_ outputs: String, templates: [String: String] = [:]) throws -> (Configuration, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in templates {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }
        let text = """
            version: 1
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets: { a: {}, b: { version: "2" } }
              prod:
                projects:
                  app:
                    project_id: acme-app-prod
                    secrets: { a: {} }
            outputs:
            \(outputs)
            """
        let configuration = try Configuration.parse(
            Array(text.utf8), file: directory.appendingPathComponent("secretsmith.yaml").path, environment: [:],
            directory: directory.path)
        return (configuration, directory)
    }

    @Test func collectsEveryReferenceAndDeduplicatesVersions() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/a, B: app/b, A2: dev/app/a } }
              - { name: t, format: template, template: t.tmpl, path: out/t }
            """, templates: ["t.tmpl": "x << secret \"app/a\" >> << secret \"app/b@1\" >>\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        #expect(plan.outputs.map(\.output.name) == ["env", "t"])
        #expect(plan.outputs[0].references.map(\.text) == ["app/a", "app/b", "dev/app/a"])
        #expect(plan.outputs[1].references.map(\.site.mark) == [.init(line: 1, column: 3), .init(line: 1, column: 24)])
        // app/a twice (relative and absolute), app/b@2 from the layers, app/b@1 explicitly.
        #expect(
            Set(plan.distinctSecrets.keys.map(\.versionName)) == [
                "projects/acme-app-dev/secrets/a/versions/latest", "projects/acme-app-dev/secrets/b/versions/2",
                "projects/acme-app-dev/secrets/b/versions/1",
            ])
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/nope, B: prod/app/a, C: dev/nope/a } }
              - { name: t, format: template, template: missing.tmpl, path: out/t }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "dev", only: ["env", "t", "typo"])
        }
        let text = failure?.description ?? ""
        #expect(failure?.problems.count == 5, "\(text)")
        #expect(text.contains("app/nope"))
        #expect(text.contains("prod/app/a"))  // strict isolation
        #expect(text.contains("dev/nope/a"))
        #expect(text.contains("missing.tmpl"))
        #expect(text.contains("no output named \"typo\""))
        #expect(failure?.kind == .usage, "the most severe kind wins")
    }

    @Test func twoOutputsWritingOnePathAreRefused() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: one, format: dotenv, path: out/app.env, values: { A: app/a } }
              - { name: two, format: json, path: out/app.env, values: { A: app/a } }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        }
        #expect(failure?.description.contains("both write") == true)
        #expect(failure?.kind == .configuration)
        // Selecting one of them is fine.
        #expect(try RenderPlan.make(configuration: configuration, environment: "dev", only: ["two"]).outputs.count == 1)
    }

    @Test func anOutputsOwnEnvironmentWinsOverTheActiveOne() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: prod-env, format: dotenv, path: out/prod.env, environment: prod, values: { A: app/a } }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        #expect(plan.outputs[0].references[0].secret.projectID == "acme-app-prod")
    }

    @Test func anUndeclaredEnvironmentIsOneUsageProblem() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: env, format: dotenv, path: out/app.env, values: { A: app/a, B: app/b } }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "prd", only: [])
        }
        #expect(failure?.problems.count == 1)
        #expect(failure?.kind == .usage)
        #expect(failure?.description.contains("did you mean \"prod\"") == true, "\(String(describing: failure))")
        let none = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: nil, only: [])
        }
        #expect(none?.problems.count == 1)
        #expect(none?.description.contains("no active environment") == true)
    }

    @Test func pathsAreComparedWhereTheBytesLand() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: one, format: dotenv, path: out/app.env, values: { A: app/a } }
              - { name: two, format: dotenv, path: out/sub/../app.env, values: { A: app/a } }
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("out/sub"), withIntermediateDirectories: true)
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        }
        #expect(failure?.description.contains("both write") == true)
    }

    @Test func theSitesOfOneReferenceShareOneResolution() throws {
        // A template repeating a few references a hundred thousand times plans a site per
        // placeholder, and one parsed reference and settings per distinct text.
        var template = ""
        for n in 0..<100_000 { template += "<< secret \"app/\(n % 2 == 0 ? "a" : "b")\" >>\n" }
        let (configuration, directory) = try configuration(
            "  - { name: t, format: template, template: t.tmpl, path: out/t }\n", templates: ["t.tmpl": template])
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        let references = plan.outputs[0].references
        #expect(references.count == 100_000)
        #expect(Set(references.map { ObjectIdentifier($0.resolution) }).count == 2)
        #expect(references[99_999].site.mark.line == 100_000)
        #expect(references[1].secret.versionName == "projects/acme-app-dev/secrets/b/versions/2")
        // What a run fetches and resolves: the first use of each distinct text, in order.
        #expect(plan.outputs[0].firstUses.map(\.text) == ["app/a", "app/b"])
        #expect(plan.outputs[0].firstUses.map(\.site.mark) == [.init(line: 1, column: 1), .init(line: 2, column: 1)])
        #expect(plan.distinctSecrets.count == 2)
    }

    @Test func aTemplatesFailedReferenceIsReportedAtEveryUseInOrder() throws {
        // Planned once per distinct text; each use of a failed text is still a problem at
        // its own line and column, in the template's order.
        let template = "<< secret \"app/nope\" >>\n  << secret \"app/a\" >> << secret \"prod/app/a\" >>\n<< secret \"app/nope\" >>\n"
        let (configuration, directory) = try configuration(
            "  - { name: t, format: template, template: t.tmpl, path: out/t }\n", templates: ["t.tmpl": template])
        defer { try? FileManager.default.removeItem(at: directory) }
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        }
        let marks = failure?.problems.map { $0.site.map { "\($0.mark.line):\($0.mark.column)" } ?? "-" }
        #expect(marks == ["1:1", "2:24", "3:1"], "\(String(describing: failure))")
        let (plan, problems) = RenderPlan.collect(configuration: configuration, environment: "dev", only: [])
        #expect(problems.count == 3)
        #expect(plan.outputs[0].firstUses.map(\.text) == ["app/a"])
        #expect(plan.outputs[0].references.map(\.site.mark) == [.init(line: 2, column: 3)])
    }
}
