import ArgumentParser
import Dispatch
import Foundation
import Logging
import Secretsmith

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Render the selected outputs, then keep them current as secrets change.",
        discussion: """
            The first render is exactly `render`'s: all or nothing, and a failure ends watch with \
            render's exit code. Then changes come from Secret Manager's event notifications on the \
            Pub/Sub subscription of `watch.subscription` (PUBSUB_EMULATOR_HOST points at an emulator) \
            and from polling version metadata every `watch.poll_interval`; only the affected outputs \
            are rendered again, and only files whose bytes changed are replaced. A failed refresh keeps \
            the last good files and is retried with backoff. SIGTERM or SIGINT ends watch with status 0 \
            (a refresh under way is abandoned; no temporary file is left); SIGHUP refreshes every output. \
            Log events per event and per refresh are at level info (--log-level info).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Watch only the output with this name (repeatable).")
    var only: [String] = []

    @Argument(parsing: .postTerminator, help: "A command to supervise, after --: started after the first render.")
    var command: [String] = []

    func validate() throws {
        if !command.isEmpty {
            throw ValidationError("watch does not supervise a command yet; run it without -- COMMAND.")
        }
    }

    func run() async throws {
        let signals = WatchSignals.install()
        defer { signals.cancel() }
        try await CommandContext.with(global) { context in
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
            let engine = WatchEngine(
                pipeline: context.pipeline, options: options, settings: settings, sources: sources,
                logger: context.logger, reaction: { _ in RunObservability.flushMetrics() },
                metricsChanged: { RunObservability.flushMetrics() })
            let work = Task {
                let outcome = try await engine.start()
                for report in outcome.reports {
                    var shown = report
                    shown.path = DisplayPath.relative(report.path)
                    try StandardOutput.write(shown.summary(dryRun: false) + "\n")
                }
                RunObservability.flushMetrics()
                await engine.run()
            }
            let stopped = Task {
                for await number in signals.stream {
                    if number == SIGHUP {
                        await engine.refreshAll()
                        continue
                    }
                    context.logger.info("watch: stopping", metadata: ["signal": "\(number)"])
                    work.cancel()
                    return true
                }
                return false
            }
            let result = await work.result
            stopped.cancel()
            _ = AtomicFileWriter.removeStagedTemporaryFiles()
            if case .failure(let error) = result, await !stopped.value {
                throw error
            }
        }
    }
}

/// SIGTERM, SIGINT and SIGHUP as a stream, handled on a Dispatch queue (their default
/// actions are ignored while installed).
final class WatchSignals: Sendable {
    let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []
    private static let queue = DispatchQueue(label: "secretsmith.watch.signals")
    static let numbers: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    private init() {
        (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
    }

    static func install() -> WatchSignals {
        let signals = WatchSignals()
        queue.sync {
            for number in numbers {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                let continuation = signals.continuation
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                signals.sources.append(source)
            }
        }
        return signals
    }

    func cancel() {
        Self.queue.sync {
            sources.forEach { $0.cancel() }
            sources.removeAll()
        }
        continuation.finish()
    }
}
extension WatchCommand: ReportedCommand {}
