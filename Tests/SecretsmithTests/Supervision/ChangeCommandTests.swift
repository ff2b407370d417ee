#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Secretsmith
import SecretsmithTestSupport
import Testing

@Suite("on_change command", .timeLimit(.minutes(2)))
struct ChangeCommandTests {
    private let logger = Logger(label: "test")

    private func shell(_ script: String, timeout: Duration = .seconds(30)) -> ChangeCommand {
        ChangeCommand(argv: ["sh", "-c", script], timeout: timeout)
    }

    @Test("a command that ends in time reports its status")
    func finished() async {
        #expect(await shell("exit 4").run(environment: childPath, logger: logger) == .finished(.exited(4)))
        #expect(await shell("true").run(environment: childPath, logger: logger) == .finished(.exited(0)))
        #expect(await shell("kill -USR1 $$").run(environment: childPath, logger: logger) == .finished(.signaled(SIGUSR1)))
    }

    @Test("a command past its timeout is stopped with SIGTERM")
    func timeoutTerminates() async {
        let result = await shell("exec sleep 30", timeout: .milliseconds(200)).run(environment: childPath, logger: logger)
        #expect(result == .timedOut(.signaled(SIGTERM)))
    }

    @Test("a command that ignores SIGTERM is killed after the grace period")
    func timeoutKills() async {
        let command = shell("trap '' TERM; while :; do sleep 0.05; done", timeout: .milliseconds(200))
        let result = await command.run(environment: childPath, logger: logger, killGracePeriod: .milliseconds(200))
        #expect(result == .timedOut(.signaled(SIGKILL)))
    }

    /// `watch` stopping on SIGTERM cancels the reaction: a running command is stopped then,
    /// not when its timeout ends (it used to keep watch alive for the whole timeout).
    @Test("cancelling the caller stops the command at once, with its process group")
    func cancellationStops() async throws {
        try await withWorkspace { workspace in
            let command = shell(#"sleep 60 & echo $! > "$OUT"; wait"#, timeout: .seconds(60))
            let environment = childPath.merging(["OUT": workspace.path("pid")]) { $1 }
            let started = ContinuousClock.now
            let run = Task { await command.run(environment: environment, logger: logger, killGracePeriod: .seconds(2)) }
            #expect(await eventually { workspace.text("pid")?.isEmpty == false })
            run.cancel()
            let result = await run.value
            #expect(result == .stopped(.signaled(SIGTERM)))
            // Well inside the 60 s timeout (the bound is the grace periods, with slack for load).
            #expect(ContinuousClock.now - started < .seconds(30))
            let text = try #require(workspace.text("pid"))
            let grandchild = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await eventually { hasEnded(grandchild) })
        }
    }

    @Test("a timeout stops what the command started too (its process group)")
    func timeoutStopsProcessGroup() async throws {
        try await withWorkspace { workspace in
            let command = shell(#"sleep 30 & echo $! > "$OUT"; wait"#, timeout: .milliseconds(300))
            let environment = childPath.merging(["OUT": workspace.path("pid")]) { $1 }
            let result = await command.run(environment: environment, logger: logger)
            guard case .timedOut(let termination) = result else {
                Issue.record("expected a timeout, got \(result)")
                return
            }
            #expect(termination != nil)
            let text = try #require(workspace.text("pid"))
            let grandchild = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await eventually { hasEnded(grandchild) })
        }
    }

    @Test("standard input is /dev/null and the environment is the one given")
    func standardInputAndEnvironment() async throws {
        try await withWorkspace { workspace in
            let script = #"readlink /proc/$$/fd/0 > "$OUT.stdin"; cat > "$OUT.cat"; echo "$MARK" > "$OUT.mark""#
            let environment = childPath.merging(["OUT": workspace.path("out"), "MARK": "m1"]) { $1 }
            let result = await shell(script).run(environment: environment, logger: logger)
            #expect(result == .finished(.exited(0)))
            #expect(workspace.text("out.stdin") == "/dev/null\n")
            #expect(workspace.text("out.cat") == "")
            #expect(workspace.text("out.mark") == "m1\n")
        }
    }

    @Test("a missing command fails to start, named in the reason")
    func missingCommand() async {
        let result = await ChangeCommand(argv: ["secretsmith-no-such-hook", "--flag"], timeout: .seconds(5))
            .run(environment: childPath, logger: logger)
        #expect(result == .failedToStart("The on_change command secretsmith-no-such-hook was not found in PATH."))
    }

    @Test("a file that is not executable fails to start, named in the reason")
    func notExecutable() async throws {
        try await withWorkspace { workspace in
            let path = try workspace.write("hook", "#!/bin/sh\nexit 0\n")  // mode 0644
            let result = await ChangeCommand(argv: [path], timeout: .seconds(5)).run(environment: childPath, logger: logger)
            #expect(result == .failedToStart("The on_change command \(path) is not an executable file."))
        }
    }

    @Test("an empty command fails to start")
    func emptyCommand() async {
        let result = await ChangeCommand(argv: [], timeout: .seconds(5)).run(environment: childPath, logger: logger)
        #expect(result == .failedToStart("The on_change command is empty."))
    }

    @Test("a script without #! runs with /bin/sh, as execvp does")
    func scriptWithoutInterpreterLine() async throws {
        try await withWorkspace { workspace in
            let path = try workspace.write("hook", "exit 5\n")
            #expect(chmod(path, 0o755) == 0)
            // While other tests spawn processes, a child between its clone and its exec
            // still holds the descriptor this test wrote the file through: exec then fails
            // with ETXTBSY ("Text file busy") for a moment. Retry a few times.
            var result = ChangeCommandResult.failedToStart("not run")
            for _ in 0..<20 {
                result = await ChangeCommand(argv: [path], timeout: .seconds(30)).run(environment: childPath, logger: logger)
                guard case .failedToStart(let reason) = result, reason.hasSuffix("Text file busy.") else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(result == .finished(.exited(5)))
        }
    }

    @Test("several commands run at once, each observed once")
    func concurrentCommands() async {
        let results = await withTaskGroup(of: ChangeCommandResult.self) { group in
            for status in 0..<8 {
                group.addTask { await shell("sleep 0.1; exit \(status)").run(environment: childPath, logger: logger) }
            }
            return await group.reduce(into: [ChangeCommandResult]()) { $0.append($1) }
        }
        #expect(Set(results) == Set((0..<8).map { ChangeCommandResult.finished(.exited(Int32($0))) }))
    }
}
