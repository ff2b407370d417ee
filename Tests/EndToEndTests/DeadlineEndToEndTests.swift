import Foundation
import SecretsmithTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The run's deadline and an unreachable endpoint, as a user meets them: the built binary
/// against an emulator process whose every access stalls, or against a port where nothing
/// listens. The time bounds are correctness bounds with generous slack (a loaded machine
/// runs the whole suite at once); each is far below what the old behaviour took (about
/// 100 s for the stalled runs, whose attempts each waited the 20 s timeout, and 27 s for
/// the closed port). Alone, each run takes about 2 s.
@Suite(.serialized) struct DeadlineEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    /// A workspace whose accesses all stall for 30 s; the per-request timeout is 20 s, so a
    /// run that waited for its in-flight calls would take 20 s or more.
    func stalledWorkspace(defaults: String = "") throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        for n in 1...5 { seed.add(project: "acme-app-dev", secret: "s\(n)", value: "v\(n)-\(Self.sentinel)") }
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              timeout: 20s
            \(defaults)
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets: { s1: {}, s2: {}, s3: {}, s4: {}, s5: {} }
            outputs:
              - name: env
                format: dotenv
                path: out/app.env
                values: { S1: app/s1, S2: app/s2, S3: app/s3, S4: app/s4, S5: app/s5 }

            """)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        try emulator.request("POST", "/_emulator/faults", body: [["kind": "stall", "seconds": 30, "method": "access"]])
        return (workspace, emulator)
    }

    /// Runs the binary and returns its result with the elapsed seconds.
    func timed(_ arguments: [String], in workspace: Workspace, environment: [String: String]) throws
        -> (CommandRunner.Result, Double)
    {
        let started = Date()
        let result = try CommandRunner.run(arguments, in: workspace.url, environment: environment)
        return (result, Date().timeIntervalSince(started))
    }

    func expectNothingWritten(_ workspace: Workspace, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!workspace.exists("out/app.env"), sourceLocation: sourceLocation)
        #expect(
            !workspace.allFiles().contains { $0.contains(".secretsmith-") }, "no temporary file is left",
            sourceLocation: sourceLocation)
    }

    @Test func renderTimeoutCancelsStalledAccesses() throws {
        let (workspace, emulator) = try stalledWorkspace()
        let (result, elapsed) = try timed(
            ["render", "--env", "dev", "--timeout", "2s"], in: workspace,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("deadline of 2s"), "\(result.stderr)")
        #expect(elapsed >= 2 && elapsed < 15, "exited after \(elapsed) s")
        expectNothingWritten(workspace)
    }

    @Test func deadlineInTheFileCancelsStalledAccesses() throws {
        let (workspace, emulator) = try stalledWorkspace(defaults: "  deadline: 2s")
        let (result, elapsed) = try timed(
            ["render", "--env", "dev"], in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(elapsed >= 2 && elapsed < 15, "exited after \(elapsed) s")
        expectNothingWritten(workspace)
    }

    @Test func execTimeoutCancelsStalledAccessesAndNeverStartsTheCommand() throws {
        let (workspace, emulator) = try stalledWorkspace()
        let (result, elapsed) = try timed(
            ["exec", "--env", "dev", "--timeout", "2s", "--", "/bin/sh", "-c", "touch ran"], in: workspace,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(elapsed >= 2 && elapsed < 15, "exited after \(elapsed) s")
        #expect(!workspace.exists("ran"))
        expectNothingWritten(workspace)
    }

    @Test func nothingListeningFailsFastWithAHint() throws {
        let workspace = try Workspace()
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { password: {} } }
            outputs: []

            """)
        let closed = try ClosedPort()
        let port = closed.port
        // Default settings: a 10 s timeout per request and 5 attempts. Waiting the timeout on
        // each attempt took about 27 s; failing each refused connection at once leaves only
        // the backoff (at most 0.25 + 0.5 + 1 + 2 s).
        let (result, elapsed) = try timed(
            ["get", "dev/app/password"], in: workspace,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:\(port)"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("nothing is listening at 127.0.0.1:\(port)"), "\(result.stderr)")
        #expect(result.stderr.contains("is the emulator running"), "\(result.stderr)")
        #expect(!result.stderr.contains("errno"), "\(result.stderr)")
        #expect(elapsed < 15, "failed after \(elapsed) s")
        withExtendedLifetime(closed) {}
    }
}
