import Foundation
import SecretsmithTestSupport
import Testing

/// The crash and core-dump policy, and what `exec`'s COMMAND inherits, seen from outside
/// the process.
@Suite(.serialized) struct ProcessHardeningEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace() throws -> (Workspace, EmulatorProcess) {
        try Workspace.passwordFixture(
            outputs: "  - { name: env, format: dotenv, path: out/app.env, values: { PASSWORD: app/password } }")
    }

    @Test func everyProcessDisablesCoreDumpsUnlessAllowed() throws {
        let workspace = try Workspace()
        let hardened = try CommandRunner.run(["diagnose-process"], in: workspace.url)
        #expect(hardened.status == 0)
        #expect(hardened.stdoutText == "core_limit=0\ndumpable=0\nfatal_signals=terminate\n")
        let allowed = try CommandRunner.run(
            ["diagnose-process"], in: workspace.url, environment: ["SECRETSMITH_ALLOW_CORE_DUMPS": "1"])
        #expect(allowed.stdoutText.contains("dumpable=1\n"))
        #expect(allowed.stdoutText.contains("fatal_signals=default\n"))
    }

    /// A render waiting on Secret Manager: its core limit is 0 (read from /proc), and
    /// SIGSEGV from outside kills it with that signal, with no output, no temporary file
    /// and no backtrace.
    @Test func aCrashSignalKillsAStalledRenderAndWritesNothing() throws {
        let (workspace, emulator) = try makeWorkspace()
        try emulator.request("POST", "/_emulator/faults", body: ["stall:60,method=access"])
        let render = try BackgroundCommand(
            ["render", "--env", "dev"], in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try EmulatorStats(emulator.stats())).accessCalls == 0 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try EmulatorStats(emulator.stats()).accessCalls >= 1, "the render reached Secret Manager")
        let limits = try String(contentsOfFile: "/proc/\(render.pid)/limits", encoding: .utf8)
        let core = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        #expect(core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).first == "0", "\(core)")

        kill(render.pid, SIGSEGV)
        let result = render.wait()
        #expect(result.reason == .uncaughtSignal && result.status == SIGSEGV, "status \(result.status) \(result.reason)")
        #expect(result.stderr.contains("fatal signal"))
        #expect(!result.stderr.contains("Program crashed"), "no backtrace: \(result.stderr)")
        #expect(try String(contentsOfFile: render.stdoutPath, encoding: .utf8).isEmpty)
        #expect(!workspace.exists("out"), "nothing written, no temporary file")
    }

    /// COMMAND gets none of the descriptors secretsmith opened (its event loops' epoll and
    /// eventfd, its sockets): every descriptor it sees above 2, but the directory `ls`
    /// opened, is one secretsmith was started with (a parallel test run can leak another
    /// test's pipe or socket into it; those are passed on, see NewUserTrialEndToEndTests).
    @Test func execGivesCommandNoneOfSecretsmithsOwnDescriptors() throws {
        let (workspace, emulator) = try makeWorkspace()
        let command = try BackgroundCommand(
            [
                "-c", "ls -l /proc/$$/fd > inherited.txt; exec \"$0\" exec --env dev -- /bin/ls -l /proc/self/fd",
                CommandRunner.binary,
            ],
            in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host], executable: "/bin/sh")
        let result = command.wait()
        #expect(result.status == 0, "\(result.stderr)")
        func targets(_ listing: String) -> [(number: Int, target: String)] {
            listing.split(separator: "\n").compactMap { line in
                guard let arrow = line.range(of: " -> "),
                    let number = line[..<arrow.lowerBound].split(separator: " ").last.flatMap({ Int($0) })
                else { return nil }
                return (number, String(line[arrow.upperBound...]))
            }
        }
        let inherited = Set(targets(try String(contentsOfFile: workspace.path("inherited.txt"), encoding: .utf8)).map(\.target))
        let listing = try String(contentsOfFile: command.stdoutPath, encoding: .utf8)
        let seen = targets(listing)
        #expect(seen.map(\.number).starts(with: [0, 1, 2]) || Set(seen.map(\.number)).isSuperset(of: [0, 1, 2]), "\(listing)")
        let own = seen.filter { $0.number > 2 && !$0.target.hasPrefix("/proc/") && !inherited.contains($0.target) }
        #expect(own.isEmpty, "descriptors secretsmith opened reached COMMAND: \(listing)")
        #expect(!listing.contains("eventpoll") || inherited.contains { $0.contains("eventpoll") }, "\(listing)")
    }

    @Test func execGivesCommandTheCoreLimitSecretsmithInherited() throws {
        let (workspace, emulator) = try makeWorkspace()
        let command = try BackgroundCommand(
            ["-c", "ulimit -c 1024 && exec \"$0\" exec --env dev -- /bin/sh -c 'ulimit -c'", CommandRunner.binary],
            in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host], executable: "/bin/sh")
        let result = command.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: command.stdoutPath, encoding: .utf8) == "1024\n")
    }

    @Test func theEmulatorStopsOnSIGTERMWithoutLoggingAnError() throws {
        let (workspace, emulator) = try makeWorkspace()
        try emulator.request("POST", "/_emulator/faults", body: ["stall:60,method=access"])
        // A request in progress (stalled) and an idle keep-alive connection when the signal comes.
        _ = try emulator.request("GET", "/_emulator/health")
        let render = try BackgroundCommand(
            ["render", "--env", "dev"], in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try EmulatorStats(emulator.stats())).accessCalls == 0 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let started = Date()
        emulator.process.terminate()
        emulator.process.waitUntilExit()
        #expect(Date().timeIntervalSince(started) < 30, "the 60 s stall was cut short")
        #expect(emulator.process.terminationReason == .exit && emulator.process.terminationStatus == 0)
        let log = try String(contentsOfFile: workspace.path("emulator.log"), encoding: .utf8)
        #expect(!log.lowercased().contains("error"), "\(log)")
        kill(render.pid, SIGKILL)
        _ = render.wait()
    }
}
