#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// What `secretsmith watch` does after a refresh changed outputs: each changed output's
/// `on_change` command, then the supervised child's reload (a signal or a restart), never
/// more than once per debounce window.
///
/// A child reads its files again when told (the signal, `SIGHUP` by default); an output
/// that feeds its environment cannot reach a running process, so a change there restarts
/// the child whatever `child.on_change` says (unless it says `none`). A reload the window
/// refuses is not dropped: it happens once the window has passed (the last change of a
/// burst reaches the child).
package actor WatchReactor {
    private let outputs: [String: OutputConfiguration]
    private let settings: WatchSettings
    private let supervisor: ChildSupervisor?
    private let engine: WatchEngine
    private let processEnvironment: [String: String]
    private let inherited: [[UInt8]]
    private let logger: Logger
    private var throttle: ReloadThrottle
    /// A reload waiting for the window, and whether it must restart.
    private var deferred: Bool?
    private var deferredTask: Task<Void, Never>?

    /// - Parameters:
    ///   - configuration: where the outputs' `on_change` commands come from.
    ///   - supervisor: the child, when `watch` runs one.
    ///   - processEnvironment: the environment of `on_change` commands (never the secrets).
    ///   - inherited: the process's environment entries, the base of a restarted child's.
    package init(
        configuration: Configuration, settings: WatchSettings, supervisor: ChildSupervisor?, engine: WatchEngine,
        processEnvironment: [String: String], inherited: [[UInt8]], logger: Logger,
        clock: SecretManagerClock = .continuous
    ) {
        self.outputs = Dictionary(configuration.outputs.map { ($0.name, $0) }) { first, _ in first }
        self.settings = settings
        self.supervisor = supervisor
        self.engine = engine
        self.processEnvironment = processEnvironment
        self.inherited = inherited
        self.logger = logger
        self.throttle = ReloadThrottle(window: settings.debounce, clock: clock)
    }

    /// The child's environment: `inherited` with the secret variables of `variables` set.
    package static func childEnvironment(
        inherited: [[UInt8]], variables: [(name: String, value: [UInt8])]
    ) -> [String: String] {
        var environment: [String: String] = [:]
        for entry in ExecEnvironment.merge(inherited: inherited, variables: variables).entries {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: entry[..<equals], as: UTF8.self)
            if environment[name] == nil {
                environment[name] = String(decoding: entry[(equals + 1)...], as: UTF8.self)
            }
        }
        return environment
    }

    /// Reacts to one refresh: the changed outputs' `on_change` commands, in order, then
    /// the child.
    package func react(to refresh: WatchEngine.Refresh) async {
        guard !refresh.changedOutputs.isEmpty else { return }
        for name in refresh.changedOutputs {
            guard let command = outputs[name]?.onChange else { continue }
            // Stopping (SIGTERM): no further command starts; a running one was stopped.
            guard !Task.isCancelled else { return }
            await run(command, output: name)
        }
        guard supervisor != nil, settings.childOnChange != .none, !Task.isCancelled else { return }
        var restart = settings.childOnChange == .restart
        for name in refresh.changedOutputs where await engine.isMemoryOutput(name) {
            restart = true
        }
        await reload(restart: restart)
    }

    private func run(_ command: OutputChangeCommand, output: String) async {
        let result = await ChangeCommand(argv: command.argv, timeout: command.timeout).run(
            environment: processEnvironment, logger: logger)
        var metadata: Logger.Metadata = ["output": "\(output)", "command": "\(command.argv[0])"]
        switch result {
        case .finished(let termination):
            metadata["status"] = "\(termination)"
            if termination == .exited(0) {
                logger.info("watch: on_change command done", metadata: metadata)
            } else {
                logger.warning("watch: on_change command failed", metadata: metadata)
            }
        case .timedOut(let termination):
            metadata["timeout_ms"] = "\(command.timeout.roundedMilliseconds)"
            metadata["status"] = "\(termination.map { "\($0)" } ?? "not reaped")"
            logger.warning("watch: on_change command timed out and was stopped", metadata: metadata)
        case .stopped(let termination):
            metadata["status"] = "\(termination.map { "\($0)" } ?? "not reaped")"
            logger.notice("watch: on_change command stopped because watch is stopping", metadata: metadata)
        case .failedToStart(let reason):
            metadata["reason"] = "\(reason)"
            logger.warning("watch: on_change command could not start", metadata: metadata)
        }
    }

    private func reload(restart: Bool) async {
        if let pending = deferred {
            deferred = pending || restart
            return
        }
        guard throttle.admit() else {
            deferred = restart
            let delay = throttle.delayUntilAdmission
            deferredTask = Task { [weak self] in
                try? await Task.sleep(for: delay)
                await self?.fireDeferred()
            }
            return
        }
        await perform(restart: restart)
    }

    private func fireDeferred() async {
        guard let restart = deferred else { return }
        deferred = nil
        deferredTask = nil
        _ = throttle.admit()
        await perform(restart: restart)
    }

    private func perform(restart: Bool) async {
        guard let supervisor else { return }
        if restart {
            let variables: [(name: String, value: [UInt8])]
            do {
                variables = try await engine.environmentVariables()
            } catch {
                logger.warning(
                    "watch: the child is not restarted: a secret cannot be an environment variable",
                    metadata: ["error": "\(WatchEngine.describe(error))"])
                return
            }
            do {
                try await supervisor.restart(
                    environment: Self.childEnvironment(inherited: inherited, variables: variables),
                    stopSignal: settings.childStopSignal, gracePeriod: settings.childGracePeriod)
                logger.info("watch: child restarted")
            } catch {
                logger.warning("watch: the child could not be started again", metadata: ["error": "\(WatchEngine.describe(error))"])
            }
        } else {
            await supervisor.send(settings.childSignal)
            logger.info("watch: child signalled", metadata: ["signal": "\(SignalName.name(of: settings.childSignal))"])
        }
    }

    /// Cancels a reload waiting for its window (shutdown).
    package func cancel() {
        deferredTask?.cancel()
        deferredTask = nil
        deferred = nil
    }
}
