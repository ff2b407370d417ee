import ArgumentParser
import Foundation
import Logging
import Secretsmith

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Render the selected outputs, put their variables into the environment, then become COMMAND.",
        discussion: """
            The values of the selected dotenv, shell and docker-env-file outputs become environment \
            variables of COMMAND (those files are not written); template and json outputs are written \
            as files, all or nothing, first. A secret replaces an inherited variable of the same name. \
            Then secretsmith replaces itself with COMMAND (execve, looked up in PATH like a shell does), \
            so COMMAND keeps the process id, receives signals directly and its exit status is the \
            process's. Exit codes before that: 64 no command or no outputs selected, 65 a value an \
            environment variable cannot hold (a NUL byte), 126 COMMAND is not executable, 127 COMMAND \
            was not found; otherwise as render.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Use only the output with this name (repeatable).")
    var only: [String] = []

    @Flag(name: .long, help: "Read exactly the versions pinned in secretsmith.lock; fail before any Secret Manager call if a reference is not pinned.")
    var frozen = false

    @Argument(parsing: .postTerminator, help: "The command to run and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty {
            throw ValidationError("exec needs a command after --, as in: secretsmith exec --env prod -- app --port 8080")
        }
    }

    /// What is left to do once the HTTP client is shut down.
    private struct Replacement: Sendable {
        var path: String
        var environment: [[UInt8]]
    }

    func run() async throws {
        TerminationCleanup.install()
        let replacement: Replacement
        do {
            replacement = try await CommandContext.with(global) { context in try await prepare(context) }
        } catch let error as CommandLookupError {
            throw lookupFailure(error)
        }
        // The HTTP client is shut down; nothing else runs. From here on this process is COMMAND.
        let failure = ProcessReplacement.replace(
            path: replacement.path, arguments: command, environment: replacement.environment)
        throw lookupFailure(failure)
    }

    /// Runs the pipeline for exec (files written, variables returned) and builds the
    /// child's environment.
    private func prepare(_ context: CommandContext) async throws -> Replacement {
        let inherited = ProcessReplacement.inheritedEnvironment()
        var path = ""
        let outcome = try await context.pipeline.runForExec(context.options(only: only, frozen: frozen)) { plan in
            guard !plan.outputs.isEmpty else {
                throw UsageError(
                    "exec: no outputs are selected (the configuration \(context.configuration.file) has none); "
                        + "add outputs, or run the command without secretsmith")
            }
            // Look the command up before fetching, so a typo costs no Secret Manager call.
            path = try CommandLocator.locate(command[0], searchPath: ProcessInfo.processInfo.environment["PATH"])
        }
        for report in outcome.reports {
            context.logger.info(
                "output \(report.changed ? "written" : "unchanged")",
                metadata: ["output": "\(report.name)", "path": "\(report.path)"])
        }
        let (environment, replaced) = ExecEnvironment.merge(inherited: inherited, variables: outcome.variables)
        if !replaced.isEmpty {
            context.logger.info(
                "secrets replace inherited environment variables",
                metadata: ["variables": "\(replaced.joined(separator: ","))"])
        }
        context.logger.debug(
            "exec",
            metadata: ["command": "\(path)", "variables": "\(outcome.variables.map(\.name).joined(separator: ","))"])
        return Replacement(path: path, environment: environment)
    }

    private func lookupFailure(_ error: CommandLookupError) -> ExitCode {
        FileHandle.standardError.write(Data("secretsmith: error: \(error.description)\n".utf8))
        return ExitCode(error.exitCode)
    }
}
