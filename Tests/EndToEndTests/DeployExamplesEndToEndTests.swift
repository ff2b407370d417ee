import Foundation
import SecretsmithTestSupport
import Testing

/// examples/Makefile.deploy and deploy/docker/entrypoint.sh work as documented.
@Suite(.serialized) struct DeployExamplesEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace() throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        for folder in ["examples", "templates", "deploy"] {
            try FileManager.default.copyItem(
                at: CommandRunner.packageRoot.appendingPathComponent(folder),
                to: workspace.url.appendingPathComponent(folder))
        }
        try? FileManager.default.removeItem(atPath: workspace.path("examples/secretsmith.lock"))
        let emulator = try EmulatorProcess(seed: workspace.path("examples/emulator-seed.yaml"), in: workspace)
        return (workspace, emulator)
    }

    func make(_ target: String, in workspace: Workspace, emulator: EmulatorProcess) throws -> CommandRunner.Result {
        let result = try CommandRunner.execute(
            ["/usr/bin/make", "--no-print-directory", "-f", "examples/Makefile.deploy", target, "ENV=dev",
             "SECRETSMITH=\(CommandRunner.binary)"],
            in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "DEMO_SERVER_NAME": "app.dev.example"])
        #expect(!result.stderr.contains(Self.sentinel) && !result.stdoutText.contains(Self.sentinel))
        return result
    }

    @Test func makefileChecksRendersFrozenAndDeploysOnlyWhatChanged() throws {
        let (workspace, emulator) = try makeWorkspace()
        let unlocked = try make("deploy", in: workspace, emulator: emulator)
        #expect(unlocked.status != 0, "check --frozen stops the pipeline without a lock")
        #expect(unlocked.stdoutText.contains("there is no lock file"), "\(unlocked.stdoutText)")
        #expect(!workspace.exists("out/dev/app.env"), "nothing was rendered")

        #expect(try make("lock", in: workspace, emulator: emulator).status == 0)
        let first = try make("deploy", in: workspace, emulator: emulator)
        #expect(first.status == 0, "\(first.stdoutText) \(first.stderr)")
        #expect(first.stdoutText.contains("deploy dev: would ship out/dev/app.env out/dev/nginx/nginx.conf out/dev/k8s/tls-secret.yaml"))
        #expect(workspace.exists("out/dev/manifest.json"))

        let second = try make("deploy", in: workspace, emulator: emulator)
        #expect(second.status == 0)
        #expect(second.stdoutText.contains("unchanged out/dev/app.env"))
        #expect(!second.stdoutText.contains("would ship"), "nothing changed, nothing deployed: \(second.stdoutText)")
    }

    @Test func dockerEntrypointBecomesTheApplication() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = [
            "SECRET_MANAGER_EMULATOR_HOST": emulator.host, "DEMO_SERVER_NAME": "app.dev.example",
            "SECRETSMITH": CommandRunner.binary, "SECRETSMITH_CONFIG": "examples/secretsmith.yaml",
            "SECRETSMITH_ENV": "dev", "DATABASE_PASSWORD": "placeholder",
        ]
        let lock = try CommandRunner.run(
            ["lock", "--config", "examples/secretsmith.yaml", "--env", "dev"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "DEMO_SERVER_NAME": "x"])
        #expect(lock.status == 0, "\(lock.stderr)")
        let app = try BackgroundCommand(
            ["/bin/sh", "-c", #"echo $$ > pid; printf %s "$DATABASE_PASSWORD" > password; exit 7"#], in: workspace,
            environment: environment, executable: workspace.path("deploy/docker/entrypoint.sh"))
        let result = app.wait()
        #expect(result.status == 7, "\(result.stderr)")
        let pid = String(decoding: try workspace.read("pid"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int32(pid) == app.pid, "entrypoint.sh, secretsmith and the app are one process")
        let password = String(decoding: try workspace.read("password"), as: UTF8.self)
        #expect(password.hasPrefix("dev-") && password.contains(Self.sentinel), "the secret replaced the placeholder")
        #expect(workspace.exists("out/dev/nginx/nginx.conf"), "template outputs are written first")
        #expect(!workspace.exists("out/dev/app.env"), "dotenv outputs go into the environment only")
    }
}
