#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Secretsmith
import SecretsmithTestSupport
import Testing

@Suite("Child supervisor", .timeLimit(.minutes(2)))
struct ChildSupervisorTests {
    @Test("a signal sent to the supervisor reaches the child")
    func signalReachesChild() async throws {
        try await withWorkspace { workspace in
            let script = #"trap 'echo HUP >> "$OUT"' HUP; echo ready > "$READY"; while :; do sleep 0.05; done"#
            let environment = childPath.merging(["OUT": workspace.path("out"), "READY": workspace.path("ready")]) { $1 }
            try await withShellChild(script, environment: environment) { supervisor in
                try await supervisor.start()
                #expect(await supervisor.processID != nil)
                #expect(await eventually { workspace.exists("ready") })
                await supervisor.send(SIGHUP)
                #expect(await eventually { workspace.text("out") == "HUP\n" })
                await supervisor.send(SIGHUP)
                #expect(await eventually { workspace.text("out") == "HUP\nHUP\n" })
            }
        }
    }

    @Test("restart gives a new process with the new environment, and its end is not reported")
    func restartStartsNewChild() async throws {
        try await withWorkspace { workspace in
            // Generation 1 sleeps until stopped; generation 2 waits for `go`, then exits 7.
            let script = #"""
                echo "$$" > "$OUT.$GEN"
                if [ "$GEN" = 2 ]; then
                    while [ ! -e "$GO" ]; do sleep 0.05; done
                    exit 7
                fi
                exec sleep 30
                """#
            let base = childPath.merging(["OUT": workspace.path("pid"), "GO": workspace.path("go")]) { $1 }
            try await withShellChild(script, environment: base.merging(["GEN": "1"]) { $1 }) { supervisor in
                try await supervisor.start()
                let first = try #require(await supervisor.processID)
                #expect(await eventually { workspace.text("pid.1") == "\(first)\n" })

                let waiter = Task { await supervisor.termination() }
                try await Task.sleep(for: .milliseconds(100))  // lets the waiter register before the restart
                try await supervisor.restart(environment: base.merging(["GEN": "2"]) { $1 }, gracePeriod: .seconds(10))

                let second = try #require(await supervisor.processID)
                #expect(second != first)
                #expect(await eventually { workspace.text("pid.2") == "\(second)\n" })
                #expect(hasEnded(first))

                try workspace.write("go", "")
                #expect(await waiter.value == .exited(7))
                #expect(await supervisor.processID == nil)
            }
        }
    }

    @Test("stop sends SIGKILL when the child ignores SIGTERM past the grace period")
    func stopEscalatesToKill() async throws {
        try await withWorkspace { workspace in
            let script = #"trap '' TERM; echo ready > "$READY"; while :; do sleep 0.05; done"#
            let environment = childPath.merging(["READY": workspace.path("ready")]) { $1 }
            try await withShellChild(script, environment: environment) { supervisor in
                try await supervisor.start()
                let pid = try #require(await supervisor.processID)
                #expect(await eventually { workspace.exists("ready") })
                let termination = await supervisor.stop(signal: SIGTERM, gracePeriod: .milliseconds(300))
                #expect(termination == .signaled(SIGKILL))
                #expect(termination?.exitCode == 137)
                #expect(await supervisor.termination() == .signaled(SIGKILL))
                #expect(await supervisor.processID == nil)
                #expect(hasEnded(pid))
            }
        }
    }

    @Test("stop of a child that honours SIGTERM reports it, and wakes a waiting termination()")
    func stopReportsSignal() async throws {
        try await withShellChild("exec sleep 30", environment: childPath) { supervisor in
            try await supervisor.start()
            let waiter = Task { await supervisor.termination() }
            let termination = await supervisor.stop(gracePeriod: .seconds(10))
            #expect(termination == .signaled(SIGTERM))
            #expect(termination?.exitCode == 143)
            #expect(await waiter.value == .signaled(SIGTERM))
        }
    }

    @Test("termination reports the exit status, or 128 + the signal", arguments: [
        ("exit 3", ProcessTermination.exited(3), Int32(3)),
        ("exit 0", .exited(0), 0),
        ("kill -TERM $$", .signaled(SIGTERM), 143),
        ("kill -KILL $$", .signaled(SIGKILL), 137),
    ])
    func terminationStatus(script: String, expected: ProcessTermination, exitCode: Int32) async throws {
        try await withShellChild(script, environment: childPath) { supervisor in
            try await supervisor.start()
            let termination = await supervisor.termination()
            #expect(termination == expected)
            #expect(termination.exitCode == exitCode)
        }
    }

    @Test("a command missing from PATH fails to start with 127, naming it")
    func missingCommand() async throws {
        let supervisor = ChildSupervisor(
            argv: ["secretsmith-no-such-command"], environment: childPath, logger: Logger(label: "test"))
        let error = try await #require(throws: CommandLookupError.self) { try await supervisor.start() }
        #expect(error.reason == .notFound)
        #expect(error.exitCode == 127)
        #expect(error.description == "watch: secretsmith-no-such-command: command not found in PATH")
        #expect(await supervisor.processID == nil)
        #expect(await supervisor.stop(gracePeriod: .seconds(1)) == nil)
    }

    @Test("a file that is not executable fails to start with 126")
    func notExecutable() async throws {
        try await withWorkspace { workspace in
            let path = try workspace.write("app", "#!/bin/sh\nexit 0\n")  // mode 0644
            let supervisor = ChildSupervisor(argv: [path], environment: childPath, logger: Logger(label: "test"))
            let error = try await #require(throws: CommandLookupError.self) { try await supervisor.start() }
            #expect(error.reason == .notExecutable)
            #expect(error.exitCode == 126)
        }
    }

    @Test("the child gets exactly the given environment and descriptors 0-2 only")
    func childProcessState() async throws {
        try await withWorkspace { workspace in
            var descriptors: [Int32] = [-1, -1]
            #expect(pipe(&descriptors) == 0)  // inheritable: no close-on-exec
            defer { descriptors.forEach { close($0) } }
            let script = #"""
                env > "$OUT.env"
                ls /proc/$$/fd > "$OUT.fd"
                """#
            let environment = childPath.merging(["OUT": workspace.path("out"), "SECRET_NAME": "v a l=ue"]) { $1 }
            try await withShellChild(script, environment: environment) { supervisor in
                try await supervisor.start()
                #expect(await supervisor.termination() == .exited(0))
            }
            let variables = Set((workspace.text("out.env") ?? "").split(separator: "\n").map(String.init))
            #expect(variables.contains("SECRET_NAME=v a l=ue"))
            #expect(variables.contains("PATH=/usr/bin:/bin"))
            let shellOwn: Set<String> = ["PWD", "SHLVL", "_", "OLDPWD"]
            let leaked = ProcessInfo.processInfo.environment.keys.filter { name in
                !shellOwn.contains(name) && environment[name] == nil
                    && variables.contains { $0.hasPrefix("\(name)=") }
            }
            #expect(leaked.isEmpty, "variables of the test process leaked: \(leaked.sorted())")

            let open = Set((workspace.text("out.fd") ?? "").split(separator: "\n").compactMap { Int32($0) })
            #expect(open.isSuperset(of: [0, 1, 2]))
            #expect(!open.contains(descriptors[0]) && !open.contains(descriptors[1]), "open in the child: \(open.sorted())")
        }
    }
}
