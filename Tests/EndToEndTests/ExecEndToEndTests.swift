import Foundation
import SecretsmithTestSupport
import Testing

/// `secretsmith exec` as a container entrypoint: the child becomes the process.
@Suite(.serialized) struct ExecEndToEndTests {
    static let sentinel = CommandRunner.sentinel
    /// Newlines (a trailing one too), `$`, `${X}`, `$(…)`, quotes, a backslash, non-ASCII.
    static let tricky = "line1\nline2 $HOME ${X} $(touch pwned) 'single' \"double\" back\\slash é 日本 \(sentinel)\n\n"

    func makeWorkspace() throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "plain", value: "plain-\(Self.sentinel)")
        seed.add(project: "acme-app-dev", secret: "tricky", value: Self.tricky)
        seed.add(project: "acme-app-dev", number: 123_456_789_012, secret: "nul",
                 versions: [.init(bytes: Array("before\u{0}after-\(Self.sentinel)".utf8))])
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            \(ConfigurationText.devApp) { plain: {}, tricky: {}, nul: {} }
            outputs:
              - name: env
                format: dotenv
                path: out/app.env
                values: { PLAIN: app/plain, TRICKY: app/tricky }
              - name: conf
                format: template
                template: conf.tmpl
                path: out/conf.txt
              - name: nul
                format: shell
                path: out/nul.sh
                values: { NUL_VALUE: app/nul }

            """)
        try workspace.write("conf.tmpl", "plain=<< secret \"app/plain\" >>\n")
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        return (workspace, emulator)
    }

    func exec(_ script: String, only: [String] = ["env"], in workspace: Workspace, emulator: EmulatorProcess,
              environment: [String: String] = [:]) throws -> BackgroundCommand {
        try BackgroundCommand(
            ["exec", "--env", "dev"] + only.flatMap { ["--only", $0] } + ["--", "/bin/sh", "-c", script],
            in: workspace, environment: environment.merging(["SECRET_MANAGER_EMULATOR_HOST": emulator.host]) { $1 })
    }

    @Test func theChildKeepsSecretsmithsProcessID() throws {
        let (workspace, emulator) = try makeWorkspace()
        let command = try exec("echo $$ > pid.txt", in: workspace, emulator: emulator)
        let result = command.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: try workspace.read("pid.txt"), as: UTF8.self)
        #expect(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) == command.pid)
    }

    @Test func theChildReceivesSIGTERMDirectly() throws {
        let (workspace, emulator) = try makeWorkspace()
        let command = try exec(
            "trap 'echo TERM > got-term; exit 143' TERM; echo ready > ready; while :; do sleep 0.05; done",
            in: workspace, emulator: emulator)
        #expect(command.waitFor(file: workspace.path("ready")), "the child started")
        kill(command.pid, SIGTERM)
        let result = command.wait()
        #expect(result.reason == .exit, "the child's trap handled it, not the default action")
        #expect(result.status == 143, "\(result.stderr)")
        #expect(workspace.exists("got-term"), "the trap in the child ran, so the signal reached it")
    }

    @Test("the child's exit status is the process's", arguments: [0, 3, 42])
    func exitCodesPassThrough(code: Int) throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try exec("exit \(code)", in: workspace, emulator: emulator).wait()
        #expect(result.status == Int32(code), "\(result.stderr)")
    }

    @Test func theChildSeesExactBytesAndSecretsReplaceInheritedPlaceholders() throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try exec(
            #"printf '%s' "$TRICKY" > tricky.out; printf '%s' "$PLAIN" > plain.out; printf '%s' "$KEEP" > keep.out"#,
            only: ["env", "conf"], in: workspace, emulator: emulator,
            environment: ["PLAIN": "placeholder-from-the-platform", "KEEP": "inherited"]
        ).wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try workspace.read("tricky.out") == Array(Self.tricky.utf8))
        #expect(try workspace.read("plain.out") == Array("plain-\(Self.sentinel)".utf8), "the secret wins")
        #expect(try workspace.read("keep.out") == Array("inherited".utf8), "other variables are inherited")
        #expect(!workspace.exists("pwned"), "values are never evaluated")
        // The template output is written before the child starts; the dotenv output is not written.
        #expect(try workspace.read("out/conf.txt") == Array("plain=plain-\(Self.sentinel)\n".utf8))
        #expect(!workspace.exists("out/app.env"))
    }

    @Test func aNULValueIsRefusedByKeyNameAndTheCommandDoesNotRun() throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try CommandRunner.run(
            ["exec", "--env", "dev", "--only", "nul", "--only", "conf", "--", "/bin/sh", "-c", "touch ran"],
            in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("NUL_VALUE"), "\(result.stderr)")
        #expect(result.stderr.contains("NUL byte"))
        #expect(!workspace.exists("ran"))
        #expect(!workspace.exists("out/conf.txt"), "nothing is written either")
    }

    @Test func aMissingCommandExits127BeforeAnySecretManagerCall() throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try CommandRunner.run(
            ["exec", "--env", "dev", "--", "no-such-command-\(UUID().uuidString.prefix(8))"],
            in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 127, "\(result.stderr)")
        #expect(result.stderr.contains("command not found in PATH"))
        #expect(try EmulatorStats(emulator.stats()).methods.values.reduce(0, +) == 0)
        try workspace.write("not-executable.sh", "#!/bin/sh\n")
        let denied = try CommandRunner.run(
            ["exec", "--env", "dev", "--", "./not-executable.sh"],
            in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(denied.status == 126, "\(denied.stderr)")
    }

    @Test func noCommandOrNoOutputsIsAUsageError() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let noCommand = try CommandRunner.run(["exec", "--env", "dev"], in: workspace.url, environment: environment)
        #expect(noCommand.status == 64)
        #expect(noCommand.stderr.contains("exec needs a command after --"))
        try workspace.write(
            "empty.yaml",
            "version: 1\nenvironments:\n  dev:\n    projects:\n      app: { project_id: acme-app-dev }\noutputs: []\n")
        let noOutputs = try CommandRunner.run(
            ["exec", "--config", "empty.yaml", "--env", "dev", "--", "/bin/true"], in: workspace.url,
            environment: environment)
        #expect(noOutputs.status == 64, "\(noOutputs.stderr)")
        #expect(noOutputs.stderr.contains("no outputs are selected"))
    }

    @Test func aFailedFetchRunsNothingAndWritesNothing() throws {
        let (workspace, emulator) = try makeWorkspace()
        try emulator.request("POST", "/v1/projects/acme-app-dev/secrets/plain/versions/1:disable", body: [String: String]())
        let result = try CommandRunner.run(
            ["exec", "--env", "dev", "--only", "env", "--only", "conf", "--", "/bin/sh", "-c", "touch ran"],
            in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 66, "\(result.stderr)")
        #expect(!workspace.exists("ran"))
        #expect(!workspace.exists("out/conf.txt"))
    }
}
