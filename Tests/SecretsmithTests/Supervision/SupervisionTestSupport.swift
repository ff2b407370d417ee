#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Secretsmith
import SecretsmithTestSupport

/// The environment the test children run with: a search path and nothing of the test
/// process.
let childPath = ["PATH": "/usr/bin:/bin"]

/// Polls `condition` every 20 ms until it holds or `timeout` passes (a correctness bound
/// with generous slack, never a speed assertion).
func eventually(within timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

extension Workspace {
    /// The file's text, or `nil` when it does not exist (yet).
    func text(_ relative: String) -> String? {
        (try? read(relative)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Whether a process is gone or a zombie (ended, not yet reaped by its parent).
func hasEnded(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // "pid (comm) S ...": the state follows the last ')'.
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}

/// Runs `body` with a supervisor of `/bin/sh -c script`, and stops the child afterwards
/// (also when `body` throws), so no test leaves a process behind.
func withShellChild<Result>(
    _ script: String,
    environment: [String: String],
    _ body: (ChildSupervisor) async throws -> Result
) async throws -> Result {
    let supervisor = ChildSupervisor(
        argv: ["sh", "-c", script], environment: environment, logger: .init(label: "test"))
    do {
        let result = try await body(supervisor)
        _ = await supervisor.stop(signal: SIGKILL, gracePeriod: .seconds(5))
        return result
    } catch {
        _ = await supervisor.stop(signal: SIGKILL, gracePeriod: .seconds(5))
        throw error
    }
}

/// The processes of this user, alive and not zombies, whose environment holds `entry`
/// (`NAME=value`), read from `/proc`.
func liveProcesses(withEnvironmentEntry entry: String) -> Set<pid_t> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    var found: Set<pid_t> = []
    for name in names {
        guard let pid = pid_t(name), !hasEnded(pid),
            let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
        else { continue }
        if environ.split(separator: 0).contains(where: { $0.elementsEqual(entry.utf8) }) { found.insert(pid) }
    }
    return found
}
