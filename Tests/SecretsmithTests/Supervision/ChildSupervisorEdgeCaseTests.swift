#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Secretsmith
import SecretsmithTestSupport
import Testing

@Suite("Child supervisor edge cases", .timeLimit(.minutes(2)))
struct ChildSupervisorEdgeCaseTests {
    @Test("a child that exits at once is reported; signals to it and stop do nothing to other processes")
    func childExitsAtOnce() async throws {
        try await withShellChild("exit 5", environment: childPath) { supervisor in
            try await supervisor.start()
            #expect(await supervisor.termination() == .exited(5))
            #expect(await supervisor.processID == nil)
            await supervisor.send(SIGHUP)  // no child: nothing is sent
            #expect(await supervisor.stop(gracePeriod: .seconds(1)) == .exited(5))
            #expect(await supervisor.termination() == .exited(5))
        }
    }

    @Test("termination() called before start waits for the child that start starts")
    func terminationBeforeStart() async throws {
        try await withShellChild("exit 6", environment: childPath) { supervisor in
            let waiter = Task { await supervisor.termination() }
            try await Task.sleep(for: .milliseconds(50))  // lets the waiter register first
            try await supervisor.start()
            #expect(await waiter.value == .exited(6))
        }
    }

    @Test("start while a child runs does nothing")
    func startTwice() async throws {
        try await withShellChild("exec sleep 30", environment: childPath) { supervisor in
            try await supervisor.start()
            let pid = try #require(await supervisor.processID)
            try await supervisor.start()
            #expect(await supervisor.processID == pid)
        }
    }

    @Test("restart after the child already ended starts a new one, whose end is reported")
    func restartAfterExit() async throws {
        try await withWorkspace { workspace in
            let script = #"echo "$$" > "$OUT.$GEN"; if [ "$GEN" = 1 ]; then exit 1; fi; while [ ! -e "$GO" ]; do sleep 0.05; done; exit 2"#
            let base = childPath.merging(["OUT": workspace.path("pid"), "GO": workspace.path("go")]) { $1 }
            try await withShellChild(script, environment: base.merging(["GEN": "1"]) { $1 }) { supervisor in
                try await supervisor.start()
                #expect(await supervisor.termination() == .exited(1))
                try await supervisor.restart(environment: base.merging(["GEN": "2"]) { $1 }, gracePeriod: .seconds(5))
                let pid = try #require(await supervisor.processID)
                #expect(await eventually { workspace.text("pid.2") == "\(pid)\n" })
                try workspace.write("go", "")
                #expect(await supervisor.termination() == .exited(2))
            }
        }
    }

    @Test("overlapping restarts leave exactly one child running")
    func overlappingRestarts() async throws {
        let marker = "SUPERVISION_TEST_MARK=\(UUID().uuidString)"
        let environment = childPath.merging(["SUPERVISION_TEST_MARK": String(marker.split(separator: "=")[1])]) { $1 }
        try await withShellChild("exec sleep 30", environment: environment) { supervisor in
            try await supervisor.start()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await supervisor.restart(environment: environment, gracePeriod: .seconds(10)) }
                }
                try await group.waitForAll()
            }
            let current = try #require(await supervisor.processID)
            // Every child but the last has ended (or is ending: restart waited for each).
            #expect(await eventually { liveProcesses(withEnvironmentEntry: marker) == [current] })
        }
    }

    @Test("a restart whose command is gone throws, and termination() reports 127")
    func restartCommandGone() async throws {
        try await withShellChild("exec sleep 30", environment: childPath) { supervisor in
            try await supervisor.start()
            let old = try #require(await supervisor.processID)
            let error = try await #require(throws: CommandLookupError.self) {
                try await supervisor.restart(environment: ["PATH": "/nonexistent"], gracePeriod: .seconds(10))
            }
            #expect(error.exitCode == 127)
            #expect(error.description == "watch: sh: command not found in PATH")
            #expect(await supervisor.termination() == .exited(127))
            #expect(await supervisor.processID == nil)
            #expect(hasEnded(old))
        }
    }

    @Test("stop waits for a restart under way, then stops the new child")
    func stopDuringRestart() async throws {
        try await withWorkspace { workspace in
            // Ignores SIGTERM, so the restart takes its whole grace period.
            let script = #"trap '' TERM; echo "$$" >> "$PIDS"; while :; do sleep 0.05; done"#
            let environment = childPath.merging(["PIDS": workspace.path("pids")]) { $1 }
            try await withShellChild(script, environment: environment) { supervisor in
                try await supervisor.start()
                #expect(await eventually { workspace.exists("pids") })
                let restart = Task {
                    try await supervisor.restart(environment: environment, gracePeriod: .milliseconds(300))
                }
                try await Task.sleep(for: .milliseconds(50))  // lets the restart begin first
                let termination = await supervisor.stop(signal: SIGKILL, gracePeriod: .seconds(5))
                try await restart.value
                #expect(termination == .signaled(SIGKILL))
                #expect(await supervisor.processID == nil)
                let pids = (workspace.text("pids") ?? "").split(separator: "\n").compactMap { pid_t($0) }
                for pid in pids {
                    #expect(await eventually { hasEnded(pid) }, "pid \(pid) still runs")
                }
            }
        }
    }
}
