import ArgumentParser
import Foundation
import Secretsmith

/// `secretsmith`: materializes secrets from Google Cloud Secret Manager into files and
/// processes.
@main
struct SecretsmithCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secretsmith",
        abstract: "Materialize secrets from Google Cloud Secret Manager into files and processes.",
        discussion: """
            Exit codes: 0 success, 64 usage, 65 configuration or template error, 66 secret, \
            version or project not found or not ENABLED, 69 Secret Manager unavailable or circuit open, \
            70 internal error, 73 an output could not be written, 77 permission or authentication failure; \
            exec only: 126 the command cannot be executed, 127 the command was not found, otherwise the \
            command's own status.
            """,
        version: SecretsmithVersion.current,
        subcommands: [
            RenderCommand.self,
            ExecCommand.self,
            WatchCommand.self,
            CheckCommand.self,
            LockCommand.self,
            ExplainCommand.self,
            GetCommand.self,
            EmulatorCommand.self,
            ServeCommand.self,
            VersionCommand.self,
            HashTokenCommand.self,
            DiagnoseProcessCommand.self,
        ]
    )

    /// Records the inherited descriptors (``InheritedDescriptors``) and applies the crash
    /// and core-dump policy (``ProcessHardening``) before anything else, parses the command
    /// line, runs the command and maps how it ended to the process's exit status: the one
    /// place errors become exit codes.
    ///
    /// A command line that does not parse ends as ArgumentParser reports it (usage, 64 for
    /// validation errors); a run of one of secretsmith's commands (``ReportedCommand``)
    /// that throws ends with ``exitCode(reporting:)``. Before
    /// exiting, a run that a termination signal interrupted waits for the signal's
    /// cleanup, which exits with 128 + the signal number
    /// (``TerminationCleanup/deferToSignal()``).
    /// On Linux the Swift runtime reads the program's arguments from `/proc/self/cmdline`;
    /// in a root file system without `/proc` (a container started without it) every command
    /// would run as if it had none, print the usage and exit 0 — a `render` that silently
    /// renders nothing. Refuse instead (exit 71, `EX_OSERR`).
    private static func refuseUnreadableCommandLine() {
        #if os(Linux)
        guard CommandLine.arguments.count <= 1, access("/proc/self/cmdline", R_OK) != 0 else { return }
        let message =
            "secretsmith: error: the command line cannot be read: /proc is not mounted (/proc/self/cmdline is missing); "
            + "mount /proc (container runtimes do) to run secretsmith\n"
        FileHandle.standardError.write(Data(message.utf8))
        Glibc.exit(71)
        #endif
    }

    static func main() async {
        InheritedDescriptors.record()
        ProcessHardening.apply()
        refuseUnreadableCommandLine()
        // `secretsmith version` alone needs none of the command tree: ArgumentParser's
        // reflection over every command's options is a third of the process's CPU time.
        if CommandLine.arguments.count == 2, CommandLine.arguments[1] == "version" {
            VersionCommand().run()
            return
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            TerminationCleanup.deferToSignal()
        } catch {
            TerminationCleanup.deferToSignal()
            // A closed pipe on standard output ends the process as it ends other Unix tools.
            if (error as? StandardOutputError)?.isBrokenPipe == true { StandardOutput.dieOfBrokenPipe() }
            // ArgumentParser's own commands (`help`, the root without a subcommand) end
            // with its errors, which it reports itself (help text, exit 0).
            guard command is any ReportedCommand else { exit(withError: error) }
            exit(withError: exitCode(reporting: error))
        }
    }

    /// Reports a run's error on standard error and returns the documented exit code.
    ///
    /// An ``ExitCode`` was reported by the command itself and passes through. A
    /// ``SecretsmithError`` prints `FILE:LINE:COLUMN: error: ...` (paths relative to the
    /// working directory) for located problems, `secretsmith: error: ...` otherwise, one
    /// cause once (``CheckProblem/lines(_:unlocatedPrefix:)``), and exits with its kind's
    /// code. Any other error may come from anywhere: only its type is printed, never a
    /// description that might carry data, and the code is 70.
    static func exitCode(reporting error: any Error) -> ExitCode {
        switch error {
        case let error as ExitCode:
            return error
        case let error as any SecretsmithError:
            let errors: [any SecretsmithError] = (error as? ConfigurationError)?.all ?? [error]
            let problems = (error as? RenderFailure)?.problems.map { CheckProblem($0) }
                ?? errors.map { CheckProblem(RenderProblem(site: nil, reference: nil, error: $0)) }
            let lines = CheckProblem.lines(problems.map(DisplayPath.shown), unlocatedPrefix: "secretsmith: ")
            FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            return ExitCode(error.kind.exitCode)
        default:
            FileHandle.standardError.write(
                Data("secretsmith: internal error: \(String(reflecting: type(of: error)))\n".utf8))
            return ExitCode(FailureKind.internalError.exitCode)
        }
    }
}

/// A secretsmith command whose errors ``SecretsmithCommand/exitCode(reporting:)`` maps to
/// an exit code (ArgumentParser's built-in commands report their own).
protocol ReportedCommand: ParsableCommand {}

extension RenderCommand: ReportedCommand {}
extension ServeCommand: ReportedCommand {}
extension ExecCommand: ReportedCommand {}
extension CheckCommand: ReportedCommand {}
extension LockCommand: ReportedCommand {}
extension ExplainCommand: ReportedCommand {}
extension GetCommand: ReportedCommand {}
extension EmulatorCommand: ReportedCommand {}
extension VersionCommand: ReportedCommand {}
extension DiagnoseProcessCommand: ReportedCommand {}
