#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A child process started by ``ProcessSpawner``, and the one place its end is observed.
///
/// Reaping: each process has a dedicated waiter thread (not a Swift concurrency thread)
/// blocked in `waitid(P_PID, pid, WEXITED | WNOWAIT)`. When the child ends, the thread
/// takes the lock, reaps it with `waitpid` (so no zombie lingers, even if nobody ever
/// asks how it ended), records the ``ProcessTermination`` and resumes every waiter. The
/// exit status is thus read exactly once, and only for this pid: other children of the
/// process (other spawned processes, Foundation's `Process`) are left to their owners.
///
/// Signals: ``send(_:toProcessGroup:)`` signals under the same lock and only while the
/// child is not yet reaped. Until `waitpid` the pid belongs to the child (a zombie at
/// worst), so a signal can never reach an unrelated process that reused the pid.
package final class SpawnedProcess: Sendable {
    /// The child's process id.
    package let pid: pid_t
    /// A number unique to this process object within this run (pids are reused).
    package let serial: UInt64
    /// Whether the child leads its own process group (``send(_:toProcessGroup:)`` can
    /// signal the group).
    package let leadsProcessGroup: Bool

    private struct State {
        var termination: ProcessTermination?
        var waiters: [UInt64: CheckedContinuation<ProcessTermination?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())
    private static let serials = Atomic<UInt64>(0)

    /// Takes ownership of a child just spawned and starts its waiter thread.
    init(pid: pid_t, leadsProcessGroup: Bool) {
        self.pid = pid
        self.leadsProcessGroup = leadsProcessGroup
        self.serial = Self.serials.wrappingAdd(1, ordering: .relaxed).newValue
        let thread = Thread { [self] in self.waitForEnd() }
        thread.name = "secretsmith.wait.\(pid)"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// How the child ended; `nil` while it runs.
    package var termination: ProcessTermination? { state.withLock { $0.termination } }

    /// Whether the child has not been reaped yet.
    package var isRunning: Bool { termination == nil }

    /// Sends `signal` to the child (or, with `toProcessGroup` when the child leads its own
    /// group, to every process of that group).
    ///
    /// - Returns: whether the signal was sent: `false` once the child was reaped, or when
    ///   `kill(2)` failed.
    @discardableResult
    package func send(_ signal: Int32, toProcessGroup: Bool = false) -> Bool {
        state.withLock { state in
            guard state.termination == nil else { return false }
            let target = toProcessGroup && leadsProcessGroup ? -pid : pid
            return kill(target, signal) == 0
        }
    }

    /// Waits until the child ends.
    ///
    /// - Returns: how it ended; `nil` only when the calling task is cancelled first (the
    ///   child is not touched).
    package func wait() async -> ProcessTermination? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate: ProcessTermination?? = state.withLock { state in
                    if let termination = state.termination { return .some(termination) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }

    /// Waits until the child ends or `timeout` (on the continuous clock) has passed,
    /// whichever comes first. Cancelling the calling task does not cut the wait short:
    /// the callers are stop and timeout paths whose bound is `timeout` itself.
    ///
    /// - Returns: how it ended; `nil` when it still runs after `timeout`.
    package func wait(timeout: Duration) async -> ProcessTermination? {
        if let termination { return termination }
        // An unstructured task does not inherit the caller's cancellation.
        return await Task { await self.waitUnlessCancelled(timeout: timeout) }.value
    }

    /// Waits until the child ends, `timeout` (on the continuous clock) has passed, or the
    /// calling task is cancelled, whichever comes first.
    ///
    /// - Returns: how it ended; `nil` when it still runs (check `Task.isCancelled` for why).
    package func waitUnlessCancelled(timeout: Duration) async -> ProcessTermination? {
        if let termination { return termination }
        // The group's tasks inherit the caller's cancellation: `wait()` then answers nil and
        // the sleep ends at once.
        return await withTaskGroup(of: ProcessTermination?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? self.termination
        }
    }

    /// Waits until the child ends, ignoring cancellation of the calling task.
    package func waitUntilEnded() async -> ProcessTermination {
        await Task {
            while true {
                if let termination = await self.wait() { return termination }
            }
        }.value
    }

    /// The waiter thread's body: blocks until the child ends, then reaps it.
    private func waitForEnd() {
        var info = siginfo_t()
        var observed = true
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            if errno == EINTR { continue }
            // ECHILD: another party reaped it (or SIGCHLD is ignored, which
            // ProcessSpawner prevents); its status is lost.
            observed = false
            break
        }
        let waiters = state.withLock { state in
            var termination = ProcessTermination.exited(ProcessSpawner.unknownExitStatus)
            if observed {
                var status: Int32 = 0
                var result: pid_t
                repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
                if result == pid { termination = ProcessTermination(waitStatus: status) }
            }
            state.termination = termination
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        let termination = self.termination
        for waiter in waiters { waiter.resume(returning: termination) }
    }
}
