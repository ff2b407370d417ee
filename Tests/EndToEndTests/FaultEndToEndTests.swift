import Foundation
import SecretsmithTestSupport
import Testing

/// Faults seen from the command line: quota answers, and termination while writing.
@Suite(.serialized) struct FaultEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace(config extra: String = "", template: String? = nil) throws -> (Workspace, EmulatorProcess) {
        try Workspace.passwordFixture(
            settings: extra,
            outputs: """
              - { name: env, format: dotenv, path: out/app.env, values: { PASSWORD: app/password } }
              - { name: big, format: template, template: big.tmpl, path: out/big.conf }
            """,
            files: ["big.tmpl": template ?? "password: << secret \"app/password\" >>\n"])
    }

    @Test func quotaAnswersAreRetriedAfterRetryAfterThenFailWith69() throws {
        let (workspace, emulator) = try makeWorkspace(
            config: "defaults:\n  retry: { max_attempts: 3, initial_backoff: 10ms, max_backoff: 50ms }")
        try emulator.request("POST", "/_emulator/faults", body: [["kind": "resourceExhausted", "retryAfterSeconds": 1]])
        let started = Date()
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("RESOURCE_EXHAUSTED"))
        // Three attempts with two waits of at least Retry-After (1 s), though the policy's own
        // backoff is at most 50 ms: the server's wish is a floor.
        #expect(elapsed >= 2.0, "waited \(elapsed) s")
        #expect(try EmulatorStats(emulator.stats()).accessCalls == 3)
        #expect(!workspace.exists("out"))
    }

    @Test func sigtermWhileWritingLeavesTheOldOrTheNewFileAndNoTemporaryFile() throws {
        // About 24 MiB of template text around one placeholder, so rendering and writing take
        // long enough to be interrupted at different points.
        let line = String(repeating: "x", count: 1023) + "\n"
        let big = "password: << secret \"app/password\" >>\n" + String(repeating: line, count: 24 * 1024)
        let (workspace, emulator) = try makeWorkspace(template: big)
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        // The new content, from a complete render.
        let complete = try CommandRunner.run(
            ["render", "--env", "dev", "--only", "big", "--stdout"], in: workspace.url, environment: environment,
            stdoutMayHoldValues: true)
        #expect(complete.status == 0)
        let newContent = complete.stdout
        let oldContent = Array("old content\n".utf8)
        // Each access now answers after 400 ms, so every render is in flight for that long
        // at least: a window wide enough for a signal to arrive while it runs.
        try emulator.request("POST", "/_emulator/faults", body: [["kind": "latency", "latencyMs": 400, "method": "access"]])
        var outcomes: [Int32] = []
        // A loaded machine may finish a render before its signal arrives, or deliver the
        // signal before the handler is installed; the scenario repeats (at most three rounds)
        // until the handler interrupted one render. Every run of every round is checked.
        for _ in 1...3 where !outcomes.contains(143) {
            for delay in [0.05, 0.2, 0.4, 0.7, 1.0, 1.5, 2.5] {
                try workspace.write("out/big.conf", bytes: oldContent)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
                process.arguments = ["render", "--env", "dev", "--only", "big"]
                process.currentDirectoryURL = workspace.url
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                Thread.sleep(forTimeInterval: delay)
                process.terminate()  // SIGTERM
                process.waitUntilExit()
                outcomes.append(process.terminationStatus)
                // 143 (128 + SIGTERM) from the cleanup handler; killed by the signal itself when it
                // arrived before the handler was installed; 0 when the render had finished.
                let killedEarly = process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM
                #expect(
                    [0, 143].contains(process.terminationStatus) || killedEarly,
                    "exit status \(process.terminationStatus) after SIGTERM at \(delay) s")
                let content = try workspace.read("out/big.conf")
                #expect(content == oldContent || content == newContent, "never a mix (delay \(delay) s)")
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.path("out"))
                    .filter { $0.contains(".secretsmith-") }
                #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
            }
        }
        #expect(outcomes.contains(143), "at least one render was interrupted: \(outcomes)")
    }
}
