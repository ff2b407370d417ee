import Foundation
import SecretsmithTestSupport
import Testing

/// `SECRETSMITH_DEFAULTS__…` and `SECRETSMITH_ENVIRONMENTS__…` variables override the file's
/// settings in the built binary: `explain` shows the value and the variable, flags still win,
/// and a bad override exits 65 naming the variable.
@Suite struct EnvironmentOverridesEndToEndTests {
    func makeWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              timeout: 10s
              deadline: 40s
              retry: { max_attempts: 2, initial_backoff: 100ms }
            environments:
              prod-eu:
                projects:
                  app:
                    project_id: acme-app-prod
                    secrets: { db: {} }
            outputs:
              - { name: env, format: dotenv, path: out/app.env, values: { DB: prod-eu/app/db } }

            """)
        return workspace
    }

    func explain(
        _ arguments: [String], in workspace: Workspace, environment: [String: String]
    ) throws -> [String: (value: String, layer: String)] {
        let result = try CommandRunner.run(
            ["explain", "--format", "json"] + arguments + ["prod-eu/app/db"], in: workspace.url, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any]
        var rows: [String: (String, String)] = [:]
        for row in object?["settings"] as? [[String: String]] ?? [] {
            rows[row["setting"] ?? ""] = (row["value"] ?? "", row["layer"] ?? "")
        }
        return rows
    }

    @Test func overridesChangeExplainsSettingsAndNameTheirVariables() throws {
        let workspace = try makeWorkspace()
        let before = try explain([], in: workspace, environment: [:])
        #expect(before["timeout"]?.value == "10s")
        #expect(before["timeout"]?.layer == "global")
        #expect(before["concurrency"]?.layer == "default")

        let rows = try explain(
            [], in: workspace,
            environment: [
                "SECRETSMITH_DEFAULTS__TIMEOUT": "5s",
                "SECRETSMITH_ENVIRONMENTS__PROD_EU__CONCURRENCY": "32",
                "SECRETSMITH_ENVIRONMENTS__prod-eu__RETRY__MAX_ATTEMPTS": "7",
            ])
        #expect(rows["timeout"]?.value == "5s")
        #expect(rows["timeout"]?.layer == "SECRETSMITH_DEFAULTS__TIMEOUT")
        #expect(rows["concurrency"]?.value == "32")
        #expect(rows["concurrency"]?.layer == "SECRETSMITH_ENVIRONMENTS__PROD_EU__CONCURRENCY")
        #expect(rows["retry.max_attempts"]?.value == "7")
        #expect(rows["retry.max_attempts"]?.layer == "SECRETSMITH_ENVIRONMENTS__prod-eu__RETRY__MAX_ATTEMPTS")
        // The file's sibling setting is untouched.
        #expect(rows["retry.initial_backoff"]?.value == "100ms")
        #expect(rows["retry.initial_backoff"]?.layer == "global")
    }

    @Test func theFileIsUnderTheEnvironmentWhichIsUnderTheFlags() throws {
        let workspace = try makeWorkspace()
        let overridden = try explain([], in: workspace, environment: ["SECRETSMITH_DEFAULTS__DEADLINE": "20s"])
        #expect(overridden["deadline"]?.value == "20s")
        #expect(overridden["deadline"]?.layer == "SECRETSMITH_DEFAULTS__DEADLINE")
        let flagged = try explain(["--timeout", "30s"], in: workspace, environment: ["SECRETSMITH_DEFAULTS__DEADLINE": "20s"])
        #expect(flagged["deadline"]?.value == "30s")
        #expect(flagged["deadline"]?.layer == "command line")
    }

    @Test func aBadOverrideExits65NamingTheVariable() throws {
        let workspace = try makeWorkspace()
        let cases: [(String, String, String)] = [
            ("SECRETSMITH_DEFAULTS__TIMEOUT", "5 seconds", "is not a duration"),
            ("SECRETSMITH_DEFAULTS__TIMEOUTS", "5s", "unknown key"),
            ("SECRETSMITH_ENVIRONMENTS__prod__TIMEOUT", "5s", "is not declared under environments"),
            ("SECRETSMITH_DEFAULTS_TIMEOUT", "5s", "looks like a configuration override"),
        ]
        for (variable, value, message) in cases {
            for command in [["explain", "prod-eu/app/db"], ["render", "--env", "prod-eu"]] {
                let result = try CommandRunner.run(command, in: workspace.url, environment: [variable: value])
                #expect(result.status == 65, "\(variable) \(command): \(result.stderr)")
                #expect(result.stderr.contains("Environment variable \(variable): "), "\(result.stderr)")
                #expect(result.stderr.contains(message), "\(result.stderr)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.url.appendingPathComponent("out/app.env").path))
    }
}
