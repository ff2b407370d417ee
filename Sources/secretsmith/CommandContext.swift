import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import Secretsmith
import Tracing

/// What a command that reads secrets needs: the configuration, a logger, the shared HTTP
/// client (its connection pool) and the manager. Built once per process.
struct CommandContext {
    let processEnvironment: [String: String]
    let configuration: Configuration
    let activeEnvironment: String?
    let logger: Logger
    let httpClient: HTTPClient
    let manager: MultiEnvironmentSecretManager
    /// The run's deadline: `--timeout`, else the active environment's or the defaults'
    /// `deadline:`, else none.
    let deadline: Duration?

    /// Loads the configuration and sets up logging, the HTTP client and the manager.
    ///
    /// - Throws: ``ConfigurationError`` when the configuration cannot be loaded.
    static func make(_ options: GlobalOptions) throws -> CommandContext {
        // Flags first: a bad value is a usage error before anything is loaded or started.
        _ = try options.parsedTimeout()
        var environment = ProcessInfo.processInfo.environment
        // `--env` is the active environment for `${SECRETSMITH_ENV}` in the configuration
        // too, so one output path can serve every environment (out/${SECRETSMITH_ENV}/...).
        if let env = options.env { environment["SECRETSMITH_ENV"] = env }
        let logger = LogSetup.bootstrap(options)
        let location = ConfigurationLocation.discover(explicit: options.config, environment: environment)
        let configuration = try withSpan(SecretsmithSpans.configLoad) { span in
            span.attributes["file.path"] = location.path
            // Environment overrides apply over the file, under the flags.
            return try location.load(environment: environment).applyingEnvironmentOverrides(environment)
        }
        let active = environment["SECRETSMITH_ENV"].flatMap { $0.isEmpty ? nil : $0 }
        let timeout = try options.parsedTimeout()
        // Nothing may throw once the client exists: a client is shut down before its deinit.
        var clientConfiguration = MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(
            for: configuration, processEnvironment: environment)
        // Without `--trace-file` the tracer is the no-op one: AsyncHTTPClient would still
        // build a span and its attributes (method, URL parts) for every request.
        if InstrumentationSystem.tracer is NoOpTracer { clientConfiguration.tracing.tracer = nil }
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: httpClient, processEnvironment: environment, logger: logger)
        return CommandContext(
            processEnvironment: environment, configuration: configuration, activeEnvironment: active,
            logger: logger, httpClient: httpClient, manager: manager,
            deadline: RenderPipeline.deadline(in: configuration, environment: active, override: timeout))
    }

    /// The library's pipeline over this run's manager.
    var pipeline: RenderPipeline {
        RenderPipeline(manager: manager, processEnvironment: processEnvironment)
    }

    /// The pipeline's options for this run: its active environment and deadline.
    func options(
        only: [String] = [], frozen: Bool = false, destination: RenderPipeline.Destination = .files,
        manifestPath: String? = nil
    ) -> RenderPipeline.Options {
        RenderPipeline.Options(
            environment: activeEnvironment, only: only, frozen: frozen, deadline: deadline, destination: destination,
            manifestPath: manifestPath)
    }

    /// Builds a context, runs `body` with it and shuts the HTTP client down, also when
    /// `body` throws; all inside the run span, and followed by the `--metrics-file` and
    /// `--trace-file` writes (see ``RunObservability``).
    ///
    /// Files named on the command line that the run writes (`--metrics-file`,
    /// `--trace-file` and `alsoWrites`, such as `--manifest`) are compared with the
    /// configuration file before anything starts, and with every other file of the run
    /// once the configuration is loaded (``RunFiles``); a clash is a ``ConfigurationError``
    /// (exit 65) and those files are then not written.
    static func with<Result>(
        _ options: GlobalOptions, alsoWrites: [(flag: String, path: String?)] = [],
        _ body: (CommandContext) async throws -> Result
    ) async throws -> Result {
        let environment = ProcessInfo.processInfo.environment
        let commandLineFiles = RunFiles.commandLine(
            [("--metrics-file", options.metricsFile), ("--trace-file", options.traceFile)] + alsoWrites)
        let configurationFile = RunFiles.File(
            role: "the configuration file",
            path: FilePaths.absolute(
                ConfigurationLocation.discover(explicit: options.config, environment: environment).path),
            writes: false, followFinalLink: true)
        if let clash = RunFiles(files: [configurationFile] + commandLineFiles).clashes(configurationFile: nil).first {
            throw clash
        }
        let observability = RunObservability.start(options, environment: environment)
        let command = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "run"
        return try await observability.run(command: command, environment: environment) {
            let context = try make(options)
            let run = RunFiles(
                files: RunFiles.of(context.configuration, selected: context.configuration.outputs).files
                    + commandLineFiles)
            let clashes = run.clashes(configurationFile: context.configuration.file) { first, second in
                commandLineFiles.contains { $0.role == first.role } || commandLineFiles.contains { $0.role == second.role }
            }
            if let clash = clashes.first {
                observability.suppressFiles()
                await context.shutdown()
                throw clash
            }
            do {
                let result = try await body(context)
                await context.shutdown()
                return result
            } catch {
                await context.shutdown()
                throw error
            }
        }
    }

    /// Shuts the HTTP client down; call before the process exits.
    func shutdown() async {
        try? await httpClient.shutdown()
    }
}
