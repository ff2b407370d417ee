import ArgumentParser
import Foundation
import Logging
import Secretsmith
import Synchronization

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Render the selected outputs, then keep them (and a command) current as secrets change.",
        discussion: """
            The first render is exactly `render`'s: all or nothing, and a failure ends watch with \
            render's exit code. Then changes come from Secret Manager's event notifications on the \
            Pub/Sub subscription of `watch.subscription` (PUBSUB_EMULATOR_HOST points at an emulator) \
            and from polling version metadata every `watch.poll_interval`; only the affected outputs \
            are rendered again, and only files whose bytes changed are replaced, then their \
            `on_change` commands run. A failed refresh keeps the last good files and is retried with \
            backoff. With -- COMMAND, watch starts COMMAND after the first render with the dotenv, \
            shell and docker-env-file outputs in its environment (as exec does; those are not \
            written), forwards signals to it, sends it `watch.child.signal` (SIGHUP) or restarts it \
            on a change, and exits with its status when it ends. SIGTERM or SIGINT ends watch \
            (status 0, or the child's once it has stopped); without a child, SIGHUP refreshes every \
            output. Log events per event and per refresh are at level info (--log-level info).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Watch only the output with this name (repeatable).")
    var only: [String] = []

    @Argument(
        parsing: .postTerminator,
        help: "A command to supervise, after --: started after the first render, reloaded on changes.")
    var command: [String] = []

    /// How a watch ends.
    private enum Ending: Sendable {
        case signal(Int32)
        case childExited(ProcessTermination)
        case failed(any Error)
    }

    /// The parts made once the first render is done.
    private final class Started: Sendable {
        let supervisor = Mutex<ChildSupervisor?>(nil)
        let reactor = Mutex<WatchReactor?>(nil)
    }

    func run() async throws {
        // Signals first: from here on SIGTERM and SIGINT end the watch cleanly, the others go to the child.
        let forwarded: [Int32] = [SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH]
        let signals = SignalStream(signals: [SIGTERM, SIGINT] + forwarded)
        defer { signals.cancel() }
        try await CommandContext.with(global) { context in
            // The child's status is the run's (its metrics and span record it too).
            let status = try await watch(context, signals: signals)
            if status != 0 { throw ExitCode(status) }
        }
    }

    private func watch(_ context: CommandContext, signals: SignalStream) async throws -> Int32 {
        let settings = WatchEngine.settings(in: context.configuration, environment: context.activeEnvironment)
        let options = context.options(only: only)
        let plan = try context.pipeline.plan(options)
        guard !plan.outputs.isEmpty else {
            throw UsageError(
                "watch: no outputs are selected (the configuration \(context.configuration.file) has none); add outputs")
        }
        let sources = try WatchEngine.sources(
            for: plan, activeEnvironment: context.activeEnvironment, manager: context.manager,
            processEnvironment: context.processEnvironment, logger: context.logger)
        if sources.subscriptions.isEmpty && settings.pollInterval == nil {
            context.logger.warning(
                "watch: neither watch.subscription nor watch.poll_interval is set, so no change will be noticed")
        }
        let supervising = !command.isEmpty
        let memoryOutputs = supervising
            ? Set(plan.outputs.filter { ExecEnvironment.feedsEnvironment($0.output.format) }.map(\.output.name)) : []
        let started = Started()
        let engine = WatchEngine(
            pipeline: context.pipeline, options: options, settings: settings, sources: sources,
            memoryOutputs: memoryOutputs, logger: context.logger,
            reaction: { refresh in
                RunObservability.flushMetrics()
                await started.reactor.withLock { $0 }?.react(to: refresh)
            },
            metricsChanged: { RunObservability.flushMetrics() })
        let (endings, ending) = AsyncStream.makeStream(of: Ending.self)
        let inherited = ProcessReplacement.inheritedEnvironment()
        let command = self.command
        let work = Task {
            do {
                let outcome = try await engine.start { _ in
                    // Look the command up before fetching, so a typo costs no Secret Manager call.
                    if supervising {
                        do {
                            _ = try CommandLocator.locate(command[0], searchPath: ProcessInfo.processInfo.environment["PATH"])
                        } catch var error as CommandLookupError {
                            error.subcommand = "watch"
                            throw error
                        }
                    }
                }
                for report in outcome.reports {
                    var shown = report
                    shown.path = DisplayPath.relative(report.path)
                    try StandardOutput.write(shown.summary(dryRun: false) + "\n")
                }
                RunObservability.flushMetrics()
                var supervisor: ChildSupervisor?
                if supervising {
                    let environment = WatchReactor.childEnvironment(
                        inherited: inherited, variables: try await engine.environmentVariables())
                    let child = ChildSupervisor(argv: command, environment: environment, logger: context.logger)
                    started.supervisor.withLock { $0 = child }
                    try await child.start()
                    supervisor = child
                    Task { ending.yield(.childExited(await child.termination())) }
                }
                started.reactor.withLock {
                    $0 = WatchReactor(
                        configuration: context.configuration, settings: settings, supervisor: supervisor, engine: engine,
                        processEnvironment: context.processEnvironment, inherited: inherited, logger: context.logger)
                }
                await engine.run()
            } catch {
                ending.yield(.failed(error))
            }
        }
        let listener = Task {
            for await number in signals.signals {
                if number == SIGTERM || number == SIGINT {
                    ending.yield(.signal(number))
                    return
                }
                if let child = started.supervisor.withLock({ $0 }) {
                    await child.send(number)
                } else if number == SIGHUP {
                    await engine.refreshAll()
                }
            }
        }
        var result: Ending = .failed(CancellationError())
        for await first in endings {
            result = first
            break
        }
        listener.cancel()
        work.cancel()
        _ = await work.result
        await started.reactor.withLock { $0 }?.cancel()
        // The refresh work has ended (awaited above), so nothing stages any more: remove what a
        // cancelled refresh left without closing the registry, so the run's final metrics file
        // can still be written.
        StagedFileRegistry.shared.removeAll(closing: false)
        let child = started.supervisor.withLock { $0 }
        switch result {
        case .signal(let number):
            context.logger.info("watch: stopping", metadata: ["signal": "\(SignalName.name(of: number))"])
            guard let child else { return 0 }
            let termination = await child.stop(signal: number, gracePeriod: settings.childGracePeriod)
            return termination?.exitCode ?? 0
        case .childExited(let termination):
            context.logger.info("watch: the child ended; stopping", metadata: ["status": "\(termination)"])
            return termination.exitCode
        case .failed(let error):
            if let child { _ = await child.stop(signal: settings.childStopSignal, gracePeriod: settings.childGracePeriod) }
            if let error = error as? CommandLookupError {
                FileHandle.standardError.write(Data("secretsmith: error: \(error.description)\n".utf8))
                return error.exitCode
            }
            throw error
        }
    }
}

extension WatchCommand: ReportedCommand {}
