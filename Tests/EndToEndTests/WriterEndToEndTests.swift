import Foundation
import SecretsmithTestSupport
import Testing

/// The writer seen from the command line: files a run must never overwrite, paths that
/// used to hang, and all or nothing under SIGTERM and SIGKILL.
@Suite(.serialized) struct WriterEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace(outputs: String, files: [String: String] = [:]) throws -> (Workspace, EmulatorProcess) {
        try Workspace.passwordFixture(outputs: outputs, files: files)
    }

    /// Runs a command, failing the test (and killing the process) if it takes over 60 s.
    ///
    /// - Returns: The exit status and standard error followed by standard output.
    func runBounded(_ arguments: [String], in workspace: Workspace, environment: [String: String]) throws -> (Int32, String) {
        let command = try BackgroundCommand(arguments, in: workspace, environment: environment)
        let deadline = Date().addingTimeInterval(60)
        while command.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(!command.process.isRunning, "\(arguments) did not finish in 60 s")
        if command.process.isRunning { kill(command.pid, SIGKILL) }
        let result = command.wait()
        let stdout = (try? String(contentsOfFile: command.stdoutPath, encoding: .utf8)) ?? ""
        return (result.status, result.stderr + stdout)
    }

    @Test func anOutputOverTheConfigurationOrATemplateIsRefusedAndNothingIsWritten() throws {
        for path in ["./secretsmith.yaml", "sub/../t.tmpl", "secretsmith.lock"] {
            let (workspace, emulator) = try makeWorkspace(
                outputs: """
                  - { name: t, format: template, template: t.tmpl, path: "\(path)" }
                """, files: ["t.tmpl": "pw=<< secret \"app/password\" >>\n", "secretsmith.lock": "{}\n"])
            let watched = ["secretsmith.yaml", "t.tmpl", "secretsmith.lock"]
            let before = watched.map { (try? workspace.read($0)) ?? [] }
            for command in [["render", "--env", "dev"], ["check", "--env", "dev"], ["lock", "--env", "dev"]] {
                let (status, stderr) = try runBounded(
                    command, in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
                #expect(status == 65, "\(command) with path \(path): \(stderr)")
                #expect(stderr.contains("Output \"t\" would write"), "\(stderr)")
            }
            #expect(watched.map { (try? workspace.read($0)) ?? [] } == before, "a file changed (\(path))")
        }
    }

    @Test func commandLineFilesMayNotReplaceTheConfigurationATemplateOrAnOutput() throws {
        let (workspace, emulator) = try makeWorkspace(
            outputs: """
              - { name: t, format: template, template: t.tmpl, path: out/t.env }
            """, files: ["t.tmpl": "pw=<< secret \"app/password\" >>\n"])
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let configuration = try workspace.read("secretsmith.yaml")
        let cases: [[String]] = [
            ["--metrics-file", "secretsmith.yaml"], ["--trace-file", "./secretsmith.yaml"],
            ["--trace-file", "t.tmpl"], ["--manifest", "out/t.env"], ["--manifest", "secretsmith.yaml"],
            ["--metrics-file", "m.prom", "--trace-file", "m.prom"],
        ]
        for flags in cases {
            let (status, stderr) = try runBounded(["render", "--env", "dev"] + flags, in: workspace, environment: environment)
            #expect(status == 65, "\(flags): \(stderr)")
            #expect(stderr.contains("would write") || stderr.contains("both write"), "\(flags): \(stderr)")
            #expect(try workspace.read("secretsmith.yaml") == configuration)
            #expect(try workspace.read("t.tmpl") == Array("pw=<< secret \"app/password\" >>\n".utf8))
            #expect(!workspace.exists("out/t.env"), "\(flags)")
            #expect(!workspace.exists("m.prom"))
        }
        // Even when the configuration cannot be loaded, the metrics file does not replace it.
        try workspace.write("broken.yaml", "version: [\n")
        let broken = try workspace.read("broken.yaml")
        let (status, _) = try runBounded(
            ["check", "--config", "broken.yaml", "--metrics-file", "broken.yaml"], in: workspace, environment: environment)
        #expect(status == 65)
        #expect(try workspace.read("broken.yaml") == broken)
    }

    @Test func theTraceFileRefusesASymbolicLinkAsTheMetricsFileDoes() throws {
        let (workspace, emulator) = try makeWorkspace(
            outputs: """
              - { name: env, format: dotenv, path: out/app.env, values: { P: app/password } }
            """, files: ["elsewhere.txt": "keep me\n"])
        #expect(symlink("elsewhere.txt", workspace.path("trace.jsonl")) == 0)
        let (status, stderr) = try runBounded(
            ["render", "--env", "dev", "--trace-file", "trace.jsonl"], in: workspace,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("trace file") && stderr.contains("symbolic link"), "\(stderr)")
        #expect(try workspace.read("elsewhere.txt") == Array("keep me\n".utf8))
    }

    @Test func aPathThroughAMissingDirectoryAndDotDotDoesNotHang() throws {
        let (workspace, emulator) = try makeWorkspace(
            outputs: """
              - { name: q, format: dotenv, path: out/nonexist/../q.env, values: { P: app/password } }
              - { name: t, format: template, template: t.tmpl, path: out/nonexist/../t.env }
            """, files: ["t.tmpl": "x\n", "out/keep": ""])
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        for command in [["check", "--env", "dev"], ["explain", "app/password", "--env", "dev"],
                        ["lock", "--env", "dev"], ["render", "--env", "dev"]] {
            let (status, stderr) = try runBounded(command, in: workspace, environment: environment)
            #expect(status == 0, "\(command): \(stderr)")
        }
        #expect(workspace.exists("out/q.env") && workspace.exists("out/t.env"))
        #expect(!workspace.exists("out/nonexist"))
        let (status, stderr) = try runBounded(
            ["exec", "--env", "dev", "--only", "t", "--", "/bin/true"], in: workspace, environment: environment)
        #expect(status == 0, "\(stderr)")
    }

    @Test func aTemplateThatIsNotARegularFileIsAConfigurationError() throws {
        let (workspace, emulator) = try makeWorkspace(
            outputs: """
              - { name: d, format: template, template: ".", path: out/d.env }
              - { name: n, format: template, template: /dev/null, path: out/n.env }
              - { name: f, format: template, template: fifo, path: out/f.env }
            """, files: ["out/d.env": "good\n"])
        #expect(mkfifo(workspace.path("fifo"), 0o600) == 0)
        for command in [["render", "--env", "dev"], ["check", "--env", "dev", "--access"]] {
            let (status, stderr) = try runBounded(
                command, in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
            #expect(status == 65, "\(command): \(stderr)")
            #expect(stderr.components(separatedBy: "not a regular file").count >= 4, "\(command): \(stderr)")
        }
        #expect(try workspace.read("out/d.env") == Array("good\n".utf8))
    }

    @Test func staleTemporaryFilesOfTheOutputsAreRemovedAndCountedInTheLog() throws {
        let (workspace, emulator) = try makeWorkspace(
            outputs: """
              - { name: env, format: dotenv, path: out/app.env, values: { P: app/password } }
            """,
            files: [
                "out/.app.env.secretsmith-0123456789abcdef.tmp": "P=old-\(Self.sentinel)\n",
                "out/.app.env.secretsmith-00000000000000aa.tmp": "P=old-\(Self.sentinel)\n",
                "out/.other.env.secretsmith-0123456789abcdef.tmp": "not an output of this run\n",
                "out/app.env.secretsmith-0123456789abcdef.tmp": "not the pattern\n",
            ])
        let (status, output) = try runBounded(
            ["render", "--env", "dev", "--log-level", "info", "--log-format", "json"], in: workspace,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(status == 0, "\(output)")
        let line = output.split(separator: "\n").first { $0.contains("removed stale temporary files") }
        #expect(line?.contains("\"count\":\"2\"") == true, "\(output)")
        #expect(workspace.allFiles().filter { $0.hasPrefix("out/") }.sorted() == [
            "out/.other.env.secretsmith-0123456789abcdef.tmp", "out/app.env", "out/app.env.secretsmith-0123456789abcdef.tmp",
        ])
    }

    /// A bounded version of `bench/kill-trials.py`: 20 outputs switch between two versions
    /// of their secrets; renders are killed at random moments. Plain files: over two
    /// directories, each file wholly old or new, all of them after SIGTERM. `atomic_dir`:
    /// in one directory, all old or all new after SIGKILL too.
    @Test(arguments: [false, true])
    func killTrialsLeaveEveryDestinationOldOrNewAndNoTemporaryFileAfterTheNextRun(atomicDirectory: Bool) throws {
        let workspace = try Workspace()
        let count = 20
        var seed = SeedBuilder()
        func value(_ index: Int, _ version: String) -> String {
            "s\(index)-\(version)-\(Self.sentinel)-" + String(repeating: version, count: 200)
        }
        for index in 0..<count {
            seed.add(
                project: "acme-kill", number: 400_000_000_001, secret: "s\(index)",
                versions: [.init(bytes: Array(value(index, "A").utf8)), .init(bytes: Array(value(index, "B").utf8))])
        }
        try workspace.write("seed.yaml", seed.yaml)
        for (version, number) in [("A", 1), ("B", 2)] {
            var text = """
                version: 1
                environments:
                  dev:
                    projects:
                      kill: { project_id: acme-kill, allow_undeclared: true }
                outputs:

                """
            for index in 0..<count {
                let folder = atomicDirectory ? "c" : index % 2 == 0 ? "a" : "b"
                text += "  - { name: o\(index), format: dotenv, path: out/\(folder)/o\(index).env, "
                    + "values: { V: kill/s\(index)@\(number) }\(atomicDirectory ? ", atomic_dir: true" : "") }\n"
            }
            try workspace.write("config-\(version).yaml", text)
        }
        let emulator = try EmulatorProcess(
            seed: workspace.path("seed.yaml"), in: workspace, extraArguments: ["--fault", "latency:3+3,method=access"])
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let paths = (0..<count).map { "out/\(atomicDirectory ? "c" : $0 % 2 == 0 ? "a" : "b")/o\($0).env" }
        func contents() -> [[UInt8]?] { paths.map { try? workspace.read($0) } }
        func temporaryFiles() -> [String] {
            // Temporary files, and timestamped directories beyond the one `..data` points to.
            let directories = ((try? FileManager.default.contentsOfDirectory(atPath: workspace.path("out/c"))) ?? [])
                .filter { $0.hasPrefix("..2") }
            return workspace.allFiles().filter { $0.contains(".secretsmith-") } + directories.dropFirst()
        }
        func render(_ version: String) -> [String] { ["render", "--config", "config-\(version).yaml", "--env", "dev"] }

        var expected: [String: [[UInt8]?]] = [:]
        var durations: [TimeInterval] = []
        for version in ["A", "B", "A", "B"] {
            let started = Date()
            let result = try CommandRunner.run(render(version), in: workspace.url, environment: environment)
            durations.append(Date().timeIntervalSince(started))
            try #require(result.status == 0, "\(result.stderr)")
            expected[version] = contents()
        }
        let span = durations.sorted()[durations.count / 2] * 1.1
        var state = "B"
        var generator = SystemRandomNumberGenerator()
        var interrupted = 0
        for signal in [SIGTERM, SIGKILL] {
            for trial in 0..<20 {
                let new = state == "A" ? "B" : "A"
                let command = try BackgroundCommand(render(new), in: workspace, environment: environment)
                Thread.sleep(forTimeInterval: Double.random(in: 0...span, using: &generator))
                kill(command.pid, signal)
                let result = command.wait()
                let now = contents()
                let old = zip(now, expected[state]!).filter { $0 == $1 }.count
                let fresh = zip(now, expected[new]!).filter { $0 == $1 }.count
                #expect(old + fresh == count, "a torn file (signal \(signal), trial \(trial))")
                if signal == SIGTERM || atomicDirectory {
                    #expect(old == 0 || fresh == 0, "a mix: \(old) old and \(fresh) new (signal \(signal), trial \(trial))")
                }
                let killed = result.reason == .uncaughtSignal && result.status == signal
                let finished = result.reason == .exit && result.status == 0 && fresh == count
                let handled = signal == SIGTERM && result.reason == .exit && result.status == 143
                #expect(killed || finished || handled, "exit \(result.status) (\(result.reason)) after signal \(signal)")
                if !finished { interrupted += 1 }
                if signal == SIGTERM {
                    #expect(temporaryFiles().isEmpty, "SIGTERM left temporary files: \(temporaryFiles())")
                }
                let next = try CommandRunner.run(render(new), in: workspace.url, environment: environment)
                #expect(next.status == 0, "\(next.stderr)")
                #expect(temporaryFiles().isEmpty, "temporary files left after the next run: \(temporaryFiles())")
                state = new
            }
        }
        #expect(interrupted > 0, "no render was interrupted")
    }
}
