import Foundation
import SecretsmithTestSupport
import Testing

/// A failing render writes nothing and leaves existing files byte-identical.
@Suite(.serialized) struct RenderFailureEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    /// Twenty secrets in project `app`, a config with a template output using all of them and a
    /// dotenv output, and pre-existing outputs.
    func makeWorkspace(omit missing: Int? = nil) throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        for n in 1...20 where n != missing {
            seed.add(project: "acme-app-dev", secret: "s\(n)", value: "value-\(n)-\(Self.sentinel)")
        }
        try workspace.write("seed.yaml", seed.yaml)
        var secrets = ""
        for n in 1...20 { secrets += "          s\(n): {}\n" }
        try workspace.write(
            "secretsmith.yaml",
            """
            \(ConfigurationText.devApp)
            \(secrets)
            outputs:
              - name: config
                format: template
                template: app.conf.tmpl
                path: out/app.conf
              - name: dotenv
                format: dotenv
                path: out/app.env
                values:
                  FIRST: app/s1

            """)
        var template = "# twenty secrets\n"
        for n in 1...20 { template += "s\(n) = << secret \"app/s\(n)\" >>\n" }
        try workspace.write("app.conf.tmpl", template)
        try workspace.write("out/app.conf", "previous config\n")
        try workspace.write("out/app.env", "FIRST=previous\n")
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        return (workspace, emulator)
    }

    @Test func oneMissingSecretAmongTwentyWritesNothing() throws {
        let (workspace, emulator) = try makeWorkspace(omit: 13)
        let before = workspace.allFiles()
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 66, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("app/s13"), "names the reference: \(result.stderr)")
        // The template action of s13 is on line 14, column 7.
        #expect(result.stderr.contains("app.conf.tmpl:14:7"), "names the template position: \(result.stderr)")
        #expect(result.stderr.contains("NOT_FOUND"))
        #expect(try workspace.read("out/app.conf") == Array("previous config\n".utf8))
        #expect(try workspace.read("out/app.env") == Array("FIRST=previous\n".utf8))
        #expect(workspace.allFiles() == before, "no new or temporary file")
    }

    @Test func latestPointingAtADisabledVersionFailsWith66() throws {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(
            project: "acme-app-dev", number: 42, secret: "api-key",
            versions: [
                .init(bytes: Array("old-\(Self.sentinel)".utf8)),
                .init(bytes: Array("new-\(Self.sentinel)".utf8), state: "DISABLED"),
            ])
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            \(ConfigurationText.devApp)
                      api-key: {}
            outputs:
              - name: dotenv
                format: dotenv
                path: out/app.env
                values:
                  API_KEY: app/api-key

            """)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 66, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("app/api-key"))
        #expect(result.stderr.contains("DISABLED"), "names the state: \(result.stderr)")
        #expect(result.stderr.contains("Pin an ENABLED version"), "says what to do: \(result.stderr)")
        #expect(result.stderr.contains("secretsmith.yaml:"), "names the config position: \(result.stderr)")
        #expect(!workspace.exists("out/app.env"))
    }

    @Test func aWrongChecksumFailsTheReadAndWritesNothing() throws {
        let (workspace, emulator) = try makeWorkspace()
        try emulator.request(
            "POST", "/_emulator/faults", body: ["rules": [["kind": "wrongChecksum", "method": "access"]]])
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 69, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("CHECKSUM_MISMATCH"), "stderr: \(result.stderr)")
        #expect(try workspace.read("out/app.conf") == Array("previous config\n".utf8))
        #expect(try workspace.read("out/app.env") == Array("FIRST=previous\n".utf8))
    }

    @Test func twoHundredPlaceholdersOverTwentySecretsMakeTwentyAccessCalls() throws {
        let (workspace, emulator) = try makeWorkspace()
        var template = ""
        for round in 0..<10 {
            for n in 1...20 { template += "\(round).\(n): << secret \"app/s\(n)\" >>\n" }
        }
        try workspace.write("app.conf.tmpl", template)
        try emulator.request("POST", "/_emulator/reset")
        let result = try CommandRunner.run(
            ["render", "--env", "dev", "--only", "config"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try EmulatorStats(emulator.stats()).accessCalls == 20)
        let rendered = String(decoding: try workspace.read("out/app.conf"), as: UTF8.self)
        #expect(rendered.split(separator: "\n").count == 200)
        #expect(rendered.contains("9.20: value-20-\(Self.sentinel)"))
    }
}
