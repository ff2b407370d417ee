#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A per-output `on_change` hook of `secretsmith watch`: a program and its arguments
/// (argv, never a shell string) and how long it may run.
package struct ChangeCommand: Sendable, Hashable {
    /// The program (looked up in `PATH`, as `execvp` does) and its arguments.
    package var argv: [String]
    /// How long it may run before it is stopped.
    package var timeout: Duration

    package init(argv: [String], timeout: Duration) {
        self.argv = argv
        self.timeout = timeout
    }
}

/// How an ``ChangeCommand`` run ended.
package enum ChangeCommandResult: Sendable, Hashable {
    /// It ended within its timeout (any exit status: the caller decides what a non-zero
    /// status means).
    case finished(ProcessTermination)
    /// It ran past its timeout and was stopped: `SIGTERM` to its process group, then
    /// `SIGKILL` after the grace period. How it ended; `nil` if it had not ended even a
    /// grace period after `SIGKILL` (it is still reaped whenever it ends).
    case timedOut(ProcessTermination?)
    /// The calling task was cancelled (`watch` is stopping) while it ran, so it was stopped
    /// the same way: `SIGTERM` to its process group, then `SIGKILL` after the grace period.
    case stopped(ProcessTermination?)
    /// It could not be started; the reason, a sentence naming the command (never an
    /// argument or a value).
    case failedToStart(String)
}

extension ChangeCommand {
    /// The grace period between `SIGTERM` and `SIGKILL` for a command past its timeout.
    package static let defaultKillGracePeriod: Duration = .seconds(2)

    /// Runs the command once and waits for it.
    ///
    /// The command runs with `environment` (the caller passes the process's own
    /// environment, not the secret variables), standard input from `/dev/null`, standard
    /// output and error inherited, no other descriptor, default signal dispositions, and
    /// in a process group of its own: a timeout stops everything it started (a shell
    /// script's children too), and a terminal's Ctrl-C reaches `watch` only, which
    /// decides.
    ///
    /// Waiting never blocks a Swift concurrency thread (``SpawnedProcess`` waits on a
    /// thread of its own). Cancelling the calling task (`watch` stopping on `SIGTERM`) stops
    /// the command as a timeout would, at once: the run is bounded by `timeout` plus twice
    /// `killGracePeriod`, and by twice `killGracePeriod` after a cancellation.
    ///
    /// Logs at debug level only (start and end); the caller logs the result.
    ///
    /// - Parameter killGracePeriod: how long after `SIGTERM` the command (and after
    ///   `SIGKILL`, the wait) may take.
    /// - Returns: how it ended; never throws.
    package func run(
        environment: [String: String], logger: Logger, killGracePeriod: Duration = defaultKillGracePeriod
    ) async -> ChangeCommandResult {
        guard let command = argv.first, !command.isEmpty else {
            return .failedToStart("The on_change command is empty.")
        }
        let process: SpawnedProcess
        do {
            let path = try CommandLocator.locate(command, searchPath: environment["PATH"])
            process = try ProcessSpawner.spawn(
                path: path, arguments: argv, environment: environment, standardInput: .null, newProcessGroup: true)
        } catch {
            return .failedToStart(Self.reason(error, command: command))
        }
        logger.debug("on_change command started", metadata: ["command": "\(command)", "pid": "\(process.pid)"])
        if let termination = await process.waitUnlessCancelled(timeout: timeout) {
            logger.debug(
                "on_change command ended",
                metadata: ["command": "\(command)", "pid": "\(process.pid)", "status": "\(termination)"])
            return .finished(termination)
        }
        let cancelled = Task.isCancelled
        logger.debug(
            cancelled ? "on_change command stopped: watch is stopping; sending SIGTERM" : "on_change command timed out; sending SIGTERM",
            metadata: ["command": "\(command)", "pid": "\(process.pid)", "timeout_ms": "\(timeout.roundedMilliseconds)"])
        process.send(SIGTERM, toProcessGroup: true)
        // These waits ignore cancellation: they are the stop path's own bound.
        var termination = await process.wait(timeout: killGracePeriod)
        if termination == nil {
            process.send(SIGKILL, toProcessGroup: true)
            termination = await process.wait(timeout: killGracePeriod)
        }
        // Group members that ignore SIGTERM and outlive the leader are not pursued once the
        // leader is reaped: its group id is no longer known to be ours.
        return cancelled ? .stopped(termination) : .timedOut(termination)
    }

    /// The sentence for a command that cannot be started.
    private static func reason(_ error: CommandLookupError, command: String) -> String {
        switch error.reason {
        case .notFound:
            command.contains("/")
                ? "The on_change command \(command) does not exist."
                : "The on_change command \(command) was not found in PATH."
        case .notExecutable:
            "The on_change command \(command) is not an executable file."
        case .execFailed(let code):
            "The on_change command \(command) could not be started: \(String(cString: strerror(code)))."
        }
    }
}
