import Foundation
import SecretsmithTestSupport
import Testing

/// How the built binary reports problems: one cause once, `path:line:column: error:` lines,
/// the same problems from `render` and `check --access`, every configuration error, and
/// `${NAME}` expanded only where it is used.
@Suite struct ProblemReportEndToEndTests {
    /// A configuration whose 25 references all need credentials that cannot be found.
    func unauthenticatedWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        var secrets = ""
        var values = ""
        for n in 1...25 {
            secrets += "          s\(n): {}\n"
            values += "      K\(n): app/s\(n)\n"
        }
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              credentials: { type: service_account_json, json_env: SECRETSMITH_TEST_NO_SUCH_KEY }
              endpoint: http://127.0.0.1:9
              retry: { max_attempts: 1 }
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets:
            \(secrets)
            outputs:
              - name: env
                format: dotenv
                path: out/app.env
                values:
            \(values)
            """)
        return workspace
    }

    @Test func oneCauseIsPrintedOnceThenEveryReferenceItAffects() throws {
        let workspace = try unauthenticatedWorkspace()
        let render = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url)
        #expect(render.status == 77, "\(render.stderr)")
        let lines = render.stderr.split(separator: "\n").map(String.init)
        let causeLines = lines.filter { $0.contains("SECRETSMITH_TEST_NO_SUCH_KEY") }
        #expect(causeLines.count == 1, "the cause once: \(render.stderr)")
        #expect(causeLines.first?.hasPrefix("secretsmith: error: ") == true)
        let file = String(decoding: try workspace.read("secretsmith.yaml"), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        for n in 1...25 {
            let line = try #require(file.firstIndex { $0.hasSuffix("K\(n): app/s\(n)") }) + 1
            let column = file[line - 1].distance(from: file[line - 1].startIndex, to: file[line - 1].firstIndex(of: "a")!) + 1
            #expect(
                lines.contains {
                    $0 == "secretsmith.yaml:\(line):\(column): error: output env, key K\(n), reference \"app/s\(n)\": the error above"
                },
                "K\(n) listed with its position: \(render.stderr)")
        }
        #expect(lines.filter { $0.contains("error:") }.count == 26, "\(render.stderr)")

        // check --access: the same problems, the same exit status, grouped the same way.
        let check = try CommandRunner.run(["check", "--env", "dev", "--access"], in: workspace.url)
        #expect(check.status == render.status, "\(check.stdoutText)")
        #expect(check.stdoutText.components(separatedBy: "SECRETSMITH_TEST_NO_SUCH_KEY").count == 2, "\(check.stdoutText)")

        let json = try CommandRunner.run(["check", "--env", "dev", "--format", "json"], in: workspace.url)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.count == 25)
        for problem in problems {
            for field in ["file", "line", "column", "output", "key", "reference", "message"] {
                #expect(problem[field] != nil, "\(field) missing in \(problem)")
            }
        }
        let causes = try #require(object["causes"] as? [[String: Any]])
        #expect(causes.count == 1)
        #expect((causes.first?["problems"] as? [Int])?.count == 25)
    }

    @Test func renderAndCheckAccessReportTheSameTemplateErrorWithItsPositionAndOutput() throws {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "s1", value: "value-\(CommandRunner.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { s1: {} } }
            outputs:
              - { name: t, format: template, template: t.tmpl, path: out/t.txt }

            """)
        // An `env` variable that is not set is found only when rendering.
        try workspace.write("t.tmpl", "a: << secret \"app/s1\" >>\nb: << env \"SECRETSMITH_TEST_UNSET_VARIABLE\" >>\n")
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let render = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url, environment: environment)
        #expect(render.status == 65, "\(render.stderr)")
        #expect(render.stderr.hasPrefix("t.tmpl:2:4: error: output t: "), "\(render.stderr)")
        let check = try CommandRunner.run(
            ["check", "--env", "dev", "--access", "--format", "json"], in: workspace.url, environment: environment)
        #expect(check.status == render.status)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout)) as? [String: Any])
        let problem = try #require((object["problems"] as? [[String: Any]])?.first)
        #expect(problem["file"] as? String == "t.tmpl")
        #expect(problem["line"] as? Int == 2)
        #expect(problem["column"] as? Int == 4)
        #expect(problem["output"] as? String == "t")
    }

    @Test func renderAndCheckAccessReportEveryFailedActionAndEveryRefusedValue() throws {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", number: 123_456_789_012, secret: "x", versions: [.init(bytes: [0x61, 0xFF, 0x62])])
        seed.add(project: "acme-app-dev", number: 123_456_789_012, secret: "y", value: "not base64! \(CommandRunner.sentinel)")
        seed.add(project: "acme-app-dev", number: 123_456_789_012, secret: "nl", value: "a\n\(CommandRunner.sentinel)")
        seed.add(project: "acme-app-dev", number: 123_456_789_012, secret: "nul", versions: [.init(bytes: [0x61, 0, 0x62])])
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { x: {}, y: {}, nl: {}, nul: {} } }
            outputs:
              - { name: t, format: template, template: t.tmpl, path: out/t.txt }
              - name: d
                format: docker-env-file
                path: out/d.env
                values:
                  NL: app/nl
                  NUL: app/nul
                  BAD: app/x

            """)
        try workspace.write(
            "t.tmpl",
            "a: << secret \"app/x\" | json >>\nb: << secret \"app/y\" | base64decode >>\n"
                + "c: << env \"SECRETSMITH_TEST_UNSET_VARIABLE\" >>\n")
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let render = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url, environment: environment)
        #expect(render.status == 65, "\(render.stderr)")
        for prefix in [
            "t.tmpl:1:4: error: output t, reference \"app/x\": ", "t.tmpl:2:4: error: output t, reference \"app/y\": ",
            "t.tmpl:3:4: error: output t: ", "secretsmith.yaml:12:7: error: output d, key NL, reference \"app/nl\": ",
            "secretsmith.yaml:13:7: error: output d, key NUL, reference \"app/nul\": ",
            "secretsmith.yaml:14:7: error: output d, key BAD, reference \"app/x\": ",
        ] {
            #expect(
                render.stderr.split(separator: "\n").contains { $0.hasPrefix(prefix) }, "\(prefix) in \(render.stderr)")
        }
        #expect(!render.stderr.contains(CommandRunner.sentinel))

        let check = try CommandRunner.run(
            ["check", "--env", "dev", "--access", "--format", "json"], in: workspace.url, environment: environment)
        #expect(check.status == render.status)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout)) as? [String: Any])
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.count == 6, "\(check.stdoutText)")
        let found = problems.map { problem in
            [problem["file"], problem["line"], problem["column"], problem["output"], problem["key"], problem["reference"]]
                .map { $0.map { "\($0)" } ?? "-" }.joined(separator: " ")
        }
        #expect(
            found == [
                "t.tmpl 1 4 t - app/x", "t.tmpl 2 4 t - app/y", "t.tmpl 3 4 t - -",
                "secretsmith.yaml 12 7 d NL app/nl", "secretsmith.yaml 13 7 d NUL app/nul", "secretsmith.yaml 14 7 d BAD app/x",
            ], "\(check.stdoutText)")
        #expect(!check.stdoutText.contains(CommandRunner.sentinel))
    }

    @Test func plainCheckReportsAnUnsetEnvironmentVariableAsRenderDoes() throws {
        let workspace = try Workspace()
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults: { endpoint: "http://127.0.0.1:9", retry: { max_attempts: 1 } }
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { s1: {} } }
            outputs:
              - { name: t, format: template, template: t.tmpl, path: out/t.txt }

            """)
        try workspace.write("t.tmpl", "b: << env \"SECRETSMITH_TEST_UNSET_VARIABLE\" >>\n")
        // No reference: no Secret Manager call is needed (the endpoint is unreachable).
        let check = try CommandRunner.run(["check", "--env", "dev"], in: workspace.url)
        #expect(check.status == 65, "\(check.stdoutText)")
        #expect(check.stdoutText.contains("t.tmpl:1:4: error: output t: "), "\(check.stdoutText)")
        #expect(check.stdoutText.contains("SECRETSMITH_TEST_UNSET_VARIABLE"))
    }

    @Test func getAndExplainDoNotExpandOutputPathsTheyDoNotUse() throws {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "s1", value: "value-\(CommandRunner.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { s1: {} } }
              prod:
                projects:
                  app: { project_id: "${SECRETSMITH_TEST_PROD_PROJECT}", secrets: { s1: {} } }
            outputs:
              - { name: env, format: dotenv, path: "out/${SECRETSMITH_ENV}/app.env", values: { S1: app/s1 } }

            """)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]

        let get = try CommandRunner.run(
            ["get", "dev/app/s1"], in: workspace.url, environment: environment, stdoutMayHoldValues: true)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(get.stdoutText == "value-\(CommandRunner.sentinel)")
        let explain = try CommandRunner.run(["explain", "dev/app/s1"], in: workspace.url, environment: environment)
        #expect(explain.status == 0, "\(explain.stderr)")

        // The prod-only variable is not needed to render dev...
        let dev = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url, environment: environment)
        #expect(dev.status == 0, "\(dev.stderr)")
        #expect(workspace.exists("out/dev/app.env"))
        // ...and rendering prod names it, at its position.
        let prod = try CommandRunner.run(["render", "--env", "prod"], in: workspace.url, environment: environment)
        #expect(prod.status == 65, "\(prod.stderr)")
        #expect(
            prod.stderr.hasPrefix("secretsmith.yaml:8:26: error: Environment variable SECRETSMITH_TEST_PROD_PROJECT is not set"),
            "\(prod.stderr)")
        // A render with no environment says how to select one.
        let none = try CommandRunner.run(["render"], in: workspace.url, environment: environment)
        #expect(none.status == 64, "\(none.stderr)")
        #expect(none.stderr.contains("no environment selected: pass --env or set SECRETSMITH_ENV"), "\(none.stderr)")
    }

    @Test func checkListsEveryConfigurationErrorAndHintsAtTabs() throws {
        let workspace = try Workspace()
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: "..", secrets: { s1: {} } }
              prod:
                timeout: soon
            outputs:
              - { name: a, format: yaml, path: out/a, values: { K: app/s1 } }
              - { name: b, format: dotenv, path: out/b, values: { K: app/s1 }, mode: "0666" }

            """)
        let check = try CommandRunner.run(["check", "--env", "dev"], in: workspace.url)
        #expect(check.status == 65)
        let lines = check.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("secretsmith.yaml:5:26: error: \"..\" is not a valid project id") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("secretsmith.yaml:7:14: error: \"soon\" is not a duration") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("secretsmith.yaml:9:24: error: Unknown output format \"yaml\"") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("secretsmith.yaml:10:74: error: File mode 0666 grants access") }, "\(lines)")
        let render = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url)
        #expect(render.status == 65)
        #expect(render.stderr.split(separator: "\n").filter { $0.contains(": error: ") }.count == 4, "\(render.stderr)")

        try workspace.write("secretsmith.yaml", "version: 1\nenvironments:\n\tdev: {}\n")
        let tabs = try CommandRunner.run(["check"], in: workspace.url)
        #expect(tabs.status == 65)
        #expect(tabs.stdoutText.hasPrefix("secretsmith.yaml:3:1: error: Invalid YAML"), "\(tabs.stdoutText)")
        #expect(tabs.stdoutText.contains("indent with spaces"), "\(tabs.stdoutText)")
    }
}
