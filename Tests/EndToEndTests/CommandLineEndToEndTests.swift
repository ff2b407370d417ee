import Foundation
import Secretsmith
import SecretsmithTestSupport
import Testing

/// The command line as a Makefile sees it: output, exit codes, and no value where none
/// belongs.
@Suite(.serialized) struct CommandLineEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace(outputs: String? = nil) throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "password", value: "pw-\(Self.sentinel)\n")
        seed.add(project: "acme-app-dev", secret: "config", value: #"{"db":{"user":"app-\#(Self.sentinel)"}}"#)
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            \(ConfigurationText.devApp) { password: {}, config: {} }
                  other:
                    project_id: acme-unknown-project
                    secrets: { password: {} }
            outputs:
            \(outputs ?? """
              - name: dotenv
                format: dotenv
                path: out/app.env
                values: { PASSWORD: app/password, DB_USER: app/config#/db/user }
            """)

            """)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        return (workspace, emulator)
    }

    @Test func getPrintsThePayloadExactly() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let absolute = try CommandRunner.run(
            ["get", "dev/app/password"], in: workspace.url, environment: environment, stdoutMayHoldValues: true)
        #expect(absolute.status == 0, "\(absolute.stderr)")
        #expect(absolute.stdout == Array("pw-\(Self.sentinel)\n".utf8))
        let relative = try CommandRunner.run(
            ["get", "app/config#/db/user"], in: workspace.url, environment: environment.merging(["SECRETSMITH_ENV": "dev"]) { $1 },
            stdoutMayHoldValues: true)
        #expect(relative.stdout == Array("app-\(Self.sentinel)".utf8))
    }

    @Test func stdoutPrintsOneOutputAndWritesNothing() throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try CommandRunner.run(
            ["render", "--env", "dev", "--stdout"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host], stdoutMayHoldValues: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "PASSWORD='pw-\(Self.sentinel)\n'\nDB_USER='app-\(Self.sentinel)'\n")
        #expect(!workspace.exists("out/app.env"))
    }

    @Test func usageErrorsExit64() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let unknownOutput = try CommandRunner.run(
            ["render", "--env", "dev", "--only", "dotnev"], in: workspace.url, environment: environment)
        #expect(unknownOutput.status == 64)
        #expect(unknownOutput.stderr.contains("did you mean \"dotenv\""), "\(unknownOutput.stderr)")
        let badFlag = try CommandRunner.run(["render", "--frobnicate"], in: workspace.url, environment: environment)
        #expect(badFlag.status == 64)
    }

    @Test func configurationErrorsExit65WithPosition() throws {
        let workspace = try Workspace()
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secretz: {}

            """)
        let result = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url)
        #expect(result.status == 65)
        #expect(result.stderr.contains("secretsmith.yaml:7:9"), "\(result.stderr)")
        #expect(result.stderr.lowercased().contains("did you mean"), "\(result.stderr)")
        let missing = try CommandRunner.run(["render", "--config", "nope.yaml"], in: workspace.url)
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("nope.yaml"))
    }

    @Test func anUnwritableOutputExits73NamingThePathAndWritesNothingElse() throws {
        let (workspace, emulator) = try makeWorkspace(
            outputs: """
                  - { name: first, format: dotenv, path: out/first.env, values: { PASSWORD: app/password } }
                  - { name: blocked, format: dotenv, path: blocker/app.env, values: { PASSWORD: app/password } }
                """)
        try workspace.write("blocker", "a file where a directory should be\n")
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("blocker"), "\(result.stderr)")
        #expect(!workspace.exists("out/first.env"), "all or nothing")
    }

    @Test func permissionDeniedExits77() throws {
        let (workspace, emulator) = try makeWorkspace(
            outputs: """
                  - { name: other, format: dotenv, path: out/other.env, values: { PASSWORD: other/password } }
                """)
        // The emulator, like Google, answers PERMISSION_DENIED for a project the caller cannot see.
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("PERMISSION_DENIED"))
    }

    @Test func unavailableExits69() throws {
        let (workspace, _) = try makeWorkspace()
        // Nothing listens on port 9 (discard) on loopback: connection refused, retried, then 69.
        try workspace.write(
            "fast.yaml",
            String(decoding: try workspace.read("secretsmith.yaml"), as: UTF8.self)
                .replacingOccurrences(
                    of: "version: 1\n", with: "version: 1\ndefaults:\n  timeout: 1s\n  retry: { max_attempts: 2, initial_backoff: 10ms }\n"))
        let result = try CommandRunner.run(
            ["render", "--config", "fast.yaml", "--env", "dev"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:9"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("TRANSPORT"), "\(result.stderr)")
    }

    @Test func jsonLogsAtTraceLevelAreJSONAndHoldNoValue() throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try CommandRunner.run(
            ["render", "--env", "dev", "--log-format", "json", "--log-level", "trace"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        var sawAccess = false
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["timestamp"] is String && object?["level"] is String && object?["message"] is String)
            if object?["message"] as? String == "secret accessed" {
                sawAccess = true
                let metadata = object?["metadata"] as? [String: Any]
                #expect(metadata?["secret.ref"] != nil && metadata?["cache"] != nil)
            }
        }
        #expect(sawAccess)
    }

    @Test func versionPrintsTheVersion() throws {
        let workspace = try Workspace()
        let result = try CommandRunner.run(["version"], in: workspace.url)
        #expect(result.status == 0)
        #expect(result.stdoutText.hasPrefix("secretsmith "))
    }

    /// `version` alone skips the command-line parser; with anything after it, the parser
    /// still decides (help, unknown options).
    @Test func versionAloneAndWithArgumentsAgree() throws {
        let workspace = try Workspace()
        let alone = try CommandRunner.run(["version"], in: workspace.url)
        #expect(alone.stdoutText == "secretsmith \(SecretsmithVersion.current)\n")
        let help = try CommandRunner.run(["version", "--help"], in: workspace.url)
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("Print secretsmith's version."), "\(help.stdoutText)")
        let unknown = try CommandRunner.run(["version", "--bogus"], in: workspace.url)
        #expect(unknown.status == 64, "\(unknown.stderr)")
        #expect(unknown.stdoutText.isEmpty)
    }
}

/// Addresses that cannot work are configuration errors, found before any request.
@Suite struct EndpointValidationEndToEndTests {
    @Test func anOutOfRangePortIsExit65NotACrash() throws {
        let workspace = try Workspace()
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { password: {} } }

            """)
        let result = try CommandRunner.run(
            ["get", "dev/app/password"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:99999"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("SECRET_MANAGER_EMULATOR_HOST"))
        #expect(!result.stderr.contains("Fatal error"))
    }
}
