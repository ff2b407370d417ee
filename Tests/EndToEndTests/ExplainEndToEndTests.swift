import Foundation
import SecretsmithTestSupport
import Testing

/// `secretsmith explain` names the layer of each setting, from the built binary.
@Suite struct ExplainEndToEndTests {
    func makeWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              retry: { max_attempts: 2 }
            environments:
              dev:
                retry: { max_attempts: 3 }
                projects:
                  app:
                    project_id: acme-app-dev
                    retry: { max_attempts: 4 }
                    secrets:
                      pinned: { retry: { max_attempts: 5 } }
                      plain: {}
                  other:
                    project_id: acme-other-dev
                    secrets: { plain: {} }
              prod:
                projects:
                  app:
                    project_id: acme-app-prod
                    secrets: { plain: {} }
            outputs:
              - { name: env, format: dotenv, path: out/app.env, mode: "0640", values: { PINNED: app/pinned } }

            """)
        return workspace
    }

    func rows(_ arguments: [String], in workspace: Workspace, environment: [String: String] = [:]) throws -> [String: (String, String)] {
        let result = try CommandRunner.run(["explain", "--format", "json"] + arguments, in: workspace.url, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any]
        var rows: [String: (String, String)] = [:]
        for row in object?["settings"] as? [[String: String]] ?? [] {
            rows[row["setting"] ?? ""] = (row["value"] ?? "", row["layer"] ?? "")
        }
        return rows
    }

    @Test func eachOfTheFourLevelsShowsAsTheLayerOfTheSettingItOverrides() throws {
        let workspace = try makeWorkspace()
        let cases: [([String], String, String)] = [
            (["--env", "dev", "app/pinned"], "5", "secret"),
            (["--env", "dev", "app/plain"], "4", "project"),
            (["--env", "dev", "other/plain"], "3", "environment"),
            (["prod/app/plain"], "2", "global"),
        ]
        for (arguments, value, layer) in cases {
            let row = try rows(arguments, in: workspace)["retry.max_attempts"]
            #expect(row?.0 == value, "\(arguments)")
            #expect(row?.1 == layer, "\(arguments)")
        }
    }

    @Test func commandLineAndEnvironmentVariablesShowAsTheirLayers() throws {
        let workspace = try makeWorkspace()
        let flags = try rows(["--env", "dev", "--timeout", "20s", "app/pinned@3"], in: workspace)
        #expect(flags["environment"]?.1 == "command line")
        #expect(flags["deadline"]?.0 == "20s")
        #expect(flags["deadline"]?.1 == "command line")
        #expect(flags["version"]?.0 == "3")
        #expect(flags["version"]?.1 == "reference")
        #expect(flags["endpoint"]?.0 == "https://secretmanager.googleapis.com")
        #expect(flags["endpoint"]?.1 == "default")
        let variables = try rows(
            ["app/plain"], in: workspace,
            environment: ["SECRETSMITH_ENV": "dev", "SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:9"])
        #expect(variables["environment"]?.0 == "dev")
        #expect(variables["environment"]?.1 == "environment variable")
        #expect(variables["endpoint"]?.1 == "environment variable")
        #expect(variables["credentials"]?.1 == "environment variable")
    }

    @Test func textShowsTheResourceAndTheOutputsModes() throws {
        let workspace = try makeWorkspace()
        let result = try CommandRunner.run(["explain", "--env", "dev", "app/pinned"], in: workspace.url)
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("resource   projects/acme-app-dev/secrets/pinned/versions/latest\n"))
        #expect(result.stdoutText.contains("output env (dotenv key PINNED)"))
        #expect(result.stdoutText.contains("mode 0640 (output)"))
        let bad = try CommandRunner.run(["explain", "--env", "dev", "app/nope"], in: workspace.url)
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("app/nope"))
    }
}
