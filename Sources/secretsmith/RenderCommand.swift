import ArgumentParser
import Foundation
import Secretsmith

struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Resolve every reference of the selected outputs, then write them all or none.",
        discussion: """
            Every reference of every selected output is fetched and rendered in memory before the \
            first byte is written; on any failure nothing is written and existing files stay as they \
            were. Files whose content would not change are not rewritten.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Render only the output with this name (repeatable).")
    var only: [String] = []

    @Flag(name: .long, help: "Resolve and validate everything, print what would be written, write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print the one selected output to standard output instead of writing it.")
    var stdout = false

    func validate() throws {
        if dryRun && stdout {
            throw ValidationError("--dry-run and --stdout cannot be used together.")
        }
    }

    func run() async throws {
        try await reportingErrors {
            TerminationCleanup.install()
            try await CommandContext.with(global) { context in
            let plan = try RenderPlan.make(
                configuration: context.configuration, environment: context.activeEnvironment, only: only)
            if stdout && plan.outputs.count != 1 {
                throw UsageError(
                    "--stdout needs exactly one output, but \(plan.outputs.count) are selected; choose one with --only.")
            }
            let renderer = Renderer(manager: context.manager, processEnvironment: context.processEnvironment)
            let values = try await withDeadline(context.deadline) { try await renderer.fetch(plan) }
            let rendered = try renderer.render(plan, values: values)
            if stdout {
                FileHandle.standardOutput.write(Data(rendered[0].bytes))
                return
            }
            let reports = try renderer.write(rendered, dryRun: dryRun)
            for report in reports {
                var shown = report
                shown.path = DisplayPath.relative(report.path)
                print(shown.summary(dryRun: dryRun))
            }
            }
        }
    }
}

/// A command line that is valid syntax but cannot be carried out (exit 64).
struct UsageError: SecretsmithError {
    var message: String
    init(_ message: String) { self.message = message }
    var kind: FailureKind { .usage }
    var description: String { message }
}
