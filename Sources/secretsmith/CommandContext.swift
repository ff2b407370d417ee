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
        let path = configurationPath(options, environment: environment)
        let configuration = try withSpan(SecretsmithSpans.configLoad) { span in
            span.attributes["file.path"] = path
            return try Configuration.load(path: path, environment: environment)
        }
        let concurrency = configuration.environmentNames.reduce(configuration.defaults.concurrency) {
            max($0, configuration.settings(forEnvironment: $1)?.concurrency ?? 0)
        }
        let active = environment["SECRETSMITH_ENV"].flatMap { $0.isEmpty ? nil : $0 }
        var deadline = active.flatMap { configuration.settings(forEnvironment: $0)?.deadline }
            ?? configuration.defaults.deadline
        if let timeout = try options.parsedTimeout() { deadline = timeout }
        // Nothing may throw once the client exists: a client is shut down before its deinit.
        let clientConfiguration = MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(
            concurrency: concurrency)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: httpClient, processEnvironment: environment, logger: logger)
        return CommandContext(
            processEnvironment: environment, configuration: configuration, activeEnvironment: active,
            logger: logger, httpClient: httpClient, manager: manager, deadline: deadline)
    }

    /// The configuration file: `--config`, else `$SECRETSMITH_CONFIG`, else `secretsmith.yaml`.
    static func configurationPath(_ options: GlobalOptions, environment: [String: String]) -> String {
        options.config ?? environment["SECRETSMITH_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "secretsmith.yaml"
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
            path: FilePaths.absolute(configurationPath(options, environment: environment)),
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

/// Runs a command body, turning secretsmith's errors into a message on standard error and
/// the documented exit code.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
        TerminationCleanup.deferToSignal()
    } catch let error as ExitCode {
        TerminationCleanup.deferToSignal()
        throw error
    } catch let error as any SecretsmithError {
        TerminationCleanup.deferToSignal()
        if (error as? StandardOutputError)?.isBrokenPipe == true { StandardOutput.dieOfBrokenPipe() }
        // `FILE:LINE:COLUMN: error: ...` (paths relative to the working directory) for
        // located problems, `secretsmith: error: ...` otherwise; one cause printed once.
        let errors: [any SecretsmithError] = (error as? ConfigurationError)?.all ?? [error]
        let problems = (error as? RenderFailure)?.problems.map { CheckProblem($0) }
            ?? errors.map { CheckProblem(RenderProblem(site: nil, reference: nil, error: $0)) }
        let lines = CheckProblem.lines(problems.map(DisplayPath.shown), unlocatedPrefix: "secretsmith: ")
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        throw ExitCode(error.kind.exitCode)
    } catch {
        TerminationCleanup.deferToSignal()
        // Unknown errors may come from anywhere; print their type only, never a
        // description that might carry data.
        FileHandle.standardError.write(
            Data("secretsmith: internal error: \(String(reflecting: type(of: error)))\n".utf8))
        throw ExitCode(FailureKind.internalError.exitCode)
    }
}
