#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Runs and supervises one child: the app behind `secretsmith watch -- COMMAND`.
///
/// The child is spawned by ``ProcessSpawner`` (exactly the given environment, only
/// descriptors 0–2, default signal dispositions, secretsmith's process group) and reaped
/// by ``SpawnedProcess`` (a waiter thread per child; no Swift concurrency thread ever
/// blocks on it).
///
/// Ends are told apart: a child that ends on its own is reported by ``termination()``; a
/// child ended by ``restart(environment:stopSignal:gracePeriod:)`` is not (the new child
/// is watched instead); a child ended by ``stop(signal:gracePeriod:)`` is reported by
/// `stop` and then by ``termination()``, so no waiter is left hanging.
///
/// `restart` and `stop` run one at a time (a second call waits for the first), so two
/// overlapping restarts never leave two children. Neither is cut short by cancelling the
/// calling task: each is bounded by its grace period (then `SIGKILL`).
///
/// The child stays in secretsmith's process group and session, so an interactive app
/// keeps its terminal; a terminal's Ctrl-C (or a `kill` of the whole group) then reaches
/// the child directly as well as through a ``SignalStream`` of secretsmith: a caller that
/// forwards `SIGINT` should expect the child to see it twice in that case.
///
/// The command (`argv[0]`) and pid are logged when a child starts, and its status when it
/// ends on its own; arguments and the environment never are (they may hold secrets).
package actor ChildSupervisor {
    private let argv: [String]
    private var environment: [String: String]
    private let logger: Logger

    /// The child started last (running, or ended and not yet replaced).
    private var current: SpawnedProcess?
    /// Serials of children whose end restart or stop caused and reports itself.
    private var endsCaused: Set<UInt64> = []
    /// How the child ended on its own (or by stop), for ``termination()``; `nil` while
    /// one runs or before the first start.
    private var ended: ProcessTermination?
    private var terminationWaiters: [CheckedContinuation<ProcessTermination, Never>] = []
    /// Whether a restart or stop is under way, and who waits for its end.
    private var transitioning = false
    private var transitionWaiters: [CheckedContinuation<Void, Never>] = []

    /// - Parameters:
    ///   - argv: the command and its arguments (`argv[0]` is looked up in `PATH` of
    ///     `environment`, as `execvp` does).
    ///   - environment: the child's whole environment (the process's own plus the
    ///     secrets, merged by the caller).
    package init(argv: [String], environment: [String: String], logger: Logger) {
        self.argv = argv
        self.environment = environment
        self.logger = logger
    }

    /// The running child's process id; `nil` before ``start()``, once it has ended, and
    /// after ``stop(signal:gracePeriod:)``.
    package var processID: pid_t? {
        guard let current, current.isRunning else { return nil }
        return current.pid
    }

    /// Starts the child. Does nothing when one is running or a restart or stop is under
    /// way.
    ///
    /// - Throws: ``CommandLookupError`` naming `argv[0]`: `.notFound` (exit 127) when it
    ///   is not in `PATH` (or `argv` is empty), `.notExecutable` (126) when the file found
    ///   is not executable, `.execFailed(errno:)` (126) when `posix_spawn` fails.
    package func start() throws {
        guard !transitioning, current?.isRunning != true else { return }
        try launch()
    }

    /// Sends `signal` to the child; does nothing when no child runs (never started,
    /// ended, or stopped). The signal can never reach another process that reused the
    /// pid of an ended child.
    package func send(_ signal: Int32) {
        current?.send(signal)
    }

    /// Stops the running child (`stopSignal`, then `SIGKILL` if it still runs after
    /// `gracePeriod`), then starts it again with `environment` (fresh secrets), which
    /// also serves every later restart. When the child had already ended (on its own or
    /// by ``stop(signal:gracePeriod:)``), only the new child is started; ``termination()``
    /// then waits for the new child.
    ///
    /// The old child's end is not reported by ``termination()``.
    ///
    /// - Throws: ``CommandLookupError`` when the new child cannot be started (the
    ///   command was removed meanwhile). No child runs then, and ``termination()``
    ///   reports `.exited(127)` or `.exited(126)`, as a shell would.
    package func restart(environment: [String: String], stopSignal: Int32 = SIGTERM, gracePeriod: Duration) async throws {
        await beginTransition()
        defer { endTransition() }
        self.environment = environment
        if let process = current, process.isRunning {
            endsCaused.insert(process.serial)
            logger.info(
                "restarting child",
                metadata: ["command": "\(argv.first ?? "")", "pid": "\(process.pid)", "signal": "\(SignalName.name(of: stopSignal))"])
            let termination = await terminate(process, signal: stopSignal, gracePeriod: gracePeriod)
            logger.debug("child ended for restart", metadata: ["pid": "\(process.pid)", "status": "\(termination)"])
        }
        do {
            try launch()
        } catch {
            current = nil
            finish(with: .exited(error.exitCode))
            throw error
        }
    }

    /// Stops the child for good: `signal`, then `SIGKILL` if it still runs after
    /// `gracePeriod`. Later ``termination()`` calls (and those waiting) return the same.
    ///
    /// - Returns: how the child ended (also when it had already ended on its own); `nil`
    ///   when no child was ever started.
    package func stop(signal: Int32 = SIGTERM, gracePeriod: Duration) async -> ProcessTermination? {
        await beginTransition()
        defer { endTransition() }
        guard let process = current else { return ended }
        if let termination = process.termination {
            if ended == nil { finish(with: termination) }
            return termination
        }
        endsCaused.insert(process.serial)
        let termination = await terminate(process, signal: signal, gracePeriod: gracePeriod)
        logger.info(
            "child stopped",
            metadata: ["command": "\(argv.first ?? "")", "pid": "\(process.pid)", "status": "\(termination)"])
        finish(with: termination)
        return termination
    }

    /// Waits until the child ends on its own (not through a restart) and returns how;
    /// after ``stop(signal:gracePeriod:)``, returns what `stop` returned. Called before
    /// ``start()``, it waits for the child that start will start.
    ///
    /// Not cancellable: it returns when the child ends or is stopped, so a caller that
    /// shuts down calls ``stop(signal:gracePeriod:)``.
    package func termination() async -> ProcessTermination {
        if let ended { return ended }
        return await withCheckedContinuation { terminationWaiters.append($0) }
    }

    // MARK: - Internals

    /// Starts a child; a failure reads `watch: COMMAND: ...`.
    private func launch() throws(CommandLookupError) {
        guard let command = argv.first, !command.isEmpty else {
            var error = CommandLookupError(command: argv.first ?? "", reason: .notFound)
            error.subcommand = "watch"
            throw error
        }
        let process: SpawnedProcess
        do {
            let path = try CommandLocator.locate(command, searchPath: environment["PATH"])
            process = try ProcessSpawner.spawn(path: path, arguments: argv, environment: environment)
        } catch {
            var error = error
            error.subcommand = "watch"
            throw error
        }
        current = process
        ended = nil
        logger.info("child started", metadata: ["command": "\(command)", "pid": "\(process.pid)"])
        Task { [self] in
            let termination = await process.waitUntilEnded()
            observeEnd(of: process, termination)
        }
    }

    /// Called once per child when it ends: reports an end nobody caused.
    private func observeEnd(of process: SpawnedProcess, _ termination: ProcessTermination) {
        if endsCaused.remove(process.serial) != nil { return }
        guard process === current else { return }
        logger.info(
            "child exited",
            metadata: ["command": "\(argv.first ?? "")", "pid": "\(process.pid)", "status": "\(termination)"])
        finish(with: termination)
    }

    private func finish(with termination: ProcessTermination) {
        ended = termination
        let waiters = terminationWaiters
        terminationWaiters.removeAll()
        for waiter in waiters { waiter.resume(returning: termination) }
    }

    /// Signals `process`, waits up to `gracePeriod`, then kills it; returns how it ended.
    private func terminate(_ process: SpawnedProcess, signal: Int32, gracePeriod: Duration) async -> ProcessTermination {
        process.send(signal)
        if let termination = await process.wait(timeout: gracePeriod) { return termination }
        logger.warning(
            "child still running after the grace period; sending SIGKILL",
            metadata: ["pid": "\(process.pid)", "grace_ms": "\(gracePeriod.roundedMilliseconds)"])
        process.send(SIGKILL)
        return await process.waitUntilEnded()
    }

    private func beginTransition() async {
        while transitioning {
            await withCheckedContinuation { transitionWaiters.append($0) }
        }
        transitioning = true
    }

    private func endTransition() {
        transitioning = false
        if !transitionWaiters.isEmpty { transitionWaiters.removeFirst().resume() }
    }
}
