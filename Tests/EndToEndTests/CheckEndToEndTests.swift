import Foundation
import SecretsmithTestSupport
import Testing

/// `secretsmith check` as a deploy preflight: every problem, positions, metadata calls only.
@Suite(.serialized) struct CheckEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace() throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "present", value: "present-\(Self.sentinel)")
        seed.add(
            project: "acme-app-dev", number: 123_456_789_012, secret: "rotated",
            versions: [.init(bytes: Array("old-\(Self.sentinel)".utf8)), .init(bytes: Array("new-\(Self.sentinel)".utf8), state: "DISABLED")])
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            \(ConfigurationText.devApp) { present: {}, rotated: {}, gone: {} }
            outputs:
              - name: dotenv
                format: dotenv
                path: out/app.env
                values:
                  PRESENT: app/present
                  ROTATED: app/rotated
                  GONE: app/gone
              - name: conf
                format: template
                template: app.conf.tmpl
                path: out/app.conf

            """)
        try workspace.write("app.conf.tmpl", "present = << secret \"app/present\" >>\ntypo = << secrte \"app/present\" >>\n")
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        return (workspace, emulator)
    }

    @Test func threeDifferentProblemsAreAllReportedWithPositionsFromMetadataCallsOnly() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let result = try CommandRunner.run(["check", "--env", "dev"], in: workspace.url, environment: environment)
        // A template error (65) is more severe than a missing secret (66).
        #expect(result.status == 65, "\(result.stdoutText) \(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        let errors = lines.filter { $0.contains(": error: ") }
        #expect(errors.count == 3, "\(result.stdoutText)")
        // `ROTATED: app/rotated` is on line 14 of secretsmith.yaml, value at column 16; GONE on 15, column 13.
        #expect(errors.contains { $0.hasPrefix("secretsmith.yaml:14:16: error: output dotenv, key ROTATED, reference \"app/rotated\"") && $0.contains("DISABLED") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("secretsmith.yaml:15:13: error: output dotenv, key GONE, reference \"app/gone\"") && $0.contains("NOT_FOUND") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("app.conf.tmpl:2:8: error: output conf") && $0.contains("secret") })
        #expect(lines.last?.contains("3 errors") == true)
        let stats = EmulatorStats(try emulator.stats())
        #expect(stats.getVersionCalls == 3, "one metadata call per distinct version")
        #expect(stats.accessCalls == 0, "no payload is read")
        #expect(!workspace.exists("out"), "nothing is written")

        try emulator.request("POST", "/_emulator/reset")
        let json = try CommandRunner.run(["check", "--env", "dev", "--format", "json"], in: workspace.url, environment: environment)
        #expect(json.status == 65)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any]
        #expect(object?["ok"] as? Bool == false)
        #expect(object?["exit_code"] as? Int == 65)
        let problems = object?["problems"] as? [[String: Any]] ?? []
        #expect(problems.count == 3)
        #expect(problems.allSatisfy { $0["line"] is Int && $0["column"] is Int && $0["file"] is String })
        #expect(Set(problems.compactMap { $0["exit_code"] as? Int }) == [65, 66])
        #expect(EmulatorStats(try emulator.stats()).accessCalls == 0)
    }

    @Test func aCleanConfigurationPassesAndAccessReadsPayloadsWithoutPrintingThem() throws {
        let (workspace, emulator) = try makeWorkspace()
        try workspace.write("app.conf.tmpl", "present = << secret \"app/present\" >>\n")
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let result = try CommandRunner.run(
            ["check", "--env", "dev", "--only", "conf", "--access"], in: workspace.url, environment: environment)
        #expect(result.status == 0, "\(result.stdoutText) \(result.stderr)")
        #expect(result.stdoutText == "checked 1 secret version (1 ENABLED) for 1 output, payloads read and verified: 0 errors, 0 warnings\n")
        let stats = EmulatorStats(try emulator.stats())
        #expect(stats.getVersionCalls == 1)
        #expect(stats.accessCalls == 1)
    }

    @Test func aConfigurationThatDoesNotLoadIsReportedInTheChosenFormat() throws {
        let workspace = try Workspace()
        try workspace.write("secretsmith.yaml", "version: 1\nenvironmentz: {}\n")
        let result = try CommandRunner.run(["check", "--format", "json"], in: workspace.url)
        #expect(result.status == 65)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any]
        let problems = object?["problems"] as? [[String: Any]] ?? []
        #expect(problems.first?["line"] as? Int == 2)
        #expect((problems.first?["message"] as? String)?.contains("environments") == true)
    }
}
