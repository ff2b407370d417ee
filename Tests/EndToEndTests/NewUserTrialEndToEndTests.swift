import Foundation
import SecretsmithTestSupport
import Testing

/// Bugs a new user met: bad `--timeout` values, standard output that cannot be written,
/// `exec` and inherited descriptors, the emulator's `--port-file`, and a forgotten `--env`.
@Suite struct NewUserTrialEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace(outputPath: String = "out/app.env") throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "password", value: "pw-\(Self.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets: { password: {} }
            outputs:
              - { name: env, format: dotenv, path: "\(outputPath)", values: { PASSWORD: app/password } }
              - { name: other, format: dotenv, path: "\(outputPath).2", values: { PASSWORD: app/password } }

            """)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        return (workspace, emulator)
    }

    /// Runs the binary through `sh -c SCRIPT` (`"$@"` is the binary and `arguments`).
    func shell(
        _ script: String, _ arguments: [String], in workspace: Workspace, environment: [String: String]
    ) throws -> CommandRunner.Result {
        try CommandRunner.execute(
            ["/bin/sh", "-c", script, "sh", CommandRunner.binary] + arguments, in: workspace.url, environment: environment)
    }

    @Test func aBadTimeoutIsAUsageErrorNamingTheFlagForEveryCommand() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let commands: [[String]] = [
            ["render", "--env", "dev"], ["check", "--env", "dev"], ["get", "--env", "dev", "app/password"],
            ["lock", "--env", "dev"], ["exec", "--env", "dev", "--", "/bin/true"],
        ]
        for command in commands {
            for value in ["30", "abc", "1ns", "999999999h", "0s"] {
                let result = try CommandRunner.run(
                    [command[0], "--timeout", value] + command.dropFirst(), in: workspace.url, environment: environment)
                #expect(result.status == 64, "\(command) --timeout \(value): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains("--timeout \(value):"), "\(result.stderr)")
                #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
            }
        }
        #expect(EmulatorStats(try emulator.stats()).accessCalls == 0)
        #expect(!workspace.exists("out"))
    }

    @Test func standardOutputThatCannotBeWrittenExits73NamingIt() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let cases: [(String, [String])] = [
            ("exec \"$@\" > /dev/full", ["get", "--env", "dev", "app/password"]),
            ("exec \"$@\" >&-", ["get", "--env", "dev", "app/password"]),
            ("exec \"$@\" > /dev/full", ["check", "--env", "dev"]),
            ("exec \"$@\" > /dev/full", ["render", "--env", "dev", "--dry-run"]),
            ("exec \"$@\" > /dev/full", ["render", "--env", "dev"]),
            ("exec \"$@\" > /dev/full", ["render", "--env", "dev", "--only", "env", "--stdout"]),
        ]
        for (script, arguments) in cases {
            let result = try shell(script, arguments, in: workspace, environment: environment)
            #expect(result.status == 73, "\(script) \(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("cannot write to standard output: "), "\(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
            #expect(!result.stderr.contains(Self.sentinel))
        }
    }

    @Test func aClosedPipeEndsTheProcessWithSIGPIPE() throws {
        let (workspace, emulator) = try makeWorkspace()
        for arguments in [["get", "--env", "dev", "app/password"], ["check", "--env", "dev"]] {
            var descriptors: [Int32] = [0, 0]
            #expect(pipe(&descriptors) == 0)
            close(descriptors[0])  // nobody reads: every write fails with EPIPE
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
            process.arguments = arguments
            process.currentDirectoryURL = workspace.url
            var env = ProcessInfo.processInfo.environment
            env["SECRET_MANAGER_EMULATOR_HOST"] = emulator.host
            process.environment = env
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle(fileDescriptor: descriptors[1], closeOnDealloc: false)
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            close(descriptors[1])
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(
                process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGPIPE,
                "\(arguments): \(process.terminationReason) \(process.terminationStatus) \(stderr)")
            #expect(!stderr.contains("Fatal error"), "\(stderr)")
        }
    }

    @Test func execPassesOnDescriptorsItInherited() throws {
        let (workspace, emulator) = try makeWorkspace()
        let command = try BackgroundCommand(
            ["-c", "exec 7>inherited.txt; exec \"$0\" exec --env dev -- /bin/sh -c 'echo hi >&7'", CommandRunner.binary],
            in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host], executable: "/bin/sh")
        let result = command.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: workspace.path("inherited.txt"), encoding: .utf8) == "hi\n")
    }

    @Test func renderWithoutAnEnvironmentIsOneUsageError() throws {
        let (workspace, emulator) = try makeWorkspace(outputPath: "out/${SECRETSMITH_ENV}/app.env")
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        for command in [["render"], ["check"], ["lock"], ["exec", "--", "/bin/true"]] {
            let result = try CommandRunner.run(command, in: workspace.url, environment: environment)
            #expect(result.status == 64, "\(command): \(result.stderr)")
            // `check` prints its report on standard output, the others on standard error.
            let output = result.stdoutText + result.stderr
            let lines = output.split(separator: "\n").filter { $0.contains("error:") }
            #expect(lines.count == 1, "\(output)")
            #expect(lines.first?.hasSuffix("error: no environment selected: pass --env or set SECRETSMITH_ENV") == true, "\(output)")
            #expect(!output.contains(":-default"), "\(output)")
        }
        #expect(EmulatorStats(try emulator.stats()).accessCalls == 0)
    }

    @Test func thePortFileCannotBeTheSeedOrALink() throws {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "password", value: "pw")
        try workspace.write("seed.yaml", seed.yaml)
        let before = try workspace.read("seed.yaml")
        let same = try CommandRunner.run(
            ["emulator", "--port", "0", "--seed", "seed.yaml", "--port-file", "seed.yaml"], in: workspace.url)
        #expect(same.status == 64, "\(same.stderr)")
        #expect(same.stderr.contains("--port-file seed.yaml: it is the --seed file"), "\(same.stderr)")
        #expect(try workspace.read("seed.yaml") == before)

        try FileManager.default.createSymbolicLink(atPath: workspace.path("port"), withDestinationPath: "seed.yaml")
        let link = try CommandRunner.run(
            ["emulator", "--port", "0", "--seed", "seed.yaml", "--port-file", "port"], in: workspace.url)
        #expect(link.status == 64, "\(link.stderr)")
        #expect(link.stderr.contains("--port-file port: the path is a symbolic link"), "\(link.stderr)")
        #expect(try workspace.read("seed.yaml") == before)
    }
}
