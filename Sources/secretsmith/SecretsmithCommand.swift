import ArgumentParser
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
            CheckCommand.self,
            LockCommand.self,
            ExplainCommand.self,
            GetCommand.self,
            EmulatorCommand.self,
            VersionCommand.self,
            DiagnoseProcessCommand.self,
        ]
    )

    /// Records the inherited descriptors (``InheritedDescriptors``) and applies the crash
    /// and core-dump policy (``ProcessHardening``) before anything else, then runs the command as `AsyncParsableCommand.main()` does.
    static func main() async {
        InheritedDescriptors.record()
        ProcessHardening.apply()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
