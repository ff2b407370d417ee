import ArgumentParser
import Foundation
import Secretsmith

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show one reference's effective settings and the layer each came from.",
        discussion: """
            Prints the resolved resource name, endpoint, credentials, version, timeout, deadline, \
            cache, retry and circuit breaker settings and file mode, each with the layer that set \
            it: default, global, environment, project, secret, reference, command line or \
            environment variable (or the variable's name, for a SECRETSMITH_DEFAULTS__... or \
            SECRETSMITH_ENVIRONMENTS__... override); then the outputs that read the version, with their modes. \
            Makes no network call.
            """)

    @Argument(help: "A reference: ENV/PROJECT/SECRET[@VERSION][#POINTER], or PROJECT/SECRET[...] with --env.")
    var reference: String

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Output format: text or json.")
    var format: ReportFormat = .text

    func run() async throws {
        try await CommandContext.with(global) { context in
            let explanation = try Explanation.make(
                reference: reference, configuration: context.configuration,
                context: .init(
                    activeEnvironment: context.activeEnvironment,
                    activeEnvironmentLayer: global.env != nil ? .commandLine : .environmentVariable,
                    processEnvironment: context.processEnvironment,
                    commandLineDeadline: global.timeout != nil ? context.deadline : nil))
            switch format {
                case .text: try StandardOutput.write(explanation.text)
                case .json: try StandardOutput.write(explanation.json)
            }
        }
    }
}
